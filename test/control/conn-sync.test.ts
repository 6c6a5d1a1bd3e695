// Connection sync end to end without sockets: a master's table (real connections made by the IPVS
// core) is scanned, encoded as sync v1, decoded and installed into a backup's own table whose real
// servers sit in other slots; the backup's core then forwards the established flows (TCP ACK: a Hit,
// not "no connection") to the same real server, NAT replies match, the persistence template moved.
import t from 'tap';
import { ConnSync, type SyncTablePort } from '../../src/control/conn-sync.js';
import { resolveSyncSlots, fwmarkOfSlot } from '../../src/control/sync-slots.js';
import { scanSync, SyncCore } from '../../src/table/conn-sync.js';
import { defaultCoreConfig } from '../../src/table/shared-state.js';
import { ConnStatus } from '../../src/table/ipvs-core.js';
import { Harness, svc, SYN, ACK, FINACK } from '../table/harness.js';

const IPPROTO_TCP = 6;

function port(h: Harness): SyncTablePort {
  const core = new SyncCore(h.state.conns, h.state.stats, defaultCoreConfig());
  return {
    scanSync: (now, fn, from, to) => scanSync(h.state.conns, now, (s) => fn(s, fwmarkOfSlot(h.snap.spec, s.svcSlot)), undefined, from, to),
    installSync: (s, fwmark, now) => {
      const r = resolveSyncSlots(h.snap.spec, s, fwmark);
      return r === 'ok' ? core.install(s, now) : r;
    },
  };
}

const rs = [
  { address: '192.168.1.10', forward: 'nat' as const },
  { address: '192.168.1.11', forward: 'nat' as const },
];

t.test('master -> backup: live NAT connections and a persistence template', async (t) => {
  const a = new Harness();
  const b = new Harness();
  a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs), svc('tcp', '192.0.2.10', 443, 'rr', rs, { persistenceTimeoutS: 300 })]);
  // The backup lists its real servers the other way round and has one more service: other slots.
  b.load([
    svc('tcp', '192.0.2.20', 8080, 'rr', rs),
    svc('tcp', '192.0.2.10', 80, 'rr', [...rs].reverse()),
    svc('tcp', '192.0.2.10', 443, 'rr', [...rs].reverse(), { persistenceTimeoutS: 300 }),
  ]);
  let now = 1_000_000;
  const chosen: string[] = [];
  for (const [cport, vport] of [
    [40000, 80],
    [40001, 80],
    [40002, 443],
  ] as const) {
    t.equal(a.inp(IPPROTO_TCP, '10.0.0.5', cport, '192.0.2.10', vport, SYN, now), ConnStatus.Hit);
    chosen.push(a.chosen());
    t.equal(a.inp(IPPROTO_TCP, '10.0.0.5', cport, '192.0.2.10', vport, ACK, now), ConnStatus.Hit);
  }
  t.same(chosen.slice(0, 2).sort(), ['192.168.1.10', '192.168.1.11'], 'rr spread the two port-80 flows');
  const backup = await ConnSync.start({ state: 'backup', mcastInterface: 'lo', syncId: 7, transport: { send: () => {} } }, port(b));
  const master = await ConnSync.start(
    { state: 'master', mcastInterface: 'lo', syncId: 7, periodMs: 0, transport: { send: (m) => backup.receive(m, now) } },
    port(a),
  );
  t.equal(master.scan(now), 4, '3 established connections + 1 template sent');
  t.equal(backup.counters.installedNew, 4, 'all installed');
  t.same(backup.counters.drops, {});
  t.equal(master.scan(now + 100), 0, 'nothing changed: nothing resent');
  t.equal(master.scan(now + 30_000), 4, 'the periodic full sync resends every entry (a late backup learns idle ones)');
  t.equal(master.counters.lastFullSyncMs, now + 30_000);
  t.equal(backup.counters.installedUpdated, 4, 'already known: updated in place');
  t.equal(master.scan(now + 30_100), 0);

  // Takeover: the backup's core sees mid-flow ACKs (no SYN) and must know each flow.
  now += 2000;
  for (const [i, [cport, vport]] of (
    [
      [40000, 80],
      [40001, 80],
      [40002, 443],
    ] as const
  ).entries()) {
    t.equal(b.inp(IPPROTO_TCP, '10.0.0.5', cport, '192.0.2.10', vport, ACK, now), ConnStatus.Hit, `flow ${cport} known`);
    t.equal(b.chosen(), chosen[i], `flow ${cport} goes on to ${chosen[i]}`);
    t.equal(b.out(IPPROTO_TCP, chosen[i]!, vport, '10.0.0.5', cport, ACK, now), ConnStatus.Hit, `NAT reply of ${cport} matches`);
  }
  const tpl = b.conns(now).find((c) => c.template);
  t.equal(tpl?.dest, chosen[2], 'the persistence template moved with its real server');
  t.equal(b.conn('10.0.0.5', 40000, now)?.state, 'ESTABLISHED');
  const active = b.snap.spec.dests.reduce((n, d) => n + b.state.stats.active(d.slot), 0);
  const persist = b.snap.spec.dests.reduce((n, d) => n + b.state.stats.persistent(d.slot), 0);
  t.equal(active, 3, 'synced established connections count as active on the backup');
  t.equal(persist, 1, 'the synced template counts as persistent');
  // A new connection on the persistent service from the same client sticks to the synced template.
  t.equal(b.inp(IPPROTO_TCP, '10.0.0.5', 40009, '192.0.2.10', 443, SYN, now), ConnStatus.Hit);
  t.equal(b.chosen(), chosen[2], 'persistence honoured after takeover');

  // A state change is sent again and applied.
  t.equal(a.inp(IPPROTO_TCP, '10.0.0.5', 40000, '192.0.2.10', 80, FINACK, now), ConnStatus.Hit);
  t.equal(a.conn('10.0.0.5', 40000, now)?.state, 'CLOSE_WAIT');
  t.equal(master.scan(now), 1, 'the CLOSE_WAIT change is sent');
  t.equal(backup.counters.installedUpdated, 5, 'applied as an update');
  t.equal(b.conn('10.0.0.5', 40000, now)?.state, 'CLOSE_WAIT');
  master.stop();
  backup.stop();
});

