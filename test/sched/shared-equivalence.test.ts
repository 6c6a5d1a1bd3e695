// Property: two scheduler instances over one state buffer, fed the same configuration changes
// (same generations) and taking turns, pick exactly what one unshared instance picks. Random
// (seeded) sequences of -a/-d/-e, weight 0, overload and connection-count changes.
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow, schedulerStateBytes } from '../../src/sched/index.js';
import type { DestChange } from '../../src/sched/types.js';

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 4294967296;
}

for (const name of ['rr', 'wrr', 'lblc', 'lblcr', 'sh', 'mh', 'dh', 'wlc']) {
  t.test(`${name}: shared pair == single instance`, async (t) => {
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = lcg(seed * 7919);
      const view = new ArrayDestView();
      const state = new SharedArrayBuffer(schedulerStateBytes(name));
      const a = createScheduler(name, [], { state });
      const b = createScheduler(name, [], { state });
      const ref = createScheduler(name);
      let gen = 1;
      const change = (c: DestChange): void => {
        a.update(view, { ...c, generation: gen });
        b.update(view, { ...c, generation: gen });
        ref.update(view, c);
        gen++;
      };
      change({ kind: 'init' });
      let next = 1;
      const got: number[] = [];
      const want: number[] = [];
      for (let step = 0; step < 300; step++) {
        const r = rnd();
        if (r < 0.08 && view.count < 12) {
          change({ kind: 'add', index: view.add({ address: `10.0.${next >> 8}.${next++ & 255}`, port: 80, weight: Math.floor(rnd() * 5) }) });
        } else if (r < 0.12 && view.count > 1) {
          const i = Math.floor(rnd() * view.count);
          view.remove(i);
          change({ kind: 'del', index: i });
        } else if (r < 0.18 && view.count > 0) {
          const i = Math.floor(rnd() * view.count);
          view.setWeight(i, Math.floor(rnd() * 6));
          change({ kind: 'edit', index: i });
        } else if (r < 0.22 && view.count > 0) {
          const d = view.dests[Math.floor(rnd() * view.count)]!;
          d.overloaded = !d.overloaded;
        } else {
          const flow = makeFlow(`203.0.113.${Math.floor(rnd() * 8)}`, 1000, `198.51.100.${Math.floor(rnd() * 4)}`, 80);
          const now = step * 30_000;
          const x = (step & 1 ? b : a).schedule(view, flow, now);
          const y = ref.schedule(view, flow, now);
          got.push(x);
          want.push(y);
          if (y >= 0) view.dests[y]!.active++;
          if (rnd() < 0.3) for (const d of view.dests) if (d.active > 0) d.active--;
        }
      }
      t.same(got, want, `seed ${seed}`);
    }
  });
}
