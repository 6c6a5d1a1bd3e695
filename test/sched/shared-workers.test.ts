// Two worker threads, each with its own scheduler instances over shared SharedArrayBuffers, behave
// as one kernel scheduler: the same rr/wrr sequence when they take turns, exact per-dest counts when
// they race (no lost or doubled pointer updates), one lblc cache, config changes applied once.
import t from 'tap';
import { Worker } from 'node:worker_threads';
import { ArrayDestView, createScheduler, makeFlow, schedulerStateBytes } from '../../src/sched/index.js';

const isTs = import.meta.url.endsWith('.ts');
const indexUrl = new URL(`../../src/sched/index.${isTs ? 'ts' : 'js'}`, import.meta.url).href;
const loaderUrl = new URL('../../node_modules/@tapjs/typescript/dist/esm/import.mjs', import.meta.url).href;

// The worker: for each setup, builds the same view (added in the same order) and a scheduler over
// that setup's shared state. Two workers serve every scenario (loading TS in a worker is slow).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.loader) await import(workerData.loader);
  const m = await import(workerData.index);
  const setups = new Map();
  for (const su of workerData.setups) {
    const v = m.ArrayDestView.addedInOrder(su.dests);
    const s = m.createScheduler(su.name, [], { state: su.state });
    s.update(v, { kind: 'init', generation: 1 });
    setups.set(su.id, { v, s });
  }
  const flow = m.makeFlow('203.0.113.1', 40000, '198.51.100.1', 80);
  parentPort.on('message', (msg) => {
    const { v, s } = setups.get(msg.id);
    if (msg.cmd === 'pick') {
      if (msg.daddr) flow.daddr.set(m.makeFlow('203.0.113.1', 1, msg.daddr, 80).daddr);
      parentPort.postMessage(s.schedule(v, flow, 0));
    } else if (msg.cmd === 'del') {
      const i = v.indexOf(msg.address);
      v.remove(i);
      s.update(v, { kind: 'del', index: i, generation: msg.generation });
      parentPort.postMessage('ok');
    } else if (msg.cmd === 'set') {
      Object.assign(v.dests[v.indexOf(msg.address)], msg.fields);
      parentPort.postMessage('ok');
    } else if (msg.cmd === 'burst') {
      const counts = new Array(v.count).fill(0);
      for (let i = 0; i < msg.n; i++) counts[s.schedule(v, flow, 0)]++;
      parentPort.postMessage(counts);
    }
  });
  parentPort.postMessage('ready');
})().catch((e) => parentPort.postMessage('error: ' + (e && e.stack || e)));
`;

type Dest = { address: string; weight: number };
type Setup = { id: string; name: string; dests: Dest[]; state: SharedArrayBuffer };

class SchedWorker {
  private readonly w: Worker;
  private readonly queue: Array<(v: unknown) => void> = [];
  readonly ready: Promise<unknown>;
  constructor(setups: Setup[]) {
    this.w = new Worker(WORKER, { eval: true, workerData: { setups, index: indexUrl, loader: isTs ? loaderUrl : undefined } });
    this.w.on('message', (m) => this.queue.shift()?.(m));
    this.ready = new Promise((res) => this.queue.push(res));
  }
  call(msg: object): Promise<unknown> {
    return new Promise((res) => {
      this.queue.push(res);
      this.w.postMessage(msg);
    });
  }
  stop(): Promise<number> {
    return this.w.terminate();
  }
}

const RR_DESTS: Dest[] = [1, 2, 3, 4].map((i) => ({ address: `10.0.0.${i}`, weight: 1 }));
const WRR_DESTS: Dest[] = [1, 2, 3].map((i) => ({ address: `10.0.0.${i}`, weight: i }));
const SETUPS: Setup[] = [
  ...(['rr', 'wrr'] as const).flatMap((name) =>
    ['alt', 'race'].map((mode) => ({
      id: `${name}-${mode}`,
      name,
      dests: name === 'rr' ? RR_DESTS : WRR_DESTS,
      state: new SharedArrayBuffer(schedulerStateBytes(name)),
    })),
  ),
  { id: 'lblc', name: 'lblc', dests: WRR_DESTS, state: new SharedArrayBuffer(schedulerStateBytes('lblc')) },
];
const A = new SchedWorker(SETUPS);
const B = new SchedWorker(SETUPS);
t.teardown(async () => {
  await A.stop();
  await B.stop();
});

t.test('workers start', async (t) => {
  t.equal(await A.ready, 'ready');
  t.equal(await B.ready, 'ready');
});

/** The sequence one unshared scheduler produces, with the same delete after `delAfter` picks. */
function reference(name: string, dests: Dest[], n: number, delAfter: number, delAddress: string): number[] {
  const v = ArrayDestView.addedInOrder(dests);
  const s = createScheduler(name);
  s.update(v, { kind: 'init' });
  const flow = makeFlow('203.0.113.1', 40000, '198.51.100.1', 80);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === delAfter) {
      const k = v.indexOf(delAddress);
      v.remove(k);
      s.update(v, { kind: 'del', index: k });
    }
    out.push(s.schedule(v, flow, 0));
  }
  return out;
}

for (const [name, dests] of [
  ['rr', RR_DESTS],
  ['wrr', WRR_DESTS],
] as const) {
  t.test(`${name}: alternating workers give the single-scheduler sequence, delete applied once`, async (t) => {
    const id = `${name}-alt`;
    const got: number[] = [];
    for (let i = 0; i < 14; i++) {
      if (i === 7) {
        // Both workers see the same change (generation 2); only the first applies the shared part.
        t.equal(await A.call({ id, cmd: 'del', address: '10.0.0.2', generation: 2 }), 'ok');
        t.equal(await B.call({ id, cmd: 'del', address: '10.0.0.2', generation: 2 }), 'ok');
      }
      got.push((await (i % 2 ? B : A).call({ id, cmd: 'pick' })) as number);
    }
    t.same(got, reference(name, dests, 14, 7, '10.0.0.2'));
  });

  t.test(`${name}: racing workers lose no pointer update`, async (t) => {
    const id = `${name}-race`;
    const n = 30000; // 60000 picks in all: a whole number of rr (4) and wrr (6) cycles
    const [ca, cb] = (await Promise.all([A.call({ id, cmd: 'burst', n }), B.call({ id, cmd: 'burst', n })])) as number[][];
    const total = ca!.map((x, i) => x + cb![i]!);
    // list order is reverse of adding: rr 4 dests x 15000; wrr weights 3 2 1 of a 6-pick cycle.
    t.same(total, name === 'rr' ? [15000, 15000, 15000, 15000] : [30000, 20000, 10000]);
  });
}

t.test('lblc: one cache for both workers', async (t) => {
  const id = 'lblc';
  // Worker A: miss, wlc over C3 B2 A1 -> C (index 0), cached for 198.51.100.1.
  t.equal(await A.call({ id, cmd: 'pick', daddr: '198.51.100.1' }), 0);
  // In worker B's view C is busier (3 active), so its own wlc would pick B; the shared cache says C.
  t.equal(await B.call({ id, cmd: 'set', address: '10.0.0.3', fields: { active: 3 } }), 'ok');
  t.equal(await B.call({ id, cmd: 'pick', daddr: '198.51.100.1' }), 0);
  // A new daddr misses in B and gets B's wlc choice (B, index 1), which A then reuses.
  t.equal(await B.call({ id, cmd: 'pick', daddr: '198.51.100.2' }), 1);
  t.equal(await A.call({ id, cmd: 'pick', daddr: '198.51.100.2' }), 1);
});
