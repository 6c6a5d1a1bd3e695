// Two worker threads hammer the same shared table with the same flows in opposite orders: every flow
// gets exactly one connection, every client one persistence template, and all counters add up.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler } from '../../src/dataplane/snapshot.js';
import { listConnections } from '../../src/table/conn-list.js';
import { svc, env } from './harness.js';

t.test('2 workers, same flows, persistence: consistent table and counters', async (t) => {
  const CLIENTS = 3000;
  const PORTS = 4;
  const buffers = createSharedState({ maxConns: 65_536, maxDests: 16, maxServices: 4, maxWorkers: 3, seed: 7 });
  const main = attachSharedState(buffers, 0);
  const rs = [1, 2, 3, 4].map((i) => ({ address: `192.168.1.${i}` }));
  const spec = new SnapshotCompiler(main).compile(
    {
      services: [svc('tcp', '10.0.0.100', 80, 'rr', rs, { persistenceTimeoutS: 300 })],
      timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 },
    },
    env(),
  );
  const go = new SharedArrayBuffer(4);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  const ws = [1, 2].map(
    (worker) =>
      new Worker(new URL(`./mt-worker${ext}`, import.meta.url), {
        workerData: { buffers, worker, spec, clients: CLIENTS, ports: PORTS, reverse: worker === 2, go },
      }),
  );
  const ready = ws.map(
    (w) =>
      new Promise((res, rej) => {
        w.once('message', res);
        w.once('error', rej);
      }),
  );
  await Promise.all(ready);
  const done = ws.map(
    (w) =>
      new Promise<{ statusErrors: number; ms: number }>((res, rej) => {
        w.once('message', res);
        w.once('error', rej);
      }),
  );
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  const res = await Promise.all(done);
  await Promise.all(ws.map((w) => w.terminate()));
  t.same(
    res.map((r) => r.statusErrors),
    [0, 0],
    'every packet found or created its connection',
  );
  t.comment(`worker run times (ms): ${res.map((r) => Math.round(r.ms)).join(', ')}`);

  const all = listConnections(main.conns, 1000);
  const conns = all.filter((c) => !c.template);
  const templates = all.filter((c) => c.template);
  t.equal(conns.length, CLIENTS * PORTS, 'one connection per flow (no duplicates from racing creators)');
  t.equal(new Set(conns.map((c) => `${c.client}:${c.clientPort}`)).size, CLIENTS * PORTS);
  t.equal(templates.length, CLIENTS, 'one template per client');
  const tplDest = new Map(templates.map((c) => [c.client, c.dest]));
  t.equal(conns.filter((c) => c.dest !== tplDest.get(c.client)).length, 0, 'every connection follows its client template');
  t.ok(conns.every((c) => c.state === 'ESTABLISHED'));
  let active = 0;
  let inactive = 0;
  let persist = 0;
  let created = 0;
  let inPkts = 0;
  for (const d of spec.dests) {
    active += main.stats.active(d.slot);
    inactive += main.stats.inactive(d.slot);
    persist += main.stats.persistent(d.slot);
    const tot = main.stats.destTotals(d.slot);
    created += tot.conns;
    inPkts += tot.inPkts;
  }
  t.same({ active, inactive, persist }, { active: CLIENTS * PORTS, inactive: 0, persist: CLIENTS }, 'dest counters');
  t.equal(created, CLIENTS * PORTS, 'conns counter: each flow created once');
  t.equal(inPkts, 2 * 2 * CLIENTS * PORTS, 'every packet counted once');
  // rr spread the templates evenly: shared scheduler state across workers.
  const per = spec.dests.map((d) => main.stats.persistent(d.slot));
  t.ok(Math.max(...per) - Math.min(...per) <= 2, `templates spread evenly by the shared rr pointer: ${per}`);
  t.equal(main.conns.liveCount(), CLIENTS * PORTS + CLIENTS, 'live count');
});
