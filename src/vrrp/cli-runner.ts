/**
 * A small runnable entry for the VRRP side alone (before `ulvs run` exists, and for lab tests):
 * `node dist/vrrp/cli-runner.js CONFIG.json` runs a VrrpManager on the VrrpConfig in the file,
 * prints every state change as one JSON line on stdout, reloads the file on SIGHUP and stops
 * cleanly (priority 0, VIPs removed, notify_stop) on SIGTERM/SIGINT.
 */
import { readFileSync } from 'node:fs';
import { VrrpManager } from './manager.js';
import type { VrrpConfig } from './types.js';

/** Reads a VrrpConfig from a JSON file. */
export function readVrrpConfigJson(path: string): VrrpConfig {
  return JSON.parse(readFileSync(path, 'utf8')) as VrrpConfig;
}

/** Runs until a stop signal; resolves with the exit code. */
export async function runVrrp(path: string): Promise<number> {
  const mgr = new VrrpManager(readVrrpConfigJson(path));
  mgr.on('state', (e) => process.stdout.write(`${JSON.stringify({ event: 'state', ...e, vips: e.vips.map((v) => v.address) })}\n`));
  try {
    await mgr.start();
  } catch (e) {
    process.stderr.write(`ulvs vrrp: ${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify({ event: 'started', pid: process.pid })}\n`);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      void mgr.stop().then(() => {
        process.stdout.write(`${JSON.stringify({ event: 'stopped', status: mgr.status() })}\n`);
        resolve(0);
      });
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', () => {
      void mgr.reload(readVrrpConfigJson(path)).then(
        () => process.stdout.write(`${JSON.stringify({ event: 'reloaded' })}\n`),
        (e: Error) => process.stderr.write(`ulvs vrrp: reload refused: ${e.message}\n`),
      );
    });
    process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ event: 'status', status: mgr.status(), socketDrops: mgr.socketDrops() })}\n`));
  });
}

if (process.argv[1] && /cli-runner\.(js|ts)$/.test(process.argv[1])) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/vrrp/cli-runner.js CONFIG.json\n');
    process.exit(2);
  }
  void runVrrp(file).then((code) => process.exit(code));
}
