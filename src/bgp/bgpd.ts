/**
 * The shell around FRR's bgpd for one director: writes its configuration into a private directory,
 * runs it (no zebra: it installs no routes here; no listening port: the director connects to the
 * router), ends it with ulvs (SIGKILL if ulvs dies: setpriv --pdeathsig, so a dead director's session
 * closes and the router withdraws its routes), and talks to it with vtysh over that directory's socket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../util/exec.js';
import { bgpdConfig, networkCommands } from './frr-config.js';
import type { BgpConfig } from './types.js';

/** One BGP session as bgpd reports it (`show bgp summary json`). */
export interface BgpPeerState {
  peer: string;
  /** bgpd's state name: Established, Active, Connect, Idle, ... */
  state: string;
  /** Prefixes sent to the peer. */
  prefixesSent: number;
}

/** A running bgpd. */
export class Bgpd {
  private child?: ChildProcess;
  private readonly out: string[] = [];

  constructor(
    private readonly cfg: BgpConfig,
    /** Private directory (created 0700) for bgpd.conf, its pid file and its vty socket. */
    readonly dir: string,
    private readonly log: (m: string) => void,
  ) {}

  /** Starts bgpd (ending one a crashed run left in `dir`) and waits until vtysh answers. */
  async start(): Promise<void> {
    if (!existsSync(this.cfg.bgpdPath)) throw new Error(`ulvs_bgp needs FRR's bgpd at ${this.cfg.bgpdPath} (apt-get install frr, or set bgpd_path)`);
    this.killStale();
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const conf = path.join(this.dir, 'bgpd.conf');
    writeFileSync(conf, bgpdConfig(this.cfg));
    const argv = ['--pdeathsig', 'KILL', this.cfg.bgpdPath, '-Z', '-S', '-p', '0', '-P', '0'];
    argv.push('-f', conf, '-i', path.join(this.dir, 'bgpd.pid'), '--vty_socket', this.dir, '--log', 'stdout');
    const child = spawn('setpriv', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (b: Buffer): void => {
      for (const l of b.toString().split('\n')) if (l.trim()) this.out.push(l.trim());
      if (this.out.length > 50) this.out.splice(0, this.out.length - 50);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', (code, sig) => {
      if (this.child === child) this.log(`bgpd exited (${sig ?? code}): ${this.out.slice(-3).join(' | ')}`);
    });
    const until = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`bgpd did not start: ${this.out.slice(-5).join(' | ') || 'no output'}`);
      if (existsSync(path.join(this.dir, 'bgpd.vty')) && (await this.vtysh(['show bgp summary json'])).code === 0) return;
      if (Date.now() > until) throw new Error(`bgpd did not answer vtysh within 10 s: ${this.out.slice(-5).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs vtysh lines against this bgpd. */
  vtysh(lines: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(['vtysh', '--vty_socket', this.dir, ...lines.flatMap((c) => ['-c', c])], { timeoutMs: 5000 });
  }

  /** Announces `add` and withdraws `remove` (host prefixes). */
  async setNetworks(add: readonly string[], remove: readonly string[]): Promise<void> {
    const r = await this.vtysh(networkCommands(this.cfg, add, remove));
    if (r.code !== 0 || /% /.test(r.stdout)) throw new Error(`vtysh refused the change: ${(r.stdout + r.stderr).trim()}`);
  }

  /** The sessions and what was sent on each. */
  async peers(): Promise<BgpPeerState[]> {
    const r = await this.vtysh(['show bgp summary json']);
    if (r.code !== 0) return [];
    const j = JSON.parse(r.stdout || '{}') as Record<string, { peers?: Record<string, { state?: string; pfxSnt?: number }> }>;
    const out = new Map<string, BgpPeerState>();
    for (const af of Object.values(j))
      for (const [peer, p] of Object.entries(af.peers ?? {}))
        out.set(peer, { peer, state: p.state ?? '?', prefixesSent: (out.get(peer)?.prefixesSent ?? 0) + (p.pfxSnt ?? 0) });
    return [...out.values()];
  }

  /** Stops bgpd (TERM: it sends a Cease NOTIFICATION, the router withdraws at once) and removes its directory. */
  async stop(): Promise<void> {
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null && c.signalCode === null) {
      const gone = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 2000);
      await gone;
      clearTimeout(t);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A bgpd of a crashed ulvs (its pid file in our directory, still bgpd): ended before we start ours. */
  private killStale(): void {
    const pidFile = path.join(this.dir, 'bgpd.pid');
    try {
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      if (pid > 1 && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bgpd') process.kill(pid, 'SIGKILL');
    } catch {
      /* none */
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
