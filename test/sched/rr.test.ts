// rr: expected sequences derived by hand from ip_vs_rr.c (see each case's comment).
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';
import type { DestChange } from '../../src/sched/types.js';

const flow = makeFlow('203.0.113.1', 40000, '10.0.0.1', 80);

type Step = { pick: number } | { add: string; weight?: number } | { del: string } | { weight: string; to: number } | { overload: string; on: boolean };

/** Runs steps against one rr scheduler; returns picked names ('-' for NULL). */
function run(initial: string[], steps: Step[]): string {
  const v = ArrayDestView.addedInOrder(initial.map((a) => ({ address: a })));
  const s = createScheduler('rr');
  s.update(v, { kind: 'init' });
  let out = '';
  for (const st of steps) {
    let change: DestChange | undefined;
    if ('pick' in st) {
      for (let i = 0; i < st.pick; i++) {
        const k = s.schedule(v, flow, 0);
        out += k < 0 ? '-' : v.dests[k]!.address.split('.')[3];
      }
      continue;
    }
    if ('add' in st) change = { kind: 'add', index: v.add({ address: st.add, weight: st.weight ?? 1 }) };
    else if ('del' in st) {
      const i = v.indexOf(st.del);
      v.remove(i);
      change = { kind: 'del', index: i };
    } else if ('weight' in st) {
      const i = v.indexOf(st.weight);
      v.setWeight(i, st.to);
      change = { kind: 'edit', index: i };
    } else {
      v.dests[v.indexOf(st.overload)]!.overloaded = st.on;
    }
    out += '|';
    if (change) s.update(v, change);
  }
  return out;
}

// Real servers 10.0.0.1..3 are called 1, 2, 3 in the expected strings.
const A = '10.0.0.1',
  B = '10.0.0.2',
  C = '10.0.0.3',
  D = '10.0.0.4';
const cases: Array<[string, string[], Step[], string]> = [
  // -a 1, -a 2, -a 3 => list 3,2,1 (push-front); pointer starts at the head => 3 2 1 3 2 1.
  ['list order is the reverse of adding', [A, B, C], [{ pick: 6 }], '321321'],
  // weight 0 on 2: skipped by the walk => 3 1 3 1.
  ['weight 0 is skipped', [A, B, C], [{ weight: B, to: 0 }, { pick: 4 }], '|3131'],
  // OVERLOAD on 1 (thresholds): skipped like weight 0.
  ['overloaded is skipped', [A, B, C], [{ overload: A, on: true }, { pick: 4 }], '|3232'],
  // pointer on 2 (after 3, 2); deleting 2 moves it to its predecessor 3 (ip_vs_rr_del_dest) => next is 1.
  ['delete of the pointed dest moves the pointer back', [A, B, C], [{ pick: 2 }, { del: B }, { pick: 3 }], '32|131'],
  // deleting a dest before the pointer keeps the pointer on the same dest (3, pointer on 3; delete 1 => next 2?):
  // list 3,2,1, pointer on 3; delete 1 (after the pointer) => next 2, then 3.
  ['delete elsewhere keeps the pointer', [A, B, C], [{ pick: 1 }, { del: A }, { pick: 3 }], '3|232'],
  // pointer on 3 (index 0); -a 4 goes to the head, the pointer stays on 3 => 2 1 4 3.
  ['add does not move the pointer', [A, B, C], [{ pick: 1 }, { add: D }, { pick: 4 }], '3|2143'],
  // pointer still at the list head: the first pick after an add is the new head.
  ['add before any pick starts at the new head', [A, B], [{ add: C }, { pick: 3 }], '|321'],
  // all quiesced => NULL every time, and recovery afterwards continues after the last chosen dest.
  ['all weight 0 gives NULL', [A, B], [{ pick: 1 }, { weight: A, to: 0 }, { weight: B, to: 0 }, { pick: 2 }, { weight: A, to: 1 }, { pick: 2 }], '2||--|11'],
  // the pointed dest itself is checked last in the second pass: only 2 eligible, pointer on 2 => 2 2 2.
  ['the pointed dest is retried last', [A, B, C], [{ pick: 2 }, { weight: A, to: 0 }, { weight: C, to: 0 }, { pick: 3 }], '32||222'],
];

for (const [name, initial, steps, want] of cases) {
  t.equal(run(initial, steps), want, name);
}

t.test('empty service gives NULL', async (t) => {
  const s = createScheduler('rr');
  const v = new ArrayDestView();
  s.update(v, { kind: 'init' });
  t.equal(s.schedule(v, flow, 0), -1);
});
