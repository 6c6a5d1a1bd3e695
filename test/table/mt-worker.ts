// Worker of multi-worker.test.ts (not a test): replays the same client set in its own order.
import { parentPort, workerData } from 'node:worker_threads';
import { attachSharedState } from '../../src/table/shared-state.js';
import { loadSnapshot } from '../../src/dataplane/snapshot.js';
import { ConnKey } from '../../src/table/conn-key.js';
import { ConnResult } from '../../src/table/ipvs-core.js';

const { buffers, worker, spec, clients, ports, reverse, go } = workerData;
const state = attachSharedState(buffers, worker);
const snap = loadSnapshot(spec, state);
state.core.setConfig(snap.core);
const k = new ConnKey();
const r = new ConnResult();
const flag = new Int32Array(go as SharedArrayBuffer);
parentPort!.postMessage('ready');
Atomics.wait(flag, 0, 0);
let statusErrors = 0;
const t0 = performance.now();
for (const flags of [0x02, 0x10]) {
  for (let n = 0; n < clients; n++) {
    const c = reverse ? clients - 1 - n : n;
    for (let p = 0; p < ports; p++) {
      k.setV4(6, 0x0b000000 + c, 1000 + p, 0x0a000064, 80);
      if (state.core.inPacket(k, flags, 100, 0, 1000, snap, r) !== 0) statusErrors++;
    }
  }
}
parentPort!.postMessage({ statusErrors, ms: performance.now() - t0 });
