/**
 * LVS modes in the lab: the ipvsadm rules of each mode, the real-server side of each (DR: VIP on lo +
 * ARP sysctls; NAT: default route via the NAT gateway the director holds; TUN: VIP on lo + userspace
 * IPIP decapsulator), and the director process (`ulvs director`) inside a director's namespace.
 * Used by `ulvs lab demo`, `ulvs lab up --mode`, the lab data-plane tests and the live benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_STATE_DIR, type Lab } from './lab.js';
import { addr4, addr6, LAB_ADDR, LAB_HTTP_PORT, LAB_UDP_PORT } from './topology.js';
import type { DecapPath } from '../realserver/ipip-decap.js';

/** LVS forwarding modes the lab can run. */
export type LabMode = 'dr' | 'nat' | 'tun';
/** Packet I/O backends. */
export type LabBackend = 'nfqueue' | 'afpacket' | 'afxdp';
/** Address family of the lab's virtual services (4: VIP4 over the real servers' v4 addresses; 6: VIP6 over their v6 ones). */
export type LabFamily = 4 | 6;

const FWD_FLAG: Record<LabMode, string> = { dr: '-g', nat: '-m', tun: '-i' };

/** Options of a lab director. */
export interface LabDirectorOptions {
  mode: LabMode;
  backend: LabBackend;
  /** Packet workers (default 2). */
  workers?: number;
  /** Scheduler (default rr). */
  scheduler?: string;
  /** Address family of the virtual services (default 4). */
  family?: LabFamily;
  /** Director host (default lb1). */
  director?: string;
  /** Extra director arguments. */
  extraArgs?: string[];
  /** ipvsadm rule lines replacing the lab rules (e.g. a fwmark service); `extraRules` still follow. */
  rules?: string;
  /** Extra ipvsadm rule lines appended to the lab rules (benchmark services). */
  extraRules?: string;
  /** Leave the process running after this one exits (lab up --mode); output goes to `logFile`. */
  detached?: boolean;
  logFile?: string;
}

/** The VIP of `family`. */
export function labVip(family: LabFamily = 4): string {
  return family === 6 ? LAB_ADDR.vip6 : LAB_ADDR.vip4;
}

/** "addr:port" as ipvsadm writes it ("[v6]:port" for IPv6). */
function endpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** ipvsadm rules for the lab: HTTP (TCP 80) and UDP 5300 on the VIP (of `family`) over every real server. */
export function labRules(lab: Lab, mode: LabMode, scheduler = 'rr', family: LabFamily = 4): string {
  const vip = labVip(family);
  const lines: string[] = [];
  for (const [flag, port] of [
    ['-t', LAB_HTTP_PORT],
    ['-u', LAB_UDP_PORT],
  ] as const) {
    lines.push(`-A ${flag} ${endpoint(vip, port)} -s ${scheduler}`);
    for (const rs of lab.byRole('realserver'))
      lines.push(`-a ${flag} ${endpoint(vip, port)} -r ${endpoint(family === 6 ? addr6(rs) : addr4(rs), port)} ${FWD_FLAG[mode]} -w 1`);
  }
  return lines.join('\n') + '\n';
}

function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
}

/** argv running a compiled CLI command module from dist/ (like the lab's responders: build first). */
export function commandArgv(name: 'director' | 'realserver' | 'run'): string[] {
  return distScriptArgv(`cli/commands/${name}.js`);
}

/** argv that runs the built script dist/REL with this Node (throws if it is not built). */
export function distScriptArgv(rel: string): string[] {
  const file = path.join(repoRoot(), 'dist', rel);
  if (!existsSync(file)) throw new Error(`${file} is missing: run 'npm run build' first`);
  return [process.execPath, file];
}

/** A long-running process in a lab host that printed a ready line. */
export interface LabProcess {
  child: ChildProcess;
  /** Everything it printed so far (attached mode). */
  output(): string;
  /** SIGINT (clean shutdown), then waits for exit; resolves to its output. */
  stop(): Promise<string>;
}

