/**
 * loadConfig off the main thread: the daemon parses keepalived.conf (start and reload) in a worker
 * thread, so even a huge or hostile file never holds the event loop that sends VRRP adverts. The
 * worker has a heap cap and a deadline; running out of either is a load error, never a daemon crash.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { loadConfig } from './load-config.js';
import type { LoadOptions, LoadResult } from './types.js';

/** Limits of one load in a worker. */
export interface WorkerLoadLimits {
  /** The load is abandoned after this long; default 60 s. */
  timeoutMs?: number;
  /** V8 old-generation heap of the worker in MiB; default 1024. */
  maxHeapMb?: number;
}

interface Job {
  ulvsConfigLoad: true;
  file: string;
  opts: LoadOptions;
}

function failed(file: string, message: string): LoadResult {
  return {
    ok: false,
    diagnostics: [{ severity: 'error', file, line: 0, code: 'load-failed', message }],
    model: {
      global: { enableScriptSecurity: false },
      vrrp: { instances: [], scripts: [], syncGroups: [] },
      ipvs: { services: [], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } },
      health: [],
      virtualServerGroups: [],
      files: [],
    } as unknown as LoadResult['model'],
  };
}

/** Runs loadConfig(file, opts) in a worker thread; resolves with its result or with one load error. */
export function loadConfigInWorker(file: string, opts: LoadOptions = {}, limits: WorkerLoadLimits = {}): Promise<LoadResult> {
  const timeoutMs = limits.timeoutMs ?? 60_000;
  const maxHeapMb = limits.maxHeapMb ?? 1024;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: LoadResult): void => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        resolve(r);
      }
    };
    let w: Worker;
    try {
      w = new Worker(new URL(import.meta.url), {
        workerData: { ulvsConfigLoad: true, file, opts } satisfies Job,
        resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
        stdout: false,
        stderr: false,
      });
    } catch (e) {
      resolve(failed(file, `cannot start the config loader thread: ${(e as Error).message}`));
      return;
    }
    const timer = setTimeout(() => {
      finish(failed(file, `loading took longer than ${timeoutMs / 1000} s; the file is too big or too complex`));
      void w.terminate();
    }, timeoutMs);
    w.once('message', (r: LoadResult) => {
      finish(r);
      void w.terminate();
    });
    w.once('error', (e: Error & { code?: string }) =>
      finish(
        failed(
          file,
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `loading needs more than ${maxHeapMb} MiB of memory; the file is too big or generates too much`
            : `the config loader failed: ${e.message}`,
        ),
      ),
    );
    w.once('exit', (code) => finish(failed(file, `the config loader thread exited (${code}) without a result`)));
  });
}

// Worker side: load, answer, exit.
if (!isMainThread && (workerData as Partial<Job> | null)?.ulvsConfigLoad) {
  const job = workerData as Job;
  parentPort!.postMessage(loadConfig(job.file, job.opts));
}
