// wrr: expected sequences traced by hand through ip_vs_wrr_schedule / ip_vs_wrr_dest_changed
// (cl, cw, mw = max - (gcd - 1), di = gcd; restarts at the list head on every change).
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';
import type { Scheduler } from '../../src/sched/types.js';

const flow = makeFlow('203.0.113.1', 40000, '10.0.0.1', 80);

function picks(s: Scheduler, v: ArrayDestView, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) {
    const k = s.schedule(v, flow, 0);
    out += k < 0 ? '-' : v.dests[k]!.address.split('.')[3];
  }
  return out;
}

/** Adds dests in ipvsadm order, calling update('add') after each, as the kernel does. */
function build(ws: Array<[string, number]>): { s: Scheduler; v: ArrayDestView } {
  const s = createScheduler('wrr');
  const v = new ArrayDestView();
  s.update(v, { kind: 'init' });
  for (const [a, w] of ws) s.update(v, { kind: 'add', index: v.add({ address: `10.0.0.${a}`, weight: w }) });
  return { s, v };
}

t.test('-a 1 w1, -a 2 w2, -a 3 w3: cw comes from the first add', async (t) => {
  // -a 1: mw 1, cw 0 -> 1. -a 2, -a 3: mw 2, 3 but cw 1 is kept (cw <= mw, di 1).
  // list 3(3) 2(2) 1(1). cw 1: 3 2 1 | cw 0 -> restart at mw 3: 3 | cw 2: 3 2 | cw 1: 3 2 1 | 3 ...
  const { s, v } = build([
    ['1', 1],
    ['2', 2],
    ['3', 3],
  ]);
  t.equal(picks(s, v, 12), '321332321332');
});

t.test('scheduler bound to a service that already has dests (-E -s wrr): cw = mw', async (t) => {
  // init_service computes mw 3 from the existing list 3(3) 2(2) 1(1) and cw = mw:
  // cw 3: 3 | cw 2: 3 2 | cw 1: 3 2 1 | restart.
  const v = ArrayDestView.addedInOrder([1, 2, 3].map((w) => ({ address: `10.0.0.${w}`, weight: w })));
  const s = createScheduler('wrr');
  s.update(v, { kind: 'init' });
  t.equal(picks(s, v, 12), '332321332321');
});

t.test('gcd > 1: weights 2 and 4', async (t) => {
  // -a 1 w2: di 2, mw 2-1 = 1, cw 0 -> 1. -a 2 w4: di 2, mw 3, cw = (1/2)*2+1 = 1.
  // list 2(4) 1(2). cw 1: 2 1 | cw -1 -> 3: 2 | cw 1: 2 1 | cw 3: 2 ...
  const { s, v } = build([
    ['1', 2],
    ['2', 4],
  ]);
  t.equal(picks(s, v, 6), '212212');
});

t.test('edit restarts at the head and keeps cw when di = 1', async (t) => {
  // After 3 2 1 (cw 1, cl = 1) -e 1 with the same weight: cl = head, cw 1 kept.
  // So the cw-1 pass is repeated from the head: 3 2 1 | restart cw 3: 3 | cw 2: 3 2.
  // (Without the edit the next picks would have been 3 3 2 3 2 1.)
  const { s, v } = build([
    ['1', 1],
    ['2', 2],
    ['3', 3],
  ]);
  t.equal(picks(s, v, 3), '321');
  s.update(v, { kind: 'edit', index: v.indexOf('10.0.0.1') });
  t.equal(picks(s, v, 8), '32133232');
});

t.test('add changes mw: new dest at the head, cw kept', async (t) => {
  // list 2(4) 1(2), cw 1: first pick 2. -a 3 w3 -> list 3(3) 2(4) 1(2): di 1, mw 4, cw 1 kept,
  // cl = head. cw 1: 3 2 1 | cw 0 -> 4: 2 | cw 3: 3 2 | cw 2: 3 2 1 | cw 1: 3.
  const { s, v } = build([
    ['1', 2],
    ['2', 4],
  ]);
  t.equal(picks(s, v, 1), '2');
  s.update(v, { kind: 'add', index: v.add({ address: '10.0.0.3', weight: 3 }) });
  t.equal(picks(s, v, 10), '3212323213');
});

t.test('di > 1 after a change rounds cw to a multiple of di plus one', async (t) => {
  // list 3(3) 2(2) 1(1), cw 1: picks 3 2 1 | restart cw 3: 3 | cw 2: 3  -> now cw 2, cl = 3.
  // -e 3 -w 4: di 1, mw 4, cw 2 kept. -e 1 -w 2: weights 4 2 2, di 2, mw 3, cw = (2/2)*2+1 = 3.
  // cl = head, cw 3: 3 | cw 1: 3 2 1 | cw -1 -> 3: 3 | cw 1: 3 2 1.  (cw 2 unrounded would give 3 2 ...)
  const { s, v } = build([
    ['1', 1],
    ['2', 2],
    ['3', 3],
  ]);
  t.equal(picks(s, v, 5), '32133');
  const c = v.indexOf('10.0.0.3');
  v.setWeight(c, 4);
  s.update(v, { kind: 'edit', index: c });
  const a = v.indexOf('10.0.0.1');
  v.setWeight(a, 2);
  s.update(v, { kind: 'edit', index: a });
  t.equal(picks(s, v, 8), '33213321');
});

t.test('delete restarts at the head', async (t) => {
  // 3 2 1 (cw 1, cl = 1) then -d 2: list 3(3) 1(1), di 1, mw 3, cw 1 kept, cl = head.
  // cw 1: 3 1 | cw 0 -> 3: 3 | cw 2: 3 | cw 1: 3 1 | cw 3: 3.
  const { s, v } = build([
    ['1', 1],
    ['2', 2],
    ['3', 3],
  ]);
  t.equal(picks(s, v, 3), '321');
  const i = v.indexOf('10.0.0.2');
  v.remove(i);
  s.update(v, { kind: 'del', index: i });
  t.equal(picks(s, v, 7), '3133313');
});

t.test('weight 0 and overload', async (t) => {
  // All weights 0 => mw 0 => NULL.
  const z = build([
    ['1', 0],
    ['2', 0],
  ]);
  t.equal(picks(z.s, z.v, 2), '--');
  // 1 w0, 2 w1: only 2 (weight 0 never reaches cw >= 1).
  const o = build([
    ['1', 0],
    ['2', 1],
  ]);
  t.equal(picks(o.s, o.v, 3), '222');
  // Both overloaded: one pass at cw 1 from the head, then "all destinations are overloaded".
  const b = build([
    ['1', 1],
    ['2', 1],
  ]);
  for (const d of b.v.dests) d.overloaded = true;
  t.equal(picks(b.s, b.v, 2), '--');
  // Overload clears: continues normally.
  for (const d of b.v.dests) d.overloaded = false;
  t.equal(picks(b.s, b.v, 4), '2121');
});

t.test('huge weights stay exact', async (t) => {
  // -a 1 w1 (cw 1), -a 2 w 2^31-1 (mw 2^31-1, cw 1 kept). cw 1: 2 1 | restart at 2^31-1: 2 |
  // cw 2^31-2: 2 | ... the heavy one until cw reaches 1 again.
  const { s, v } = build([
    ['1', 1],
    ['2', 2147483647],
  ]);
  t.equal(picks(s, v, 5), '21222');
});