function startInHost(lab: Lab, node: string, argv: string[], readyText: string, o: { detached?: boolean; logFile?: string } = {}): Promise<LabProcess> {
  let out = '';
  const full = ['ip', 'netns', 'exec', lab.ns(node), ...argv];
  const child = o.detached
    ? spawn(full[0], full.slice(1), { detached: true, stdio: ['ignore', openSync(o.logFile!, 'a'), openSync(o.logFile!, 'a')] })
    : lab.spawn(node, argv);
  const proc: LabProcess = {
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGINT');
        const t = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(t);
      }
      return out;
    },
  };
  if (o.detached) {
    child.unref();
    return new Promise((resolve) => setTimeout(() => resolve(proc), 3000));
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${node} did not get ready: ${out}`)), 30000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes(readyText)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} in ${node} exited (${code}): ${out.trim()}`));
    });
  });
}

/**
 * The real servers' side of a mode (for the VIP of `o.family`, default 4, or every one of `o.vips`; NAT with family 6 moves the
 * IPv6 default route to the NAT gateway); returns a function that undoes it and resolves to the real
 * servers' `ulvs realserver` output (none for NAT).
 */
export async function prepareRealServers(
  lab: Lab,
  mode: LabMode,
  o: { detached?: boolean; logDir?: string; family?: LabFamily; decap?: DecapPath; vips?: string[] } = {},
): Promise<() => Promise<string[]>> {
  const rss = lab.byRole('realserver');
  const v6 = o.family === 6;
  if (mode === 'nat') {
    const fam = v6 ? '-6' : '-4';
    await Promise.all(
      rss.map((rs) => lab.execOk(rs.name, ['ip', fam, 'route', 'replace', 'default', 'via', v6 ? LAB_ADDR.natGateway6 : LAB_ADDR.natGateway4])),
    );
    return async () => {
      await Promise.all(rss.map((rs) => lab.exec(rs.name, ['ip', fam, 'route', 'replace', 'default', 'via', v6 ? LAB_ADDR.router6 : LAB_ADDR.router4])));
      return [];
    };
  }
  const procs = await Promise.all(
    rss.map((rs) =>
      startInHost(
        lab,
        rs.name,
        [...commandArgv('realserver'), 'run', '--mode', mode, ...(o.vips ?? [labVip(o.family)]).flatMap((v) => ['--vip', v]), '--decap', o.decap ?? 'auto'],
        'ready',
        {
          detached: o.detached,
          logFile: o.logDir ? path.join(o.logDir, `${rs.name}-realserver.log`) : undefined,
        },
      ),
    ),
  );
  return () => Promise.all(procs.map((p) => p.stop()));
}

/** The example keepalived.conf of `mode` (examples/lvs-MODE.conf, lab addresses), or undefined when absent. */
export function exampleConfig(mode: LabMode): string | undefined {
  const f = path.join(repoRoot(), 'examples', `lvs-${mode}.conf`);
  return existsSync(f) ? f : undefined;
}

/** Starts `ulvs run -f FILE` in lb1, detached (output to `logFile`), as a keepalived user would. */
export async function startLabDaemon(lab: Lab, file: string, o: { backend: LabBackend; logFile: string; metrics: string; node?: string }): Promise<LabProcess> {
  const argv = [...commandArgv('run'), '-f', file, '--backend', o.backend, '--iface', 'eth0', '--metrics', o.metrics];
  return startInHost(lab, o.node ?? 'lb1', argv, 'ready', { detached: true, logFile: o.logFile });
}

/** Starts `ulvs director` in a director host with the lab rules of `o.mode`; resolves when it is ready. */
export async function startLabDirector(lab: Lab, o: LabDirectorOptions): Promise<LabProcess & { rulesFile: string }> {
  // Under the lab's state dir, so `lab down` removes it even when the director was killed.
  mkdirSync(LAB_STATE_DIR, { recursive: true });
  const dir = mkdtempSync(path.join(LAB_STATE_DIR, `${lab.id}-director-`));
  const rulesFile = path.join(dir, `${o.mode}.rules`);
  writeFileSync(rulesFile, (o.rules ?? labRules(lab, o.mode, o.scheduler, o.family)) + (o.extraRules ?? ''));
  const gateway = o.family === 6 ? `${LAB_ADDR.natGateway6}/64` : `${LAB_ADDR.natGateway4}/24`;
  const argv = [
    ...commandArgv('director'),
    '--rules',
    rulesFile,
    '--iface',
    'eth0',
    '--backend',
    o.backend,
    '--workers',
    String(o.workers ?? 2),
    ...(o.mode === 'nat' ? ['--address', gateway] : []),
    ...(o.extraArgs ?? []),
  ];
  const p = await startInHost(lab, o.director ?? 'lb1', argv, 'ready', { detached: o.detached, logFile: o.logFile });
  const stop = p.stop;
  return {
    ...p,
    rulesFile,
    stop: async () => {
      const out = await stop();
      rmSync(dir, { recursive: true, force: true });
      return out;
    },
  };
}

