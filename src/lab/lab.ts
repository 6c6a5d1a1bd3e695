/**
 * The network-namespace lab: builds the default topology (topology.ts) out of namespaces, veth pairs
 * and two Linux bridges living in a "switch" namespace, starts the real servers' responders, runs
 * commands inside hosts, and tears everything down — also what a crashed run left behind.
 * One implementation serves `ulvs lab` and the lab tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, rmdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, runOk, type ExecOptions, type ExecResult } from '../util/exec.js';
import { addNetns, delNetns, ipBatch, listNetns, nsPrefix, sysctl } from './netns.js';
import { defaultTopology, LAB_HTTP_PORT, LAB_UDP_PORT, type LabNode } from './topology.js';

/** Where lab state files live (one JSON per lab id). */
export const LAB_STATE_DIR = '/run/ulvs/lab';

/** Options of Lab.up(). */
export interface LabOptions {
  /** Lab id, part of every namespace name; default "lab". Tests use a unique one. */
  id?: string;
  /** Number of real servers (default 3). */
  realServers?: number;
  /** Start the HTTP/UDP responders on the real servers (default true). */
  responders?: boolean;
  /** Number of directors lb1..lbN (default 2, at most 8). */
  directors?: number;
  /** The router runs FRR (BGP with dynamic neighbors, BFD, ECMP hashed on L4 ports): see ecmp.ts. */
  ecmp?: boolean;
  /** How the ECMP router hashes flows over the directors (default 'threshold', what FRR's zebra installs): see ecmp.ts. */
  ecmpHash?: 'threshold' | 'resilient';
  /**
   * Transmit and receive queues of every veth end (default 1, at most 16). veth delivers a frame on the
   * peer's receive queue of the number it was sent on, so with 2 a director's eth0 gets frames on 2
   * receive queues (AF_XDP: worker i owns queue i).
   */
  queues?: number;
}

/** A lab id must be short and safe in interface and file names. */
export function checkLabId(id: string): void {
  if (!/^[a-z0-9]{1,12}$/.test(id)) throw new Error(`lab id '${id}' must be 1-12 lowercase letters or digits`);
}

/** A fresh id for a test lab (unique per process and call). */
export function uniqueLabId(): string {
  return `t${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}`.slice(0, 12);
}

function distFile(rel: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = path.resolve(here, '../..');
  return path.join(root, 'dist', rel);
}

/** A running lab. */
export class Lab {
  private readonly children = new Set<ChildProcess>();

  private constructor(
    readonly id: string,
    readonly nodes: LabNode[],
  ) {}

  /** Builds the lab (removing any stale lab with the same id first). */
  static async up(opts: LabOptions = {}): Promise<Lab> {
    const id = opts.id ?? 'lab';
    checkLabId(id);
    await Lab.destroy(id);
    const directors = opts.directors ?? 2;
    if (!Number.isInteger(directors) || directors < 1 || directors > 8) throw new Error(`a lab has 1 to 8 directors, not ${directors}`);
    const lab = new Lab(id, defaultTopology(opts.realServers ?? 3, directors));
    if (opts.queues !== undefined && (!Number.isInteger(opts.queues) || opts.queues < 1 || opts.queues > 16))
      throw new Error(`a lab's veths have 1 to 16 queues, not ${opts.queues}`);
    mkdirSync(LAB_STATE_DIR, { recursive: true });
    writeFileSync(lab.stateFile(), JSON.stringify({ id, createdBy: process.pid, nodes: lab.nodes }, null, 2));
    try {
      await lab.build(opts.queues ?? 1);
      if (opts.responders !== false) await lab.startResponders();
      if (opts.ecmp) await (await import('./ecmp.js')).startEcmpRouter(lab, opts.ecmpHash);
    } catch (e) {
      await lab.down();
      throw e;
    }
    return lab;
  }

  /** Attaches to a lab built earlier (by this or another process); undefined if it is not up. */
  static async attach(id = 'lab'): Promise<Lab | undefined> {
    checkLabId(id);
    const file = path.join(LAB_STATE_DIR, `${id}.json`);
    const all = await listNetns();
    if (!all.some((n) => n.startsWith(nsPrefix(id)))) return undefined;
    const nodes = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')).nodes as LabNode[]) : defaultTopology();
    return new Lab(id, nodes);
  }

  /** Removes every namespace (and the processes in it) and the state file of lab `id`; returns what was removed. */
  static async destroy(id: string): Promise<string[]> {
    checkLabId(id);
    const mine = (await listNetns()).filter((n) => n.startsWith(nsPrefix(id)));
    // Hosts first (in parallel), the switch last.
    await Promise.all(mine.filter((n) => !n.endsWith('-sw')).map((n) => delNetns(n)));
    await Promise.all(mine.filter((n) => n.endsWith('-sw')).map((n) => delNetns(n)));
    rmSync(path.join(LAB_STATE_DIR, `${id}.json`), { force: true });
    for (const f of existsSync(LAB_STATE_DIR) ? readdirSync(LAB_STATE_DIR) : []) {
      if (f.startsWith(`${id}-`)) rmSync(path.join(LAB_STATE_DIR, f), { recursive: true, force: true });
    }
    // The last lab gone: leave no empty state directories behind (rmdir refuses a non-empty one).
    for (const dir of [LAB_STATE_DIR, path.dirname(LAB_STATE_DIR)]) {
      try {
        rmdirSync(dir);
      } catch {
        break;
      }
    }
    return mine;
  }

  /** Ids of the labs whose namespaces exist on this host. */
  static async list(): Promise<string[]> {
    const ids = new Set<string>();
    for (const n of await listNetns()) {
      const m = /^ulvs-([a-z0-9]{1,12})-[a-z0-9]+$/.exec(n);
      if (m) ids.add(m[1]);
    }
    return [...ids].sort();
  }

