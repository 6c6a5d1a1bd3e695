/**
 * A machine-speed reference printed by the CPU benchmarks (bench/report.ts): CPU ns per iteration of a
 * trivial integer loop (about 0.5 ns on an idle 2 GHz core). When it reads several times that, the
 * machine is shared or throttled and every figure next to it is inflated by roughly the same factor.
 */
export function calibrationNs(): number {
  const f = (n: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) s = (s + i * 3) | 0;
    return s;
  };
  f(1e6);
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const u0 = process.cpuUsage();
    f(2e7);
    const u = process.cpuUsage(u0);
    best = Math.min(best, ((u.user + u.system) * 1000) / 2e7);
  }
  return best;
}