/**
 * Asks the VIP (of `opts.family`, default 4) `n` times over HTTP (or UDP) from the client; returns the
 * answering real server per request ('' = failed).
 */
export async function requestsThroughVip(lab: Lab, n: number, opts: { udp?: boolean; family?: LabFamily } = {}): Promise<string[]> {
  const out: string[] = [];
  const v6 = opts.family === 6;
  const vip = labVip(opts.family);
  for (let i = 0; i < n; i++) {
    const argv = opts.udp
      ? [
          'python3',
          '-c',
          `import socket;s=socket.socket(socket.${v6 ? 'AF_INET6' : 'AF_INET'},socket.SOCK_DGRAM);s.settimeout(2);s.sendto(b'q',('${vip}',${LAB_UDP_PORT}));print(s.recvfrom(100)[0].decode().strip())`,
        ]
      : ['curl', '-s', '-m', '3', ...(v6 ? ['-6', '-g'] : []), `http://${v6 ? `[${vip}]` : vip}:${LAB_HTTP_PORT}/`];
    const r = await lab.exec('client', argv, { timeoutMs: 6000 });
    out.push(r.code === 0 ? r.stdout.trim() : '');
  }
  return out;
}

/** Counts answers per real server (failed requests under ''). */
export function countByServer(answers: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const a of answers) c[a] = (c[a] ?? 0) + 1;
  return c;
}

/** What ulvs left in host `node`: tagged iptables rules, ip rules/routes, the VIP or NAT gateway, bound NFQUEUEs. */
export async function directorLeftovers(lab: Lab, node = 'lb1'): Promise<string[]> {
  const out: string[] = [];
  const ipt = await lab.exec(node, ['sh', '-c', 'iptables-save; ip6tables-save']);
  for (const l of ipt.stdout.split('\n')) if (/ulvs|:ULVS /.test(l)) out.push(`iptables: ${l}`);
  for (const fam of ['-4', '-6']) {
    const rules = await lab.exec(node, ['ip', fam, 'rule', 'list']);
    for (const l of rules.stdout.split('\n')) if (l.includes('proto 117')) out.push(`ip ${fam} rule: ${l}`);
    if (!/^0:\s+from all lookup local/m.test(rules.stdout)) out.push(`ip ${fam} rule: the local table is not at preference 0`);
  }
  const routes = await lab.exec(node, ['ip', 'route', 'show', 'table', 'all', 'proto', '117']);
  if (routes.stdout.trim()) out.push(`routes: ${routes.stdout.trim()}`);
  const addrs = await lab.exec(node, ['ip', 'addr', 'show']);
  for (const a of [LAB_ADDR.vip4, LAB_ADDR.natGateway4, LAB_ADDR.vip6, LAB_ADDR.natGateway6]) if (addrs.stdout.includes(`${a}/`)) out.push(`address ${a}`);
  const q = await lab.exec(node, ['cat', '/proc/net/netfilter/nfnetlink_queue']);
  if (q.stdout.trim()) out.push(`bound queues: ${q.stdout.trim()}`);
  // The AF_XDP backend's programs (XDP on the interfaces) and sockets (/proc/net/xdp lists bound ones).
  const links = await lab.exec(node, ['ip', '-d', 'link', 'show']);
  for (const l of links.stdout.split('\n')) if (/prog\/xdp/.test(l)) out.push(`xdp program: ${l.trim()}`);
  return out;
}