t.test('backup drops what it cannot use, counted by reason', async (t) => {
  const a = new Harness();
  const b = new Harness({ maxConns: 64 });
  a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs), svc('tcp', '192.0.2.99', 80, 'rr', rs)]);
  b.load([svc('tcp', '192.0.2.10', 80, 'rr', rs.slice(0, 1))]);
  const now = 5_000;
  for (let i = 0; i < 200; i++) {
    a.inp(IPPROTO_TCP, '10.0.1.1', 1000 + i, '192.0.2.10', 80, SYN, now);
    a.inp(IPPROTO_TCP, '10.0.1.1', 1000 + i, '192.0.2.10', 80, ACK, now);
  }
  a.inp(IPPROTO_TCP, '10.0.1.2', 999, '192.0.2.99', 80, SYN, now);
  a.inp(IPPROTO_TCP, '10.0.1.2', 999, '192.0.2.99', 80, ACK, now);
  const backup = await ConnSync.start({ state: 'backup', mcastInterface: 'lo', syncId: 7, transport: { send: () => {} } }, port(b));
  const other = await ConnSync.start(
    { state: 'master', mcastInterface: 'lo', syncId: 8, periodMs: 0, transport: { send: (m) => backup.receive(m, now) } },
    port(a),
  );
  other.scan(now);
  t.ok(backup.counters.drops.syncid! > 0, 'another sync group: every datagram dropped whole');
  t.equal(backup.counters.installedNew, 0);
  const master = await ConnSync.start(
    { state: 'master', mcastInterface: 'lo', syncId: 7, periodMs: 0, transport: { send: (m) => backup.receive(m, now) } },
    port(a),
  );
  t.equal(master.scan(now), 201);
  t.equal(backup.counters.drops['no-service'], 1, 'a service the backup lacks');
  t.equal((backup.counters.drops['no-dest'] ?? 0) + backup.counters.installedNew + (backup.counters.drops['table-full'] ?? 0), 200);
  t.ok((backup.counters.drops['no-dest'] ?? 0) > 0, 'entries to a real server the backup lacks');
  t.ok(b.state.conns.liveCount() <= 64, `the table stays within its bound (${b.state.conns.liveCount()} <= 64)`);
  t.ok((backup.counters.drops['table-full'] ?? 0) > 0, 'the rest counted as table-full');
  backup.receive(Buffer.from([0, 7, 0, 3]), now);
  t.equal(backup.counters.drops.size, 1, 'a lying size field');
  master.stop();
  other.stop();
  backup.stop();
});

