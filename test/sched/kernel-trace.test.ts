// rr and wrr against an independent model of the kernel code on a real linked list with a head
// sentinel (test/sched/kernel_model.py, which writes kernel-trace.json): 20 random sequences of
// 300 operations each (-a with weights 0..4, -d, -e weight 0..6, overload toggles, picks).
import t from 'tap';
import { readFileSync } from 'node:fs';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';

type Op = ['add', string, number] | ['del', string] | ['edit', string, number] | ['overload', string, boolean] | ['pick', string | null];
const traces = JSON.parse(readFileSync(new URL('./kernel-trace.json', import.meta.url), 'utf8')) as Record<'rr' | 'wrr', Op[][]>;
const flow = makeFlow('203.0.113.1', 40000, '10.0.0.1', 80);

for (const kind of ['rr', 'wrr'] as const) {
  t.test(kind, async (t) => {
    traces[kind].forEach((ops, n) => {
      const v = new ArrayDestView();
      const s = createScheduler(kind);
      s.update(v, { kind: 'init' });
      const got: Array<string | null> = [];
      const want: Array<string | null> = [];
      for (const op of ops) {
        if (op[0] === 'add') s.update(v, { kind: 'add', index: v.add({ address: op[1], weight: op[2] }) });
        else if (op[0] === 'del') {
          const i = v.indexOf(op[1]);
          v.remove(i);
          s.update(v, { kind: 'del', index: i });
        } else if (op[0] === 'edit') {
          const i = v.indexOf(op[1]);
          v.setWeight(i, op[2]);
          s.update(v, { kind: 'edit', index: i });
        } else if (op[0] === 'overload') v.dests[v.indexOf(op[1])]!.overloaded = op[2];
        else {
          const k = s.schedule(v, flow, 0);
          got.push(k < 0 ? null : v.dests[k]!.address);
          want.push(op[1]);
        }
      }
      t.same(got, want, `trace ${n + 1} (${want.length} picks)`);
    });
  });
}
