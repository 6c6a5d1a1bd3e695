/**
 * A VRRP testbed of network namespaces for lab tests and the failover benchmark: a switch
 * namespace with a bridge, and nodes attached to it by veth pairs (eth0 in each node). Runs
 * ulvs (dist/vrrp/cli-runner.js), keepalived 2.2.7 and FRR vrrpd inside nodes, and a 10 ms
 * ICMP prober from a client. Everything is named `ulvs-<id>-*` and removed by down().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addNetns, delNetns, ipBatch, sysctl } from '../src/lab/netns.js';
import { run, runOk } from '../src/util/exec.js';
import type { VrrpConfig } from '../src/vrrp/types.js';

/** Repository root (bench/ is one level below it). */
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** A node of the bed. */
export interface BedNodeSpec {
  name: string;
  /** Addresses with prefix on eth0, e.g. '192.168.1.202/24'. */
  addrs: string[];
  /** Extra links to other nodes are made by the test with ipBatch. */
}

/** A running process inside a node. */
export interface BedProc {
  child: ChildProcess;
  pid: number;
  out: string[];
  /** Resolves with the exit code. */
  exited: Promise<number>;
}

/** The testbed. */
export class VrrpBed {
  readonly dir: string;
  private procs: BedProc[] = [];
  private constructor(
    readonly id: string,
    readonly nodes: string[],
  ) {
    this.dir = path.join(tmpdir(), `ulvs-${id}`);
    mkdirSync(this.dir, { recursive: true });
  }

  /** Namespace name of node `n`. */
  ns(n: string): string {
    return `ulvs-${this.id}-${n}`;
  }