  /** The namespace name of a lab host ("sw" is the switch). */
  ns(node: string): string {
    return `${nsPrefix(this.id)}${node}`;
  }

  /** The host named `name`. */
  node(name: string): LabNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`lab ${this.id} has no host '${name}'`);
    return n;
  }

  /** Hosts with the given role. */
  byRole(role: LabNode['role']): LabNode[] {
    return this.nodes.filter((n) => n.role === role);
  }

  /** Runs argv inside host `node`. */
  exec(node: string, argv: string[], opts: Omit<ExecOptions, 'netns'> = {}): Promise<ExecResult> {
    return run(argv, { ...opts, netns: this.ns(node) });
  }

  /** Runs argv inside host `node`; rejects on a non-zero exit. */
  execOk(node: string, argv: string[], opts: Omit<ExecOptions, 'netns'> = {}): Promise<string> {
    return runOk(argv, { ...opts, netns: this.ns(node) });
  }

  /** Starts a long-running process inside host `node`; it is ended (by PID) on down(). */
  spawn(node: string, argv: string[], opts: { env?: NodeJS.ProcessEnv; stdio?: 'pipe' | 'ignore' | 'inherit' } = {}): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.ns(node), ...argv], { stdio: opts.stdio ?? 'pipe', env: opts.env ?? process.env });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** The MAC address of `iface` in host `node`. */
  async mac(node: string, iface = 'eth0'): Promise<string> {
    const out = await this.execOk(node, ['cat', `/sys/class/net/${iface}/address`]);
    return out.trim();
  }

  /** Every veth end of the lab (hosts and switch ports): [namespace, device]. */
  vethEnds(): Array<[string, string]> {
    return this.nodes.flatMap((n) =>
      n.ifaces.flatMap(
        (i): Array<[string, string]> => [
          [this.ns('sw'), `${n.name}-${i.name}`],
          [this.ns(n.name), i.name],
        ],
      ),
    );
  }

  /** Tears the lab down: children, namespaces, state file. Safe to call twice. */
  async down(): Promise<void> {
    for (const c of this.children) {
      if (c.exitCode === null && c.pid) {
        try {
          process.kill(c.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    await Lab.destroy(this.id);
  }

  private stateFile(): string {
    return path.join(LAB_STATE_DIR, `${this.id}.json`);
  }

  private async build(queues: number): Promise<void> {
    const sw = this.ns('sw');
    await addNetns(sw);
    for (const n of this.nodes) await addNetns(this.ns(n.name));
    const swLines = ['link add lan type bridge mcast_snooping 0', 'link add wan type bridge mcast_snooping 0', 'link set lan up', 'link set wan up'];
    for (const n of this.nodes) {
      for (const i of n.ifaces) {
        const port = `${n.name}-${i.name}`;
        const q = queues > 1 ? ` numtxqueues ${queues} numrxqueues ${queues}` : '';
        swLines.push(`link add ${port}${q} type veth peer name ${i.name} netns ${this.ns(n.name)}${q}`);
        swLines.push(`link set ${port} master ${i.segment} up`);
      }
    }
    await ipBatch(sw, swLines);
    // The switch is a plain L2 switch: with br_netfilter present, bridged IPv4 would go through the
    // switch's iptables and malformed frames (which the flood tests send on purpose) would be dropped.
    await run(
      ['sysctl', '-q', '-e', '-w', 'net.bridge.bridge-nf-call-iptables=0', 'net.bridge.bridge-nf-call-ip6tables=0', 'net.bridge.bridge-nf-call-arptables=0'],
      { netns: sw },
    );
    for (const n of this.nodes) {
      const ns = this.ns(n.name);
      await sysctl(ns, [
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
        ...(n.role === 'router' ? ['net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1'] : []),
      ]);
      const lines: string[] = [];
      for (const i of n.ifaces) {
        lines.push(`link set ${i.name} up`, `addr add ${i.v4} dev ${i.name}`, `addr add ${i.v6} dev ${i.name} nodad`);
      }
      if (n.gateway) lines.push(`route add default via ${n.gateway.v4}`, `route add default via ${n.gateway.v6}`);
      await ipBatch(ns, lines);
    }
    // Veths keep the kernel's offloads (checksums left to the receiver, 64 KB TSO frames), as a user's
    // host has them; the lab never turns them off (bench/live/offload-ab.mjs does, for its reference).
  }

  private async startResponders(): Promise<void> {
    const script = distFile('lab/responder.js');
    if (!existsSync(script)) throw new Error(`${script} is missing: run 'npm run build' first`);
    // Detached, output to a log file: the responders outlive the process that built the lab (ulvs lab up)
    // and are ended by PID through their namespace on down().
    const logs: Array<[string, string]> = [];
    for (const n of this.byRole('realserver')) {
      const log = path.join(LAB_STATE_DIR, `${this.id}-${n.name}.log`);
      const fd = openSync(log, 'w');
      const child = spawn(
        'ip',
        ['netns', 'exec', this.ns(n.name), process.execPath, script, '--name', n.name, '--port', String(LAB_HTTP_PORT), '--udp', String(LAB_UDP_PORT)],
        { stdio: ['ignore', fd, fd], detached: true },
      );
      child.unref();
      closeSync(fd);
      logs.push([n.name, log]);
    }
    const until = Date.now() + 15000;
    for (const [name, log] of logs) {
      for (;;) {
        const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
        if (text.includes('ready')) break;
        if (Date.now() > until) throw new Error(`the responder on ${name} did not start: ${text.trim() || 'no output'}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
  }
}
