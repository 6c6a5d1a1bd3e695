// twos (ip_vs_twos.c): random, so tested by distribution. With a random source that enumerates
// every residue the counts are exact; with Math.random they match within a wide tolerance.
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';

const flow = makeFlow('203.0.113.1', 40000, '10.0.0.1', 80);

t.test('no load: choice1 only, P = weight share over T+1 with the first dest getting +1', async (t) => {
  // list A1 B2 C3, T = 6, r1 in 0..6: r 0,1 -> A; 2,3 -> B; 4,5,6 -> C. All overheads 0, so
  // w2*oh1 > w1*oh2 is false and choice1 is returned: A 2/7, B 2/7, C 3/7.
  const v = ArrayDestView.inListOrder([1, 2, 3].map((w) => ({ address: `10.0.0.${w}`, weight: w })));
  let k = 0;
  const s = createScheduler('twos', [], { random: () => k++ });
  s.update(v, { kind: 'init' });
  const counts = [0, 0, 0];
  for (let i = 0; i < 700; i++) counts[s.schedule(v, flow, 0)]!++;
  // r1 = k % 7 with k stepping by 2 visits every residue once per 7 picks.
  t.same(counts, [200, 200, 300]);
});

t.test('load: the less loaded of the two choices wins', async (t) => {
  // list A1 (active 10) B1 (idle), T = 2: r in {0,1} -> A, {2} -> B. Result is B when choice1 = B
  // (3 of 9 pairs) or choice1 = A and choice2 = B (2 of 9): 5 of 9 pairs.
  const v = ArrayDestView.inListOrder([
    { address: '10.0.0.1', weight: 1, active: 10 },
    { address: '10.0.0.2', weight: 1 },
  ]);
  const seq: number[] = [];
  for (let r1 = 0; r1 < 3; r1++) for (let r2 = 0; r2 < 3; r2++) seq.push(r1, r2);
  let k = 0;
  const s = createScheduler('twos', [], { random: () => seq[k++]! });
  s.update(v, { kind: 'init' });
  let b = 0;
  for (let i = 0; i < 9; i++) if (s.schedule(v, flow, 0) === 1) b++;
  t.equal(b, 5);
});

t.test('Math.random distribution and exclusions', async (t) => {
  const v = ArrayDestView.inListOrder([
    { address: '10.0.0.1', weight: 1 },
    { address: '10.0.0.2', weight: 2 },
    { address: '10.0.0.3', weight: 3 },
    { address: '10.0.0.4', weight: 0 },
    { address: '10.0.0.5', weight: 5, overloaded: true },
  ]);
  const s = createScheduler('twos');
  s.update(v, { kind: 'init' });
  const counts = [0, 0, 0, 0, 0];
  const n = 70000;
  for (let i = 0; i < n; i++) counts[s.schedule(v, flow, 0)]!++;
  t.equal(counts[3], 0, 'weight 0 never chosen');
  t.equal(counts[4], 0, 'overloaded never chosen');
  for (const [i, p] of [
    [0, 2 / 7],
    [1, 2 / 7],
    [2, 3 / 7],
  ] as const)
    t.ok(Math.abs(counts[i]! / n - p) < 0.01, `dest ${i} near ${p.toFixed(3)}`);
  for (const d of v.dests) d.overloaded = true;
  t.equal(s.schedule(v, flow, 0), -1, 'nothing eligible gives NULL');
});
