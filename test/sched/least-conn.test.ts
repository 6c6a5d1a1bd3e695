// lc, wlc, sed, nq, fo, ovf: expected picks derived by hand from ip_vs_{lc,wlc,sed,nq,fo,ovf}.c.
// Views are built in *list order* (index 0 = list head) so the tables read like the kernel's walk.
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';
import type { ArrayDestInit } from '../../src/sched/array-dest-view.js';

const flow = makeFlow('203.0.113.1', 40000, '10.0.0.1', 80);
const D = (name: string, weight: number, active = 0, inactive = 0, overloaded = false): ArrayDestInit => ({
  address: `10.0.0.${name.charCodeAt(0) - 64}`,
  weight,
  active,
  inactive,
  overloaded,
});
const nameOf = (v: ArrayDestView, k: number): string => (k < 0 ? '-' : String.fromCharCode(64 + Number(v.dests[k]!.address.split('.')[3])));

function pick(sched: string, list: ArrayDestInit[]): string {
  const v = ArrayDestView.inListOrder(list);
  const s = createScheduler(sched);
  s.update(v, { kind: 'init' });
  return nameOf(v, s.schedule(v, flow, 0));
}

/** Repeated picks, each adding one active connection to the chosen dest. */
function simulate(sched: string, list: ArrayDestInit[], n: number): string {
  const v = ArrayDestView.inListOrder(list);
  const s = createScheduler(sched);
  s.update(v, { kind: 'init' });
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = s.schedule(v, flow, 0);
    out += nameOf(v, k);
    if (k >= 0) v.dests[k]!.active++;
  }
  return out;
}

const table: Array<[string, string, ArrayDestInit[], string]> = [
  // lc: minimum of active*256 + inactive, strict <, weight only excludes 0.
  ['lc', 'all idle: first in list', [D('C', 3), D('B', 2), D('A', 1)], 'C'],
  ['lc', 'one active (256) loses to idle', [D('C', 3, 1), D('B', 2), D('A', 1)], 'B'],
  ['lc', '255 inactive < 1 active', [D('C', 1, 1), D('B', 1, 0, 255)], 'B'],
  ['lc', '256 inactive ties 1 active: first wins', [D('C', 1, 1), D('B', 1, 0, 256)], 'C'],
  ['lc', 'weight 0 skipped', [D('C', 0), D('B', 1, 5)], 'B'],
  ['lc', 'overloaded skipped', [D('C', 1, 0, 0, true), D('B', 1, 5)], 'B'],
  ['lc', 'nothing eligible', [D('C', 0), D('B', 1, 0, 0, true)], '-'],
  // wlc: first eligible, then replace iff oh(best)*w(d) > oh(d)*w(best).
  ['wlc', 'all idle: first in list', [D('C', 3), D('B', 2), D('A', 1)], 'C'],
  ['wlc', 'oh/w: A 256/1 vs B 256/2 -> B', [D('A', 1, 1), D('B', 2, 1)], 'B'],
  ['wlc', 'equal ratio keeps the earlier', [D('A', 1, 1), D('B', 2, 2)], 'A'],
  ['wlc', 'weight-0 first in list is skipped as a start', [D('A', 0), D('B', 1, 3)], 'B'],
  ['wlc', 'weight-0 later dest never wins even idle', [D('A', 1, 3), D('B', 0)], 'A'],
  ['wlc', 'overloaded skipped', [D('A', 1, 0, 0, true), D('B', 1, 9)], 'B'],
  // exactness: A oh n w n-1, B oh n+1 w n with n = 2^31-2: n*n > (n+1)(n-1) = n*n - 1 -> B;
  // both products round to the same double, so a Number comparison would keep A.
  ['wlc', 'exact 62-bit cross products', [D('A', 2147483645, 8388607, 254), D('B', 2147483646, 8388607, 255)], 'B'],
  // sed: overhead active+1, inactive ignored.
  ['sed', 'inactive ignored', [D('A', 1, 0, 1000), D('B', 1, 1)], 'A'],
  ['sed', '(1+1)*1 vs (2+1)... A a1 w1, B a2 w3: 2*3 > 3*1 -> B', [D('A', 1, 1), D('B', 3, 2)], 'B'],
  // nq: first idle returned at once, else sed.
  ['nq', 'first idle wins even with low weight', [D('A', 1, 5), D('B', 1), D('C', 100)], 'B'],
  ['nq', 'idle weight-0 is not idle-eligible', [D('A', 0), D('B', 1, 2)], 'B'],
  ['nq', 'no idle: sed rule', [D('A', 1, 1), D('B', 3, 2)], 'B'],
  // fo: highest weight, strict >, connections ignored.
  ['fo', 'highest weight, first on ties', [D('A', 1), D('B', 3, 50), D('C', 3)], 'B'],
  ['fo', 'overloaded highest is skipped', [D('A', 1), D('B', 3, 0, 0, true), D('C', 3)], 'C'],
  ['fo', 'all weight 0', [D('A', 0), D('B', 0)], '-'],
  // ovf: skip active > weight; highest weight.
  ['ovf', 'active == weight still eligible', [D('A', 2), D('B', 5, 5)], 'B'],
  ['ovf', 'active > weight overflows to next', [D('A', 2), D('B', 5, 6)], 'A'],
];

for (const [sched, name, list, want] of table) t.equal(pick(sched, list), want, `${sched}: ${name}`);

t.test('sequences with one new active connection per pick', async (t) => {
  // wlc, list A1 B2 C3 (reference §1): A B C C B C, then the same with every count doubled.
  t.equal(simulate('wlc', [D('A', 1), D('B', 2), D('C', 3)], 12), 'ABCCBCABCCBC');
  // sed, list A1 B2 C3: overheads (a+1): C | B | C | A (1*3 > 3*1 false, 1*2 > 2*1 false) | B | C | C.
  t.equal(simulate('sed', [D('A', 1), D('B', 2), D('C', 3)], 7), 'CBCABCC');
  // nq: idle ones first in list order (A B C), then sed: C (2*3 > 2*2), B, C.
  t.equal(simulate('nq', [D('A', 1), D('B', 2), D('C', 3)], 6), 'ABCCBC');
  // lc ignores weights: round robin over equal counts.
  t.equal(simulate('lc', [D('A', 1), D('B', 2), D('C', 3)], 6), 'ABCABC');
  // ovf: B (5, first of the ties) takes 6 (active 0..5), C 6, A 3, then nothing.
  t.equal(simulate('ovf', [D('A', 2), D('B', 5), D('C', 5)], 16), 'BBBBBBCCCCCCAAA-');
  // fo: always B.
  t.equal(simulate('fo', [D('A', 1), D('B', 2)], 3), 'BBB');
});
