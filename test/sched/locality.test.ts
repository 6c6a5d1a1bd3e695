// lblc and lblcr (ip_vs_lblc.c, ip_vs_lblcr.c): cache keyed by destination address, wlc on a
// miss, "lblc-overloaded" = active > weight while some dest has active*2 < weight, periodic GC.
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';
import type { Scheduler } from '../../src/sched/types.js';

const toD1 = makeFlow('203.0.113.1', 40000, '198.51.100.1', 80);
const toD2 = makeFlow('203.0.113.1', 40000, '198.51.100.2', 80);
const MIN = 60_000;

/** list C(3) B(2) A(1) (added A, B, C). */
function setup(name: string, opts = {}): { s: Scheduler; v: ArrayDestView; n: (k: number) => string } {
  const v = ArrayDestView.addedInOrder([1, 2, 3].map((w) => ({ address: `10.0.0.${w}`, weight: w })));
  const s = createScheduler(name, [], opts);
  s.update(v, { kind: 'init' });
  const n = (k: number): string => (k < 0 ? '-' : 'ABC'[Number(v.dests[k]!.address.split('.')[3]) - 1]!);
  return { s, v, n };
}
const dest = (v: ArrayDestView, name: string) => v.dests[v.indexOf(`10.0.0.${'ABC'.indexOf(name) + 1}`)]!;

t.test('lblc: sticky per daddr until lblc-overloaded', async (t) => {
  const { s, v, n } = setup('lblc');
  // Miss: wlc over C3 B2 A1, all idle -> C; cached for 198.51.100.1.
  t.equal(n(s.schedule(v, toD1, 0)), 'C');
  // Make B the wlc choice (C active 3 = 768/3 > 0/2); the cache still answers C (3 <= weight 3).
  dest(v, 'C').active = 3;
  t.equal(n(s.schedule(v, toD1, 1)), 'C');
  // Another daddr misses and gets the wlc choice.
  t.equal(n(s.schedule(v, toD2, 2)), 'B');
  // OVERLOAD flag is not checked on a hit.
  dest(v, 'C').overloaded = true;
  t.equal(n(s.schedule(v, toD1, 3)), 'C');
  dest(v, 'C').overloaded = false;
  // C active 4 > 3 and B (0*2 < 2) exists -> lblc-overloaded -> wlc (B) replaces the entry.
  dest(v, 'C').active = 4;
  t.equal(n(s.schedule(v, toD1, 4)), 'B');
  dest(v, 'C').active = 0;
  t.equal(n(s.schedule(v, toD1, 5)), 'B', 'the entry now points at B');
  // Over weight but nobody under half its weight: not lblc-overloaded, stays.
  for (const d of v.dests) d.active = d.weight * 2;
  dest(v, 'B').active = 3;
  t.equal(n(s.schedule(v, toD1, 6)), 'B');
});

t.test('lblc: weight 0 and delete invalidate the entry', async (t) => {
  const { s, v, n } = setup('lblc');
  t.equal(n(s.schedule(v, toD1, 0)), 'C');
  const c = v.indexOf('10.0.0.3');
  v.setWeight(c, 0);
  s.update(v, { kind: 'edit', index: c });
  t.equal(n(s.schedule(v, toD1, 1)), 'B', 'weight 0 -> rescheduled to wlc (B)');
  v.setWeight(c, 3);
  s.update(v, { kind: 'edit', index: c });
  t.equal(n(s.schedule(v, toD1, 2)), 'B', 'entry was replaced, stays on B');
  const b = v.indexOf('10.0.0.2');
  v.remove(b);
  s.update(v, { kind: 'del', index: b });
  t.equal(n(s.schedule(v, toD1, 3)), 'C', 'B deleted -> wlc over C A -> C');
  // Indices shift on add: -a D at the head; the entry still means C.
  s.update(v, { kind: 'add', index: v.add({ address: '10.0.0.9', weight: 1 }) });
  dest(v, 'C').active = 1; // wlc would now prefer the idle new dest
  t.equal(n(s.schedule(v, toD1, 4)), 'C');
});

