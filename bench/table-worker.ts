/** Worker of bench/table.ts: inserts its share of new connections into the shared table. */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Inserter } from './table-fixture.js';

/** This thread's CPU time in ns (Linux schedstat: time on a CPU), or NaN where it cannot be read. */
function threadCpuNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

const { buffers, worker, spec, from, to } = workerData;
const ins = new Inserter(buffers, worker, spec);
const flag = new Int32Array(workerData.go as SharedArrayBuffer);
parentPort!.postMessage('ready');
Atomics.wait(flag, 0, 0);
const c0 = threadCpuNs();
const t0 = process.hrtime.bigint();
let ok = 0;
for (let n = from; n < to; n++) if (ins.packet(n, 0x02, 1000) === 0) ok++;
const ns = Number(process.hrtime.bigint() - t0);
parentPort!.postMessage({ ok, ns, cpuNs: threadCpuNs() - c0 });