t.test('bulk sync: a starting backup asks for the whole table and is caught up when it has it', async (t) => {
  const a = new Harness();
  const b = new Harness();
  a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  b.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  let now = 1_000_000;
  // 50 idle connections: handshake only (2 in-packets, below sync_threshold): no rule would send them.
  for (let i = 0; i < 50; i++) {
    a.inp(IPPROTO_TCP, '10.0.2.1', 2000 + i, '192.0.2.10', 80, SYN, now);
    a.inp(IPPROTO_TCP, '10.0.2.1', 2000 + i, '192.0.2.10', 80, ACK, now);
  }
  let master: ConnSync | undefined;
  let lose = false;
  const backup = await ConnSync.start(
    {
      state: 'backup',
      mcastInterface: 'lo',
      syncId: 7,
      clock: () => now,
      transport: { send: (m) => master?.receive(m, now) },
      onCaughtUp: (how) => caught.push(how),
    },
    port(b),
  );
  const caught: string[] = [];
  master = await ConnSync.start(
    { state: 'master', mcastInterface: 'lo', syncId: 7, periodMs: 0, transport: { send: (m) => !lose && backup.receive(m, now) } },
    port(a),
  );
  t.equal(master.scan(now), 50, 'the first scan of a new master is a full one');
  lose = true;
  t.equal(master.scan(now + 100), 0);
  t.notOk(backup.counters.caughtUp, 'entries alone do not make a backup caught up');
  // The backup's first request went out before the master listened: it asks again a second later,
  // but the answer is lost on the way: it stays behind and asks again.
  now += 1000;
  backup.tick(now);
  t.equal(master.counters.bulkRequests, 1, 'the master heard the request');
  t.notOk(backup.counters.caughtUp, 'the answer was lost');
  lose = false;
  now += 1000;
  backup.tick(now);
  t.equal(master.counters.bulkRequests, 1, 'backing off: the next request waits 2 s');
  now += 1000;
  backup.tick(now);
  t.equal(master.counters.bulkRequests, 2);
  t.ok(backup.counters.caughtUp, 'caught up once the bulk end arrives after the whole table');
  t.same(caught, ['bulk']);
  t.equal(backup.counters.lastFullSyncMs, now, 'time of the last full sync');
  t.equal(b.conns(now).length, 50, 'every idle connection is in the backup table');
  t.equal(backup.snapshot(now + 2500).lagMs, 2500, 'lag: time since the master was last heard');
  now += 1500;
  master.scan(now);
  t.equal(backup.snapshot(now).lagMs, 0, 'a master with nothing to send says it is alive');
  // A lying bulk end (more entries than arrived): not caught up, asks again.
  const late = await ConnSync.start({ state: 'backup', mcastInterface: 'lo', syncId: 7, clock: () => now, transport: { send: () => {} } }, port(new Harness()));
  const { encodeSyncControl } = await import('../../src/sync/control-message.js');
  const nonce = (late as unknown as { nonce: number }).nonce;
  late.receive(encodeSyncControl(7, { kind: 'bulk-end', nonce, entries: 10 }), now);
  t.notOk(late.counters.caughtUp);
  t.equal(late.counters.drops['bulk-incomplete'], 1, 'an incomplete bulk is counted and asked again ...');
  late.tick(now + 1000);
  t.equal(late.counters.bulkRequests, 2, '... at the next tick');
  late.tick(now + 20_000);
  t.ok(late.counters.caughtUp, 'no answer before the deadline (a kernel master): goes on without');
  master.stop();
  backup.stop();
  late.stop();
});

