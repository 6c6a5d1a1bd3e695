/**
 * Drives flows.ts from outside the client's namespace: starts it with N long-lived connections, asks
 * rounds / new connections, and finds which director carries which client port (each director's
 * `ulvsadm -L -c -n`). For the ECMP demo, tests and bench.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FlowAnswer } from './flows.js';
import type { Lab } from './lab.js';
import { LAB_ADDR } from './topology.js';

export type { FlowAnswer } from './flows.js';

function distFile(rel: string): string {
  const f = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', 'dist', rel);
  if (!existsSync(f)) throw new Error(`${f} is missing: run 'npm run build' first`);
  return f;
}

/** The long-lived flows of the client. */
export class FlowClient {
  private readonly lines: string[] = [];
  private waiter?: () => void;

  private constructor(private readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      this.lines.push(l);
      this.waiter?.();
    });
  }

  /** Opens `count` keep-alive connections to `vip` (default the IPv4 VIP) from the client; resolves to their first answers. */
  static async start(lab: Lab, count: number, vip: string = LAB_ADDR.vip4): Promise<{ flows: FlowClient; first: FlowAnswer[] }> {
    const child = lab.spawn('client', [process.execPath, distFile('lab/flows.js'), '--vip', vip, '--count', String(count)]);
    const flows = new FlowClient(child);
    const first = (await flows.next(60_000)) as { ready: FlowAnswer[] };
    return { flows, first: first.ready };
  }

  /** One request on every long-lived connection. */
  async round(): Promise<FlowAnswer[]> {
    this.child.stdin!.write('round\n');
    return ((await this.next(30_000)) as { round: FlowAnswer[] }).round;
  }

  /** `n` new one-request connections. */
  async fresh(n: number): Promise<FlowAnswer[]> {
    this.child.stdin!.write(`new ${n}\n`);
    return ((await this.next(60_000)) as { new: FlowAnswer[] }).new;
  }

  /** Closes every connection and ends the client. */
  quit(): void {
    if (this.child.exitCode === null) this.child.stdin!.write('quit\n');
  }

  private async next(timeoutMs: number): Promise<unknown> {
    const until = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`the flow client exited (${this.child.exitCode})`);
      if (Date.now() > until) throw new Error('the flow client did not answer');
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 200);
      });
    }
    return JSON.parse(this.lines.shift()!);
  }
}

/** How many answers kept both their client port (same connection) and their real server. */
export function keptFlows(before: readonly FlowAnswer[], after: readonly FlowAnswer[]): number {
  let n = 0;
  for (let i = 0; i < before.length; i++) if (after[i] && after[i]!.rs !== '' && after[i]!.port === before[i]!.port && after[i]!.rs === before[i]!.rs) n++;
  return n;
}

/** Client ports in the connection table of each director that runs a daemon: director -> ports. */
export async function portsByDirector(lab: Lab, directors: readonly string[]): Promise<Record<string, Set<number>>> {
  const ulvsadm = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..', 'bin/ulvsadm.mjs');
  const out: Record<string, Set<number>> = {};
  await Promise.all(
    directors.map(async (d) => {
      const r = await lab.exec(d, [process.execPath, ulvsadm, '-L', '-c', '-n'], { timeoutMs: 10_000 });
      const ports = new Set<number>();
      const re = new RegExp(`${LAB_ADDR.client4.replace(/\./g, '\\.')}:(\\d+)`, 'g');
      for (const m of r.stdout.matchAll(re)) ports.add(Number(m[1]));
      out[d] = ports;
    }),
  );
  return out;
}
