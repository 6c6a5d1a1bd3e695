/**
 * The worker pool with the in-memory backend: batches reach the pipeline in a worker, verdicts and
 * drop reasons are counted in shared memory, snapshots are swapped, a crashed worker is restarted
 * and keeps using the shared state. This file is also the test pipeline module the workers load.
 */
import { isMainThread } from 'node:worker_threads';
import type { PacketBatch } from '../../src/core/batch.js';
import type { WorkerPipeline, WorkerPipelineContext } from '../../src/dataplane/worker.js';
import { PC } from '../../src/dataplane/stats.js';

/**
 * Test pipeline: byte 0 of each frame is the verdict; the snapshot (a number) is written to byte 1; shared[0] counts
 * packets across workers. Like pipeline.ts it counts each packet once in ctx.counters (the worker counts batches only).
 */
export function createWorkerPipeline(ctx: WorkerPipelineContext<SharedArrayBuffer, number>): WorkerPipeline<number> {
  let snap = ctx.snapshot;
  const shared = new Int32Array(ctx.shared);
  return {
    processBatch(b: PacketBatch): void {
      for (let i = 0; i < b.count; i++) {
        const s = b.start[i];
        b.verdict[i] = b.buf[s];
        b.buf[s + 1] = snap;
        b.reason[i] = b.buf[s] === 0 ? 42 : 0;
        ctx.counters[PC.Packets]++;
        ctx.counters[PC.Verdict0 + b.verdict[i]]++;
        if (b.reason[i] !== 0) ctx.counters[PC.DropReason0 + b.reason[i]]++;
        Atomics.add(shared, 0, 1);
      }
    },
    setSnapshot(s: number): void {
      snap = s;
    },
  };
}

if (isMainThread) {
  const { default: t } = await import('tap');
  const { DataplanePool } = await import('../../src/dataplane/pool.js');
  type MemoryMessage = import('../../src/io/memory.js').MemoryMessage;
  type Results = Extract<MemoryMessage, { type: 'results' }>['results'];

  const send = (port: import('node:worker_threads').MessagePort, frames: Uint8Array[]): Promise<Results> =>
    new Promise((resolve) => {
      port.once('message', (m: MemoryMessage) => {
        if (m.type === 'results') resolve(m.results);
      });
      port.postMessage({ type: 'frames', frames } satisfies MemoryMessage);
    });

  t.test('pool runs the pipeline in workers, counts, swaps snapshots, restarts a crashed worker', async (t) => {
    const shared = new SharedArrayBuffer(16);
    const pool = await DataplanePool.start({
      backend: 'memory',
      workers: 2,
      shared,
      snapshot: 7,
      pipelineModule: import.meta.url,
      batchCapacity: 4,
      restartDelayMs: 20,
    });
    t.teardown(() => pool.stop());
    const frames = [3, 0, 1, 3, 3, 0].map((v) => Uint8Array.of(v, 0, 9, 9));
    const r0 = await send(pool.memoryPort(0)!, frames);
    t.same(
      r0.map((r) => r.verdict),
      [3, 0, 1, 3, 3, 0],
      'verdicts come back per packet',
    );
    t.same(
      r0.map((r) => r.bytes[1]),
      [7, 7, 7, 7, 7, 7],
      'first snapshot in force',
    );
    pool.publish(9);
    await new Promise((r) => setTimeout(r, 50));
    const r1 = await send(pool.memoryPort(1)!, frames.slice(0, 2));
    t.same(
      r1.map((r) => r.bytes[1]),
      [9, 9],
      'new snapshot installed between batches',
    );
    const c = pool.counters();
    t.equal(c.totals.packets, 8);
    t.equal(c.totals.dropped, 3);
    t.equal(c.totals.transmitted, 4);
    t.equal(c.totals.accepted, 1);
    t.equal(c.dropReasons[42], 3, 'drops counted by reason');
    t.equal(c.workers[0].batches, 2, 'six frames in batches of four');
    t.equal(Atomics.load(new Int32Array(shared), 0), 8, 'shared memory seen by both workers');

    pool.crashWorker(0);
    t.ok(await pool.waitAlive(0, 1), 'crashed worker restarted');
    const r2 = await send(pool.memoryPort(0)!, frames.slice(0, 1));
    t.same(
      r2.map((r) => r.bytes[1]),
      [9],
      'restarted worker gets the current snapshot',
    );
    t.equal(Atomics.load(new Int32Array(shared), 0), 9, 'shared state survived the restart');
    t.equal(pool.counters().workers[0].restarts, 1);
  });

  t.test('a pipeline module that cannot load fails start with its message', async (t) => {
    await t.rejects(
      DataplanePool.start({ backend: 'memory', workers: 1, shared: null, snapshot: 0, pipelineModule: 'file:///nonexistent/x.js' }),
      /nonexistent|Cannot find/,
    );
  });
}