t.test('a flood of sync datagrams is bounded and counted; a flood of bulk requests gets one whole table a second', async (t) => {
  const a = new Harness();
  const b = new Harness({ maxConns: 64 });
  a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  b.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  const now = 2_000_000;
  for (let i = 0; i < 100; i++) {
    a.inp(IPPROTO_TCP, '10.0.3.1', 3000 + i, '192.0.2.10', 80, SYN, now);
    a.inp(IPPROTO_TCP, '10.0.3.1', 3000 + i, '192.0.2.10', 80, ACK, now);
  }
  const sent: Buffer[] = [];
  const master = await ConnSync.start({ state: 'master', mcastInterface: 'lo', syncId: 7, periodMs: 0, transport: { send: (m) => sent.push(m) } }, port(a));
  master.scan(now);
  const good = [...sent];
  const backup = await ConnSync.start({ state: 'backup', mcastInterface: 'lo', syncId: 7, maxDatagramsPerS: 1000, transport: { send: () => {} } }, port(b));
  // 100 000 datagrams in one second: valid ones (the table is bounded at 64), junk, lies.
  let rnd = 1;
  const junk = Buffer.alloc(64);
  for (let i = 0; i < 100_000; i++) {
    if (i % 3 === 0) backup.receive(good[i % good.length]!, now + i / 100);
    else {
      for (let j = 0; j < junk.length; j++) junk[j] = (rnd = (rnd * 1103515245 + 12345) >>> 0) >>> 24;
      junk[0] = 0;
      junk[1] = 7;
      junk.writeUInt16BE(64, 2);
      backup.receive(junk, now + i / 100);
    }
  }
  const c = backup.counters;
  const handled =
    c.messagesReceived + Object.entries(c.drops).reduce((n, [k, v]) => (k === 'rate-limit' || k === 'table-full' || k === 'no-dest' ? n : n + v), 0);
  t.ok(c.drops['rate-limit']! >= 98_000, `most were over the rate: ${c.drops['rate-limit']} dropped unread`);
  t.ok(handled <= 2100, `at most the burst plus a second's worth were decoded (${handled})`);
  t.ok(b.state.conns.liveCount() <= 64, 'the table stayed within its bound');
  t.ok(c.messagesReceived > 0, 'valid datagrams among them were still applied');
  sent.length = 0;
  const { encodeSyncControl } = await import('../../src/sync/control-message.js');
  for (let i = 0; i < 1000; i++) master.receive(encodeSyncControl(7, { kind: 'bulk-request', nonce: i + 1 }), now + 10_000 + i / 10);
  const ends = sent.filter((m) => m.length === 20 && m[8] === 2).length;
  t.ok(ends <= 16, `1000 requests in 100 ms: one whole table answered (${ends} bulk ends, at most 16 pending nonces)`);
  t.equal(master.counters.bulkRequests, 1000, 'every request counted');
  master.stop();
  backup.stop();
});

t.test('a whole-table answer runs in slices: the thread is free between them, the backup still gets every entry', async (t) => {
  const a = new Harness({ maxConns: 1 << 16 });
  const b = new Harness({ maxConns: 1 << 16 });
  a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  b.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
  const now = 3_000_000;
  const N = 40_000;
  for (let i = 0; i < N; i++) {
    const c = `10.9.${i >> 8}.${i & 255}`;
    a.inp(IPPROTO_TCP, c, 5000, '192.0.2.10', 80, SYN, now);
    a.inp(IPPROTO_TCP, c, 5000, '192.0.2.10', 80, ACK, now);
  }
  let master: ConnSync | undefined;
  const backup = await ConnSync.start(
    { state: 'backup', mcastInterface: 'lo', syncId: 7, clock: () => now, maxDatagramsPerS: 1e9, transport: { send: (m) => master?.receive(m, now) } },
    port(b),
  );
  const sliced = { ...port(a), highWater: () => a.state.conns.highWater() };
  master = await ConnSync.start(
    { state: 'master', mcastInterface: 'lo', syncId: 7, periodMs: 0, clock: () => now, transport: { send: (m) => backup.receive(m, now) } },
    sliced,
  );
  master.counters.lastFullSyncMs = now; // not a new master: only the bulk answer sends the idle entries
  backup.tick(now + 2000);
  t.equal(master.counters.bulkRequests, 1);
  t.ok(master.counters.entriesSent < N, `the answer returned after its first slice (${master.counters.entriesSent} of ${N} entries)`);
  for (let i = 0; i < 200 && !backup.counters.caughtUp; i++) await new Promise((r) => setTimeout(r, 20));
  t.ok(backup.counters.caughtUp, 'caught up after the last slice and the bulk end');
  t.equal(backup.counters.installedNew, N, 'every entry installed');
  master.stop();
  backup.stop();
});