  /** Creates the switch and the nodes (IPv6 DAD off so link-locals are usable at once). */
  static async up(id: string, nodes: BedNodeSpec[]): Promise<VrrpBed> {
    const bed = new VrrpBed(
      id,
      nodes.map((n) => n.name),
    );
    const sw = bed.ns('sw');
    await addNetns(sw);
    await ipBatch(sw, ['link add br0 type bridge', 'link set br0 up']);
    await sysctl(sw, ['net.ipv6.conf.all.disable_ipv6=1']);
    for (const n of nodes) {
      const ns = bed.ns(n.name);
      await addNetns(ns);
      await sysctl(ns, ['net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
      await runOk(['ip', 'link', 'add', `u${id.slice(-6)}${n.name}`, 'netns', sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await ipBatch(sw, [`link set u${id.slice(-6)}${n.name} master br0`, `link set u${id.slice(-6)}${n.name} up`]);
      await ipBatch(ns, [...n.addrs.map((a) => `addr add ${a} dev eth0`), 'link set eth0 up']);
    }
    return bed;
  }

  /** Cuts (or restores) a node's link to the switch with a drop rule on its eth0 (split brain). */
  async cut(node: string, on: boolean): Promise<void> {
    const ns = this.ns(node);
    for (const tool of ['iptables', 'ip6tables']) {
      for (const chain of ['INPUT', 'OUTPUT']) {
        const dir = chain === 'INPUT' ? '-i' : '-o';
        await run([tool, on ? '-I' : '-D', chain, dir, 'eth0', '-p', tool === 'iptables' ? '112' : 'vrrp', '-j', 'DROP'], { netns: ns });
      }
    }
  }

  /** Writes a file under the bed's directory and returns its path. */
  file(name: string, text: string, mode = 0o644): string {
    const p = path.join(this.dir, name);
    writeFileSync(p, text, { mode });
    return p;
  }

  /** Starts argv inside node `n`, collecting stdout+stderr lines. */
  spawn(n: string, argv: string[], env: NodeJS.ProcessEnv = process.env): BedProc {
    const child = spawn('ip', ['netns', 'exec', this.ns(n), ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
    const out: string[] = [];
    const onData = (d: Buffer): void => {
      for (const l of d.toString().split('\n')) if (l) out.push(l);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const exited = new Promise<number>((r) => child.on('close', (c) => r(c ?? 137)));
    const p: BedProc = { child, pid: child.pid!, out, exited };
    this.procs.push(p);
    return p;
  }

  /** Runs ulvs's VRRP runner with `config` in node `n` (needs `npx tsc -p tsconfig.build.json`). */
  ulvs(n: string, config: VrrpConfig): BedProc {
    const cfg = this.file(`${n}-vrrp.json`, JSON.stringify(config, null, 1));
    return this.spawn(n, [process.execPath, path.join(REPO, 'dist/vrrp/cli-runner.js'), cfg]);
  }

  /**
   * Runs `ulvs run -f CONF` in node `n` as a keepalived user starts it: the file alone (a data plane starts
   * only for virtual servers); the socket and pid file go to the bed's directory so beds run side by side.
   */
  ulvsRun(n: string, confText: string): BedProc {
    const f = this.file(`${n}-ulvs.conf`, confText);
    return this.spawn(n, [
      process.execPath,
      path.join(REPO, 'bin/ulvs.mjs'),
      'run',
      '-f',
      f,
      '--no-metrics',
      '--socket',
      path.join(this.dir, `${n}-ulvs.sock`),
      '--pid-file',
      path.join(this.dir, `${n}-ulvs.pid`),
    ]);
  }

  /** Runs keepalived 2.2.7 (VRRP child only, no respawn, foreground) with config text in node `n`. */
  keepalived(n: string, conf: string): BedProc {
    const f = this.file(`${n}-keepalived.conf`, conf);
    const pre = path.join(this.dir, n);
    return this.spawn(n, ['keepalived', '-n', '-l', '-D', '-P', '-R', '-f', f, '-p', `${pre}.pid`, '-r', `${pre}-vrrp.pid`, '-G']);
  }

  /** PID of keepalived's VRRP child in node `n`, if running. */
  keepalivedChildPid(n: string): number | undefined {
    const f = path.join(this.dir, `${n}-vrrp.pid`);
    if (!existsSync(f)) return undefined;
    const pid = Number(readFileSync(f, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  }

  /** Whether node `n` has `addr` on eth0. */
  async holds(n: string, addr: string): Promise<boolean> {
    const r = await run(['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: this.ns(n) });
    return r.stdout.split(/\s+/).some((w) => w.split('/')[0] === addr);
  }

  /** Waits until `pred` holds (polling every 50 ms) or timeoutMs passes; returns its last value. */
  async until(pred: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await pred()) return true;
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Removes every namespace and the bed directory; ends the processes it started (by PID). */
  async down(): Promise<void> {
    for (const p of this.procs)
      if (p.child.exitCode === null) {
        try {
          process.kill(p.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    for (const n of this.nodes) await delNetns(this.ns(n), 500);
    await delNetns(this.ns('sw'), 200);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sends a stop signal to a process and waits for it to exit. */
export async function stopProc(p: BedProc, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
  try {
    process.kill(p.pid, signal);
  } catch {
    return;
  }
  await Promise.race([p.exited, new Promise((r) => setTimeout(r, timeoutMs))]);
}

/** A unique bed id (short: interface names are limited to 15 characters). */
export function bedId(tag: string): string {
  return `${tag}${process.pid.toString(36).slice(-3)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
}

/** Builds dist/ (tsc -p tsconfig.build.json) when dist/vrrp/cli-runner.js is missing or older than src/vrrp. */
export async function ensureDist(): Promise<void> {
  const { statSync, readdirSync } = await import('node:fs');
  const out = path.join(REPO, 'dist/vrrp/cli-runner.js');
  const srcDir = path.join(REPO, 'src/vrrp');
  const newest = Math.max(...readdirSync(srcDir).map((f) => statSync(path.join(srcDir, f)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs >= newest) return;
  await run([process.execPath, path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', path.join(REPO, 'tsconfig.build.json')], {
    timeoutMs: 180000,
    cwd: REPO,
  });
  if (!existsSync(out)) throw new Error('building dist/ failed: dist/vrrp/cli-runner.js is missing');
}

/** keepalived.conf text of one vrrp_instance (enough for the interop scenarios). */
export function keepalivedInstance(o: {
  name?: string;
  state?: string;
  vrid: number;
  priority: number;
  advertInt: number;
  version?: 2 | 3;
  vips: string[];
  authPass?: string;
  unicastSrc?: string;
  unicastPeers?: string[];
  extra?: string[];
}): string {
  const l = [
    `vrrp_instance ${o.name ?? 'VI_1'} {`,
    ` state ${o.state ?? 'BACKUP'}`,
    ' interface eth0',
    ` virtual_router_id ${o.vrid}`,
    ` priority ${o.priority}`,
    ` advert_int ${o.advertInt}`,
  ];
  if (o.version) l.push(` version ${o.version}`);
  if (o.authPass) l.push(' authentication {', '  auth_type PASS', `  auth_pass ${o.authPass}`, ' }');
  if (o.unicastSrc) l.push(` unicast_src_ip ${o.unicastSrc}`);
  if (o.unicastPeers) l.push(' unicast_peer {', ...o.unicastPeers.map((p) => `  ${p}`), ' }');
  l.push(' virtual_ipaddress {', ...o.vips.map((v) => `  ${v}`), ' }', ...(o.extra ?? []).map((x) => ` ${x}`), '}');
  return `global_defs {\n router_id ${o.name ?? 'VI_1'}\n enable_script_security\n script_user root\n}\n${l.join('\n')}\n`;
}

/** Kills keepalived in node `n` hard (VRRP child first so the parent cannot stop it cleanly). */
export async function killKeepalived9(bed: VrrpBed, n: string, parent: BedProc): Promise<void> {
  const child = bed.keepalivedChildPid(n);
  if (child) {
    try {
      process.kill(child, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await stopProc(parent, 'SIGKILL');
  // A killed child may linger as a zombie; keepalived would then refuse to start ("already running").
  for (const f of [`${n}.pid`, `${n}-vrrp.pid`]) rmSync(path.join(bed.dir, f), { force: true });
}

/** FRR zebra + vrrpd running in one node. */
export interface FrrProcs {
  zebra: BedProc;
  vrrpd: BedProc;
  dir: string;
}

/**
 * Starts FRR 8.4 zebra and vrrpd in node `n` for one IPv4 VRRPv3 router: FRR needs the macvlan
 * `vrrp4-2-VRID` with the virtual MAC carrying the VIP (it protodowns it when not master).
 */
export async function startFrr(
  bed: VrrpBed,
  n: string,
  o: { vrid: number; priority: number; advertIntMs: number; vip: string; prefixLen: number; createMacvlan?: boolean },
): Promise<FrrProcs> {
  const dir = path.join(bed.dir, `frr-${n}`);
  mkdirSync(dir, { recursive: true });
  const ns = bed.ns(n);
  const mv = `vrrp4-2-${o.vrid}`;
  if (o.createMacvlan !== false) {
    await ipBatch(ns, [
      `link add ${mv} link eth0 type macvlan mode bridge`,
      `link set ${mv} address 00:00:5e:00:01:${o.vrid.toString(16).padStart(2, '0')}`,
      `addr add ${o.vip}/${o.prefixLen} dev ${mv}`,
      `link set ${mv} up`,
    ]);
  }
  writeFileSync(path.join(dir, 'zebra.conf'), 'hostname zebra\n');
  writeFileSync(
    path.join(dir, 'vrrpd.conf'),
    `interface eth0\n vrrp ${o.vrid} version 3\n vrrp ${o.vrid} priority ${o.priority}\n vrrp ${o.vrid} advertisement-interval ${o.advertIntMs}\n vrrp ${o.vrid} ip ${o.vip}\n`,
  );
  await run(['chmod', '-R', 'a+rwX', bed.dir]);
  const common = ['-i', '', '-z', path.join(dir, 'zserv.api'), '--vty_socket', dir, '-P', '0', '--log', 'stdout'];
  const zebra = bed.spawn(n, ['/usr/lib/frr/zebra', '-f', path.join(dir, 'zebra.conf'), ...common.map((x, i) => (i === 1 ? path.join(dir, 'zebra.pid') : x))]);
  await bed.until(() => existsSync(path.join(dir, 'zserv.api')), 5000);
  const vrrpd = bed.spawn(n, ['/usr/lib/frr/vrrpd', '-f', path.join(dir, 'vrrpd.conf'), ...common.map((x, i) => (i === 1 ? path.join(dir, 'vrrpd.pid') : x))]);
  return { zebra, vrrpd, dir };
}

/** Restarts only vrrpd of a running FRR. */
export function restartVrrpd(bed: VrrpBed, n: string, frr: FrrProcs): FrrProcs {
  const common = ['-i', path.join(frr.dir, 'vrrpd.pid'), '-z', path.join(frr.dir, 'zserv.api'), '--vty_socket', frr.dir, '-P', '0', '--log', 'stdout'];
  return { ...frr, vrrpd: bed.spawn(n, ['/usr/lib/frr/vrrpd', '-f', path.join(frr.dir, 'vrrpd.conf'), ...common]) };
}

/** FRR's IPv4 state of VRID (`show vrrp VRID json`): 'Master', 'Backup', 'Initialize' or '' if unknown. */
export async function frrState(bed: VrrpBed, n: string, frr: FrrProcs, vrid: number): Promise<string> {
  const r = await run(['vtysh', '--vty_socket', frr.dir, '-c', `show vrrp ${vrid} json`], { netns: bed.ns(n), timeoutMs: 5000 });
  try {
    const j = JSON.parse(r.stdout) as { v4?: { status?: string } }[];
    return j[0]?.v4?.status ?? '';
  } catch {
    return '';
  }
}
