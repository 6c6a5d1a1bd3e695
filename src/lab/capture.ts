/**
 * Packet captures for lab tests and demos: tcpdump writes a pcap inside a host's namespace, and tshark
 * (an independent decoder) reads it back as fields.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { run } from '../util/exec.js';
import { LAB_STATE_DIR, type Lab } from './lab.js';

/** A running capture. */
export interface Capture {
  /** The pcap file being written. */
  readonly file: string;
  /** Stops tcpdump and resolves once the file is complete. */
  stop(): Promise<void>;
  /** Decodes the capture with tshark: one array of field values per packet (call after stop()). */
  fields(fields: string[], displayFilter?: string): Promise<string[][]>;
  /** Removes the temporary directory holding the pcap. */
  remove(): void;
}

/** Starts tcpdump on `iface` of lab host `node` with a BPF `filter`; resolves when it is listening. */
export async function startCapture(lab: Lab, node: string, iface: string, filter = ''): Promise<Capture> {
  // Under the lab's state dir, so `lab down` removes it even if the caller never calls remove().
  mkdirSync(LAB_STATE_DIR, { recursive: true });
  const dir = mkdtempSync(path.join(LAB_STATE_DIR, `${lab.id}-cap-`));
  const file = path.join(dir, `${node}-${iface}.pcap`);
  const child: ChildProcess = lab.spawn(node, [
    'tcpdump',
    '-Z',
    'root',
    '--immediate-mode',
    '-i',
    iface,
    '-U',
    '-n',
    '-s',
    '0',
    '-w',
    file,
    ...(filter ? [filter] : []),
  ]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump on ${node}/${iface} did not start: ${err}`)), 10000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}): ${err}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    file,
    async stop() {
      // Let packets already in the kernel's ring reach the file before tcpdump is told to stop.
      await new Promise((r) => setTimeout(r, 200));
      if (child.exitCode === null && child.pid) child.kill('SIGINT');
      await exited;
    },
    async fields(names: string[], displayFilter?: string) {
      const argv = ['tshark', '-r', file, '-T', 'fields', '-E', 'separator=|', ...names.flatMap((f) => ['-e', f])];
      if (displayFilter) argv.push('-Y', displayFilter);
      const r = await run(argv, { timeoutMs: 30000 });
      if (r.code !== 0) throw new Error(`tshark failed: ${r.stderr}`);
      return r.stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => l.split('|'));
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
