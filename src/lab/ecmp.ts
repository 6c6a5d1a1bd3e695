/**
 * The lab's ECMP mode (`ulvs lab up --directors N --ecmp`): the router runs FRR (zebra, bgpd, bfdd) in
 * its namespace, accepts BGP from any director on the LAN (dynamic neighbors, AS 65000) with BFD, and
 * installs every director's VIP route as one multipath route hashed on L4 ports
 * (fib_multipath_hash_policy=1). Each director runs `ulvs run` with a keepalived.conf (DR, mh with
 * mh-port, one bfd_instance towards the router, ulvs_bgp) and --sloppy-tcp. Readers for the router's
 * own view (vtysh JSON, the kernel route) serve the demo and the tests.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from '../util/exec.js';
import { LAB_STATE_DIR, type Lab } from './lab.js';
import { commandArgv, distScriptArgv, prepareRealServers } from './modes.js';
import { multipathNextHops } from './resilient-ecmp.js';
import { LAB_ADDR, addr4, addr6 } from './topology.js';

/** The router's AS and the directors' AS in the ECMP lab. */
export const ECMP_ASN = { router: 65000, directors: 65100 } as const;
/** BFD timers of the lab (ms × multiplier): 200 ms × 3, sub-second yet calm on a loaded 2-core host. */
export const ECMP_BFD = { intervalMs: 200, multiplier: 3 } as const;

function frrDir(lab: Lab): string {
  return path.join(LAB_STATE_DIR, `${lab.id}-frr`);
}

/** The router's bgpd.conf: dynamic neighbors from the LAN (IPv4 sessions with BFD for the IPv4 VIP, IPv6 sessions for the IPv6 VIP), multipath over up to 16 directors. */
export function routerBgpdConfig(holdS = 9): string {
  return [
    'frr defaults datacenter',
    '!',
    `router bgp ${ECMP_ASN.router}`,
    ` bgp router-id ${LAB_ADDR.router4}`,
    ' no bgp ebgp-requires-policy',
    ' bgp bestpath as-path multipath-relax',
    ' neighbor DIRECTORS peer-group',
    ' neighbor DIRECTORS remote-as external',
    ` neighbor DIRECTORS timers ${Math.floor(holdS / 3)} ${holdS}`,
    ' neighbor DIRECTORS advertisement-interval 0',
    ' neighbor DIRECTORS bfd profile ulvs',
    ` bgp listen range ${LAB_ADDR.lanPrefix4} peer-group DIRECTORS`,
    ' neighbor DIRECTORS6 peer-group',
    ' neighbor DIRECTORS6 remote-as external',
    ` neighbor DIRECTORS6 timers ${Math.floor(holdS / 3)} ${holdS}`,
    ' neighbor DIRECTORS6 advertisement-interval 0',
    ` bgp listen range ${LAB_ADDR.lanPrefix6} peer-group DIRECTORS6`,
    ' address-family ipv4 unicast',
    '  no neighbor DIRECTORS6 activate',
    '  maximum-paths 16',
    ' exit-address-family',
    ' address-family ipv6 unicast',
    '  neighbor DIRECTORS6 activate',
    '  maximum-paths 16',
    ' exit-address-family',
    '!',
    '',
  ].join('\n');
}

/** How the lab router spreads flows over the directors: FRR's own hash-threshold route, or a kernel resilient group (resilient-ecmp.ts). */
export type EcmpHash = 'threshold' | 'resilient';

/** The VIP prefixes the ECMP lab announces (and the resilient follower installs). */
export const ECMP_VIPS = [`${LAB_ADDR.vip4}/32`, `${LAB_ADDR.vip6}/128`] as const;

/** zebra.conf: nothing, or (resilient) a deny on installing BGP routes, which the follower installs instead. */
function zebraConfig(hash: EcmpHash): string {
  if (hash === 'threshold') return '!\n';
  return 'route-map ULVS-NO-FIB deny 10\n!\nip protocol bgp route-map ULVS-NO-FIB\nipv6 protocol bgp route-map ULVS-NO-FIB\n!\n';
}