t.test('lblc: expiry by the periodic full check', async (t) => {
  // Timer every 60 s from first use; the 30th run (t = 30 min) is the full check, which drops
  // entries idle >= lblc_expiration (10 min here).
  const run = (at: number): string => {
    const { s, v, n } = setup('lblc', { expirationMs: 10 * MIN });
    s.schedule(v, toD1, 0); // C cached at t = 0
    dest(v, 'C').active = 3; // wlc would choose B now
    return n(s.schedule(v, toD1, at));
  };
  t.equal(run(29 * MIN), 'C', 'before the full check the entry is kept (idle 29 min > 10 min)');
  t.equal(run(31 * MIN), 'B', 'after the 30-minute full check it is gone');
});

t.test('lblcr: replication and set shrinking', async (t) => {
  const { s, v, n } = setup('lblcr', { expirationMs: 10 * MIN });
  t.equal(n(s.schedule(v, toD1, 0)), 'C', 'miss: wlc -> set {C}');
  // C lblc-overloaded (4 > 3, B idle under half) -> wlc (B) is added: set {B, C}.
  dest(v, 'C').active = 4;
  t.equal(n(s.schedule(v, toD1, 1)), 'B');
  // set min over {B, C}: B 0/2 vs C 1024/3 -> B.
  t.equal(n(s.schedule(v, toD1, 2)), 'B');
  // Make C the set minimum: B 2 active (512/2 = 256) vs C 0 -> C (weighted least in the set,
  // though the whole-service wlc would pick idle A).
  dest(v, 'C').active = 0;
  dest(v, 'B').active = 2;
  t.equal(n(s.schedule(v, toD1, 3)), 'C');
  // 11 minutes after the last set change: size > 1 and expired -> the most loaded (B) is erased;
  // the pick is still the set minimum chosen before the erase (C).
  t.equal(n(s.schedule(v, toD1, 12 * MIN)), 'C');
  // Now the set is {C}: even with B idle again the answer stays C.
  dest(v, 'B').active = 0;
  t.equal(n(s.schedule(v, toD1, 12 * MIN + 1)), 'C');
  // Weight 0 on C: set min is NULL -> wlc over the service (B) is added.
  const c = v.indexOf('10.0.0.3');
  v.setWeight(c, 0);
  s.update(v, { kind: 'edit', index: c });
  t.equal(n(s.schedule(v, toD1, 12 * MIN + 2)), 'B');
});

t.test('nothing eligible gives NULL and caches nothing', async (t) => {
  for (const name of ['lblc', 'lblcr']) {
    const { s, v } = setup(name);
    for (const d of v.dests) d.overloaded = true;
    t.equal(s.schedule(v, toD1, 0), -1, name);
  }
});

t.test('lblc: partial GC above 16K entries and a full pool', async (t) => {
  const { s, v } = setup('lblc');
  const lb = s as unknown as { table: { entries: number } };
  const flow = makeFlow('203.0.113.1', 1, '198.51.0.0', 80);
  // 17000 destination addresses cached at t = 0.
  for (let i = 0; i < 17000; i++) {
    flow.daddr[0] = (0xc6330000 + i) >>> 0;
    s.schedule(v, flow, 0);
  }
  t.equal(lb.table.entries, 17000);
  // A fresh entry at t = 5 min.
  flow.daddr[0] = 0x0a0a0a0a;
  s.schedule(v, flow, 5 * MIN);
  // Tick at 6 min: 17001 > 16384, goal = (17001 - 16384) * 4 / 3 = 822 entries idle >= 6 min,
  // evicted bucket by bucket from the rover until the goal is met.
  s.schedule(v, flow, 6 * MIN);
  t.ok(lb.table.entries <= 17001 - 822, `evicted at least the goal (${lb.table.entries} left)`);
  t.ok(lb.table.entries > 17001 - 822 - 200, 'but only whole buckets past the goal');

  // A pool of 4 entries: the 5th address is scheduled (wlc) but not cached.
  const small = setup('lblc', { tableCapacity: 4 });
  const st = small.s as unknown as { table: { entries: number } };
  for (let i = 0; i < 5; i++) {
    flow.daddr[0] = (0xc6330000 + i) >>> 0;
    t.equal(small.n(small.s.schedule(small.v, flow, 0)), 'C');
  }
  t.equal(st.table.entries, 4);
});
