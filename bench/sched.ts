/**
 * Scheduler pick cost (ns/pick) for every IPVS scheduler with 3, 100 and 1000 real servers.
 *
 * Run (one command, from the repo root):
 *   TS_NODE_TRANSPILE_ONLY=1 node --import @tapjs/typescript/import bench/sched.ts [--quick] [--write]
 * --write also writes the table with machine info to bench/sched.md; --quick runs shorter loops.
 *
 * The view is a typed-array DestView (as the data plane's shared counters are); flows come from a
 * pre-built pool of 4096 FlowKeys (distinct client and destination addresses), so the measured
 * loop allocates nothing. Time is the process's CPU time (process.cpuUsage), not wall time, so
 * other load on the machine does not inflate it. Each pick adds one active connection to the chosen dest, and a ring of
 * the last 2048 picks retires them again, so least-connection schedulers see moving counters.
 */
import { cpus, totalmem, release, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { createScheduler, SCHEDULER_NAMES, makeFlow } from '../src/sched/index.js';
import type { DestView, FlowKey } from '../src/sched/types.js';

/** A DestView over typed arrays, like the data plane's shared per-dest counters. */
class TypedDestView implements DestView {
  readonly weights: Int32Array;
  readonly active: Int32Array;
  readonly inactive: Int32Array;
  readonly flags: Uint8Array;
  readonly addrs: Uint32Array[];
  readonly ports: Uint16Array;
  constructor(
    readonly count: number,
    seed: number,
  ) {
    let x = seed;
    const rnd = (): number => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) / 16777216;
    this.weights = Int32Array.from({ length: count }, () => 1 + Math.floor(rnd() * 100));
    this.active = Int32Array.from({ length: count }, () => Math.floor(rnd() * 50));
    this.inactive = Int32Array.from({ length: count }, () => Math.floor(rnd() * 200));
    this.flags = new Uint8Array(count);
    this.addrs = Array.from({ length: count }, (_, i) => Uint32Array.of((0xc0a80000 + i + 1) >>> 0, 0, 0, 0));
    this.ports = new Uint16Array(count).fill(80);
  }
  weight(i: number): number {
    return this.weights[i]!;
  }
  activeConns(i: number): number {
    return this.active[i]!;
  }
  inactiveConns(i: number): number {
    return this.inactive[i]!;
  }
  overloaded(i: number): boolean {
    return this.flags[i] === 1;
  }
  available(_i: number): boolean {
    return true;
  }
  addr(i: number): Uint32Array {
    return this.addrs[i]!;
  }
  port(i: number): number {
    return this.ports[i]!;
  }
}

const quick = process.argv.includes('--quick');
const write = process.argv.includes('--write');
const SIZES = [3, 100, 1000];
const POOL = 4096;
const flows: FlowKey[] = Array.from({ length: POOL }, (_, i) => makeFlow(`198.18.${(i >> 8) & 255}.${i & 255}`, 1024 + i, `203.0.113.${i % 251}`, 80));

interface Row {
  name: string;
  nsPerPick: number[];
  updateMs: number[];
}

/** CPU time of this process in ns (user + system): robust when other processes share the cores. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function bench(name: string, n: number): { ns: number; updateMs: number } {
  const v = new TypedDestView(n, 12345 + n);
  const flags = name === 'sh' ? ['sh-port'] : name === 'mh' ? ['mh-port'] : [];
  const s = createScheduler(name, flags);
  const u0 = process.hrtime.bigint();
  s.update(v, { kind: 'init' });
  const updateMs = Number(process.hrtime.bigint() - u0) / 1e6;
  const ring = new Int32Array(2048).fill(-1);
  let r = 0;
  const run = (picks: number): void => {
    for (let i = 0; i < picks; i++) {
      const k = s.schedule(v, flows[i & (POOL - 1)]!, i);
      const old = ring[r]!;
      if (old >= 0) v.active[old]!--;
      ring[r] = k;
      r = (r + 1) & 2047;
      if (k >= 0) v.active[k]!++;
    }
  };
  run(quick ? 20_000 : 200_000); // warm-up
  // Aim for ~0.3 s (quick: 0.05 s) of picks, measured in one timed loop.
  const t0 = cpuNs();
  run(10_000);
  const per = (cpuNs() - t0) / 10_000;
  const picks = Math.max(10_000, Math.min(5_000_000, Math.floor(((quick ? 0.05 : 0.3) * 1e9) / Math.max(per, 1))));
  const t1 = cpuNs();
  run(picks);
  const ns = (cpuNs() - t1) / picks;
  return { ns, updateMs };
}

// One untimed pass over every scheduler first, so the first rows are not measured during JIT warm-up.
for (const name of SCHEDULER_NAMES) bench(name, 3);

const rows: Row[] = [];
for (const name of SCHEDULER_NAMES) {
  const row: Row = { name, nsPerPick: [], updateMs: [] };
  for (const n of SIZES) {
    const { ns, updateMs } = bench(name, n);
    row.nsPerPick.push(ns);
    row.updateMs.push(updateMs);
  }
  rows.push(row);
  process.stderr.write(`${name} done\n`);
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
let table = `| scheduler | ns/pick, 3 RS | ns/pick, 100 RS | ns/pick, 1000 RS | update() ms, 1000 RS |\n|---|---:|---:|---:|---:|\n`;
for (const r of rows) {
  table += `| ${r.name} | ${r.nsPerPick.map(fmt).join(' | ')} | ${r.updateMs[2]!.toFixed(2)} |\n`;
}
const cpu = cpus();
const machine = `${cpu[0]?.model ?? 'unknown CPU'} x ${cpu.length} (logical), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${release()}, Node ${process.version}`;
process.stdout.write(`${machine}\n\n${table}`);

if (write) {
  const md = `# Scheduler pick cost

Measured ${new Date().toISOString().slice(0, 10)} on ${machine}, one thread; 1-minute load
average at the end of the run: ${loadavg()[0]!.toFixed(1)} (the machine is shared with other builds and tests, so treat
the figures as upper bounds).

Command (from the repo root):

\`\`\`
TS_NODE_TRANSPILE_ONLY=1 node --import @tapjs/typescript/import bench/sched.ts --write
\`\`\`

What is measured: \`schedule()\` on a typed-array DestView (weights 1..100, random initial
active/inactive counts), flows cycling through 4096 pre-built FlowKeys (distinct clients, 251
destination addresses), every pick adding an active connection that a 2048-pick ring retires
again. No allocation in the loop. Times are CPU time of the process (\`process.cpuUsage\`), so
other load on the shared machine inflates them less than wall time would (caches are still shared). sh and mh run with sh-port / mh-port. twos uses Math.random.
lblc/lblcr include the shared-table lookup and the CAS lock; rr/wrr include the lock.
\`update()\` is the table build on a configuration change (mh: 4093-slot Maglev population,
sh/dh: 256 buckets), measured once (so it includes JIT warm-up).

${table}
Reading it: the O(1) schedulers (rr, wrr on its fast path, dh, sh, mh) stay flat as real servers
grow; the least-connection family (lc, wlc, sed, nq, fo, ovf, twos, and lblc/lblcr on a miss)
walks every dest, as the kernel does, so their cost grows linearly with the number of real
servers. Only new connections are scheduled, so these costs are per connection, not per packet.
`;
  writeFileSync(new URL('./sched.md', import.meta.url), md);
}