/** Waits until `file` exists; else throws with the tail of `log`. */
async function waitFile(file: string, log: string, what: string): Promise<void> {
  const until = Date.now() + 10_000;
  while (!existsSync(file)) {
    if (Date.now() > until) throw new Error(`${what} did not start in the router: ${readFileSync(log, 'utf8').trim().slice(-300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts zebra, bfdd and bgpd in the router's namespace (detached; ended with the namespace on lab down); 'resilient' also starts the follower. */
export async function startEcmpRouter(lab: Lab, hash: EcmpHash = 'threshold'): Promise<void> {
  const ns = lab.ns('router');
  await run(['sysctl', '-q', '-w', 'net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.fib_multipath_hash_policy=1'], { netns: ns });
  const dir = frrDir(lab);
  mkdirSync(dir, { recursive: true });
  const bfd = `bfd\n profile ulvs\n  receive-interval ${ECMP_BFD.intervalMs}\n  transmit-interval ${ECMP_BFD.intervalMs}\n  detect-multiplier ${ECMP_BFD.multiplier}\n !\n!\n`;
  writeFileSync(path.join(dir, 'zebra.conf'), zebraConfig(hash));
  writeFileSync(path.join(dir, 'bfdd.conf'), bfd);
  writeFileSync(path.join(dir, 'bgpd.conf'), routerBgpdConfig());
  // The daemons stay root (-u root; group frrvty, which FRR requires for its vty sockets): FRR's default frr user cannot reach this directory when
  // /run/ulvs is 0700, as a daemon's control socket directory makes it (prepareSocketDir).
  const z = path.join(dir, 'zserv.api');
  const daemons: Array<[string, string[]]> = [
    ['zebra', []],
    ['bfdd', ['--bfdctl', path.join(dir, 'bfdd.sock')]],
    ['bgpd', []],
  ];
  for (const [name, extra] of daemons) {
    const log = openSync(path.join(dir, `${name}.log`), 'a');
    const argv = [
      `/usr/lib/frr/${name}`,
      '-f',
      path.join(dir, `${name}.conf`),
      '-i',
      path.join(dir, `${name}.pid`),
      '-z',
      z,
      '--vty_socket',
      dir,
      '-P',
      '0',
      '-u',
      'root',
      '-g',
      'frrvty',
    ];
    const child = spawn('ip', ['netns', 'exec', ns, ...argv, ...extra, '--log', 'stdout'], { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    closeSync(log);
    await waitFile(path.join(dir, `${name}.vty`), path.join(dir, `${name}.log`), `FRR ${name}`);
  }
  if (hash === 'resilient') {
    const logFile = path.join(dir, 'resilient.log');
    const log = openSync(logFile, 'a');
    const vips = ECMP_VIPS.flatMap((p) => ['--vip', p]);
    const argv = [...distScriptArgv('lab/resilient-ecmp.js'), '--vty', path.join(dir, 'bgpd.vty'), '--dev', 'eth1', ...vips];
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { detached: true, stdio: ['ignore', log, log] });
    child.unref();
    closeSync(log);
    const until = Date.now() + 10_000;
    while (!readFileSync(logFile, 'utf8').includes('ready')) {
      if (Date.now() > until) throw new Error(`the resilient-hash follower did not start: ${readFileSync(logFile, 'utf8').trim().slice(-300)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Runs vtysh lines in the router; resolves to stdout. */
export async function routerVtysh(lab: Lab, ...lines: string[]): Promise<string> {
  const r = await run(['vtysh', '--vty_socket', frrDir(lab), ...lines.flatMap((l) => ['-c', l])], { netns: lab.ns('router'), timeoutMs: 5000 });
  return r.stdout;
}

/** The router's BGP sessions of one address family (`show bgp ipvN unicast summary json`): neighbor address -> state, prefixes received. */
export async function routerBgpPeers(lab: Lab, family: 4 | 6 = 4): Promise<Record<string, { state: string; pfxRcd: number }>> {
  try {
    const j = JSON.parse(await routerVtysh(lab, `show bgp ipv${family} unicast summary json`)) as {
      peers?: Record<string, { state?: string; pfxRcd?: number }>;
    };
    // FRR lists the dynamic IPv6 peers in the IPv4 summary too (0 prefixes): keep the family's own.
    return Object.fromEntries(
      Object.entries(j.peers ?? {})
        .filter(([k]) => k.includes(':') === (family === 6))
        .map(([k, v]) => [k, { state: v.state ?? '?', pfxRcd: v.pfxRcd ?? 0 }]),
    );
  } catch {
    return {};
  }
}

/** The next hops of the router's BGP multipath set for `prefix` (`show bgp … PREFIX json`: its own table, not the kernel's). */
export async function routerBgpMultipath(lab: Lab, prefix: string): Promise<string[]> {
  return multipathNextHops(await routerVtysh(lab, `show bgp ${prefix.includes(':') ? 'ipv6' : 'ipv4'} unicast ${prefix} json`));
}

/** The router's BFD sessions (`show bfd peers json`): peer address -> status (up, down, init). */
export async function routerBfdPeers(lab: Lab): Promise<Record<string, string>> {
  try {
    const j = JSON.parse(await routerVtysh(lab, 'show bfd peers json')) as Array<{ peer?: string; status?: string }>;
    return Object.fromEntries(j.map((p) => [p.peer ?? '?', p.status ?? '?']));
  } catch {
    return {};
  }
}

/** Next hops of the router's kernel route to the VIP (the ECMP group), sorted. */
export async function vipNextHops(lab: Lab, vip: string = LAB_ADDR.vip4): Promise<string[]> {
  const v6 = vip.includes(':');
  const r = await run(['ip', '-j', v6 ? '-6' : '-4', 'route', 'show', `${vip}/${v6 ? 128 : 32}`], { netns: lab.ns('router') });
  try {
    const j = JSON.parse(r.stdout || '[]') as Array<{ gateway?: string; nexthops?: Array<{ gateway: string }> }>;
    return j.flatMap((e) => (e.nexthops ? e.nexthops.map((n) => n.gateway) : e.gateway ? [e.gateway] : [])).sort();
  } catch {
    return [];
  }
}

/** A director's keepalived.conf in the ECMP lab: DR, mh + mh-port over every real server for the IPv4 and the IPv6 VIP, BFD and BGP to the router (an IPv4 session for the IPv4 VIP, an IPv6 one for the IPv6 VIP). */
export function ecmpDirectorConfig(lab: Lab, director: string, o: { bfd?: boolean; holdS?: number; drainWaitS?: number } = {}): string {
  const me = addr4(lab.node(director));
  const rss = lab.byRole('realserver');
  // source_ip on the IPv6 session: the kernel would pick the VIP on eth0 (every director holds it), one address for all.
  const rs4 = rss.map((n) => `  real_server ${addr4(n)} 80 {\n  }\n`);
  const rs6 = rss.map((n) => `  real_server ${addr6(n)} 80 {\n  }\n`);
  const bfd = o.bfd !== false;
  return [
    ...(bfd
      ? [
          `bfd_instance rtr {\n neighbor_ip ${LAB_ADDR.router4}\n source_ip ${me}\n min_rx ${ECMP_BFD.intervalMs}\n min_tx ${ECMP_BFD.intervalMs}\n multiplier ${ECMP_BFD.multiplier}\n}`,
        ]
      : []),
    `virtual_server ${LAB_ADDR.vip4} 80 {\n protocol TCP\n lvs_sched mh\n mh-port\n lvs_method DR\n${rs4.join('')}}`,
    `virtual_server ${LAB_ADDR.vip6} 80 {\n protocol TCP\n lvs_sched mh\n mh-port\n lvs_method DR\n${rs6.join('')}}`,
    `ulvs_bgp {\n local_as ${ECMP_ASN.directors}\n router_id ${me}\n hold_time ${o.holdS ?? 9}\n drain_wait ${o.drainWaitS ?? 5}\n neighbor ${LAB_ADDR.router4} {\n  remote_as ${ECMP_ASN.router}\n${bfd ? '  bfd_instance rtr\n' : ''} }\n neighbor ${LAB_ADDR.router6} {\n  remote_as ${ECMP_ASN.router}\n  source_ip ${addr6(lab.node(director))}\n }\n}`,
    '',
  ].join('\n');
}

/** Prepares the real servers of the ECMP lab for DR with both VIPs (`ulvs realserver run`). */
export function prepareEcmpRealServers(lab: Lab, o: { detached?: boolean; logDir?: string } = {}): Promise<() => Promise<string[]>> {
  return prepareRealServers(lab, 'dr', { ...o, vips: [LAB_ADDR.vip4, LAB_ADDR.vip6] });
}

/** A director's `ulvs run` in the ECMP lab. */
export interface EcmpDirector {
  name: string;
  pid: number;
  /** Its log so far. */
  log(): string;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  /** Sends `signal` and resolves once the process is gone (polling: the child is unref'd for `lab up`). */
  stop(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `ulvs run --sloppy-tcp` on `director` (detached, log in the lab's state dir); resolves once it logged 'ulvs started'. */
export async function startEcmpDirector(
  lab: Lab,
  director: string,
  o: { bfd?: boolean; holdS?: number; drainWaitS?: number; sloppyTcp?: boolean } = {},
): Promise<EcmpDirector> {
  const dir = path.join(LAB_STATE_DIR, `${lab.id}-ecmp`);
  mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, `${director}.conf`);
  writeFileSync(conf, ecmpDirectorConfig(lab, director, o));
  const logFile = path.join(dir, `${director}.log`);
  const fd = openSync(logFile, 'w');
  const argv = [
    ...commandArgv('run'),
    '-f',
    conf,
    ...(o.sloppyTcp === false ? [] : ['--sloppy-tcp']),
    '--backend',
    'afpacket',
    '--iface',
    'eth0',
    '--no-metrics',
  ];
  const child = spawn('ip', ['netns', 'exec', lab.ns(director), ...argv], { detached: true, stdio: ['ignore', fd, fd] });
  child.unref();
  closeSync(fd);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const log = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const until = Date.now() + 30_000;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  while (!log().includes('ulvs started')) {
    if (gone || Date.now() > until) throw new Error(`ulvs run on ${director} did not start: ${log().trim().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (signal: NodeJS.Signals): Promise<void> => {
    try {
      process.kill(child.pid!, signal);
    } catch {
      return;
    }
    const end = Date.now() + 30_000;
    while (!gone && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  };
  return { name: director, pid: child.pid!, log, exited, stop };
}

/** The director the router's ECMP hash sends each client source port to (`ip route get` per flow, the kernel's own pick). */
export async function nextHopOfFlows(lab: Lab, ports: readonly number[], vip: string = LAB_ADDR.vip4): Promise<string[]> {
  const from = vip.includes(':') ? LAB_ADDR.client6 : LAB_ADDR.client4;
  const lines = ports.map((p) => `route get ${vip} from ${from} iif eth0 ipproto tcp sport ${p} dport 80`).join('\n');
  const r = await run(['sh', '-c', `printf '%s\\n' "$0" | ip -batch -`, lines], { netns: lab.ns('router'), timeoutMs: 20_000 });
  return [...r.stdout.matchAll(/ via (\S+)/g)].map((m) => m[1]!);
}

/** Waits until the router's VIP route has exactly `hops` next hops; resolves to them (or the last seen, on timeout). */
export async function waitNextHops(lab: Lab, hops: string[], timeoutMs = 15_000, vip: string = LAB_ADDR.vip4): Promise<string[]> {
  const want = [...hops].sort().join(',');
  const until = Date.now() + timeoutMs;
  let now: string[] = [];
  while (Date.now() < until) {
    now = await vipNextHops(lab, vip);
    if (now.join(',') === want) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return now;
}
