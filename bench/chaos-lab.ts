/**
 * The chaos bed shared by test/lab/chaos-*.test.ts and bench/chaos.ts: node `a` runs the director as a
 * user would (`ulvs run -f FILE`, /metrics on 127.0.0.1:9406 in its namespace, open files capped at
 * 1024 so an fd flood would reach the limit), node `b` runs keepalived 2.2.7 as BACKUP of both
 * instances, node `c` is an attacker on the link. A case runs a stress while `b` records every advert
 * of `a` (tcpdump) and whether it ever took a VIP, and `a`'s RSS is sampled.
 */
import { run } from '../src/util/exec.js';
import { callOnce } from '../src/api/client.js';
import path from 'node:path';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { REPO, VrrpBed, bedId, ensureDist, stopProc, type BedProc } from './failover-lab.js';

/** VIP of the multicast instance VI_M (vrid 51). */
export const VIP_M = '10.71.0.100';
/** VIP of the unicast instance VI_U (vrid 52, check_unicast_src, peer b). */
export const VIP_U = '10.71.0.101';
/** Advert interval of both instances (ms). */
export const ADVERT_INT_MS = 1000;
/** The ulvs checkout whose bin/ulvs.mjs runs as the director (ULVS_CHAOS_DIRECTOR: compare an older build). */
export const DIRECTOR_REPO = process.env.ULVS_CHAOS_DIRECTOR ?? REPO;
/** The open-files limit the director runs with (soft = hard, as a small box would have). */
export const DIRECTOR_NOFILE = 1024;

/** The director's keepalived.conf; `extra` is appended (includes...), `extraVips` go to VI_M's virtual_ipaddress_excluded (not in adverts, so keepalived's config still matches). */
export function directorConf(extra = '', extraVips: string[] = []): string {
  return `global_defs {
 router_id lb-a
}
vrrp_instance VI_M {
 state MASTER
 interface eth0
 virtual_router_id 51
 priority 200
 advert_int 1
 virtual_ipaddress {
  ${VIP_M}/24
 }
 virtual_ipaddress_excluded {
${extraVips.map((v) => `  ${v}/24\n`).join('')} }
}
vrrp_instance VI_U {
 state MASTER
 interface eth0
 virtual_router_id 52
 priority 200
 advert_int 1
 unicast_src_ip 10.71.0.1
 unicast_peer {
  10.71.0.2
 }
 check_unicast_src
 virtual_ipaddress {
  ${VIP_U}/24
 }
}
virtual_server ${VIP_M} 80 {
 lvs_sched rr
 lvs_method DR
 protocol TCP
 real_server 10.71.0.9 80 {
  weight 1
 }
}
${extra}
`;
}

const BACKUP_CONF = `global_defs {
 router_id lb-b
}
vrrp_instance VI_M {
 state BACKUP
 interface eth0
 virtual_router_id 51
 priority 100
 advert_int 1
 virtual_ipaddress {
  ${VIP_M}/24
 }
}
vrrp_instance VI_U {
 state BACKUP
 interface eth0
 virtual_router_id 52
 priority 100
 advert_int 1
 unicast_src_ip 10.71.0.2
 unicast_peer {
  10.71.0.1
 }
 virtual_ipaddress {
  ${VIP_U}/24
 }
}
`;

/** One VRRP instance as `ulvs status` reports it. */
export interface InstanceView {
  name: string;
  state: string;
  transitions: number;
  advertsDropped: Record<string, number>;
}

/** What one stress case did to the pair. */
export interface CaseOutcome {
  name: string;
  /** Longest silence of the MASTER seen on the BACKUP (ms): between two adverts, or from the case's start / to its end. */
  maxAdvertGapMs: number;
  adverts: number;
  /** The BACKUP (keepalived) held a VIP or entered MASTER at some point. */
  backupTookOver: boolean;
  /** RSS of the director (KiB): before the stress, highest during it, and after it. */
  rssKiB: { before: number; peak: number; after: number };
  /** The director process still runs. */
  alive: boolean;
  /** Exit code and output of `ulvsadm -L -n` after the case. */
  ulvsadm: { code: number; out: string };
  /** Instances after the case. */
  instances: InstanceView[];
  /** Whatever the stress returned. */
  detail: unknown;
}

/** The running bed. */
export class ChaosBed {
  private constructor(
    readonly bed: VrrpBed,
    readonly director: BedProc,
    readonly backup: BedProc,
    readonly conf: string,
    readonly sock: string,
  ) {}

  /** Builds the bed and starts both directors; resolves once `a` is MASTER of both and `b` BACKUP. */
  static async up(tag: string): Promise<ChaosBed> {
    await ensureDist();
    const bed = await VrrpBed.up(bedId(tag), [
      { name: 'a', addrs: ['10.71.0.1/24'] },
      { name: 'b', addrs: ['10.71.0.2/24'] },
      { name: 'c', addrs: ['10.71.0.3/24'] },
    ]);
    try {
      await run(['ip', 'link', 'set', 'lo', 'up'], { netns: bed.ns('a') });
      const conf = bed.file('keepalived.conf', directorConf());
      const sock = path.join(bed.dir, 'ulvs.sock');
      const director = bed.spawn('a', [
        'prlimit',
        `--nofile=${DIRECTOR_NOFILE}:${DIRECTOR_NOFILE}`,
        process.execPath,
        path.join(DIRECTOR_REPO, 'bin/ulvs.mjs'),
        'run',
        '-f',
        conf,
        '--metrics',
        '127.0.0.1:9406',
        '--socket',
        sock,
        '--pid-file',
        path.join(bed.dir, 'ulvs.pid'),
      ]);
      const cb = new ChaosBed(bed, director, undefined as unknown as BedProc, conf, sock);
      if (!(await bed.until(async () => (await cb.instances().catch(() => [])).filter((i) => i.state === 'MASTER').length === 2, 15000))) {
        throw new Error(`the director did not become MASTER:\n${director.out.slice(-20).join('\n')}`);
      }
      const backup = bed.keepalived('b', BACKUP_CONF);
      (cb as { backup: BedProc }).backup = backup;
      if (!(await bed.until(() => backup.out.filter((l) => l.includes('Entering BACKUP STATE')).length >= 2, 15000))) {
        throw new Error(`keepalived did not enter BACKUP:\n${backup.out.slice(-20).join('\n')}`);
      }
      return cb;
    } catch (e) {
      await bed.down();
      throw e;
    }
  }

  /** Stops both directors and removes the bed. */
  async down(): Promise<void> {
    await stopProc(this.director);
    if (this.backup) await stopProc(this.backup);
    await this.bed.down();
  }

  /** The director's VRRP instances (control socket). */
  async instances(): Promise<InstanceView[]> {
    return (await callOnce<{ vrrp: InstanceView[] }>(this.sock, 'status')).vrrp;
  }

  /** `ulvsadm -L -n` run inside `a`, as an operator would. */
  async ulvsadm(): Promise<{ code: number; out: string }> {
    const r = await run([process.execPath, path.join(DIRECTOR_REPO, 'bin/ulvsadm.mjs'), '-L', '-n'], {
      netns: this.bed.ns('a'),
      env: { ...process.env, ULVS_SOCKET: this.sock },
      timeoutMs: 20000,
    });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  /** `ulvs reload` run inside `a`. */
  async reload(): Promise<{ code: number; out: string }> {
    const r = await run([process.execPath, path.join(DIRECTOR_REPO, 'bin/ulvs.mjs'), 'reload', '--socket', this.sock], {
      netns: this.bed.ns('a'),
      timeoutMs: 60000,
    });
    return { code: r.code, out: r.stdout + r.stderr };
  }

  /** Rewrites the director's keepalived.conf. */
  writeConf(text: string): void {
    writeFileSync(this.conf, text);
  }

  /** Runs argv as user nobody inside node `n` (setpriv: no groups, no capabilities). */
  asNobody(n: string, argv: string[], timeoutMs = 60000): Promise<{ code: number; stdout: string; stderr: string }> {
    return run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', ...argv], { netns: this.bed.ns(n), timeoutMs });
  }

  /** Runs `stress` while watching adverts, the BACKUP and RSS; `settleMs` more are watched after it. */
  async stressCase(name: string, stress: () => Promise<unknown>, settleMs = 1500): Promise<CaseOutcome> {
    const adverts: number[] = [];
    const cap = this.bed.spawn('b', ['tcpdump', '-i', 'eth0', '-n', '-l', '--immediate-mode', '-tt', 'ip proto 112 and src 10.71.0.1']);
    await this.bed.until(() => cap.out.some((l) => l.includes('listening on')), 5000);
    const seen = cap.out.length;
    const backupLines = this.backup.out.length;
    let tookOver = false;
    let stop = false;
    const rss = { before: rssKiB(this.director.pid), peak: 0, after: 0 };
    rss.peak = rss.before;
    const poll = (async () => {
      while (!stop) {
        rss.peak = Math.max(rss.peak, rssKiB(this.director.pid));
        const r = await run(['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: this.bed.ns('b') });
        if (r.stdout.includes(VIP_M) || r.stdout.includes(VIP_U)) tookOver = true;
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    let detail: unknown;
    const startMs = Date.now();
    let endMs = startMs;
    try {
      detail = await stress();
      await new Promise((res) => setTimeout(res, settleMs));
      endMs = Date.now();
    } finally {
      stop = true;
      await poll;
      await stopProc(cap, 'SIGINT');
    }
    for (const l of cap.out.slice(seen)) {
      const m = /^(\d+\.\d+) IP 10\.71\.0\.1 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51\b/.exec(l);
      if (m) adverts.push(Number(m[1]) * 1000);
    }
    // Silence counts from the window's start and up to its end too: a MASTER that stops advertising shows.
    const marks = [startMs, ...adverts.filter((a) => a >= startMs && a <= endMs), endMs];
    let gap = 0;
    for (let i = 1; i < marks.length; i++) gap = Math.max(gap, marks[i]! - marks[i - 1]!);
    if (this.backup.out.slice(backupLines).some((l) => l.includes('Entering MASTER STATE'))) tookOver = true;
    rss.after = rssKiB(this.director.pid);
    const alive = this.director.child.exitCode === null && this.director.child.signalCode === null;
    return {
      name,
      maxAdvertGapMs: Math.round(gap),
      adverts: adverts.length,
      backupTookOver: tookOver,
      rssKiB: rss,
      alive,
      ulvsadm: alive ? await this.ulvsadm() : { code: -1, out: 'director gone' },
      instances: alive ? await this.instances().catch(() => []) : [],
      detail,
    };
  }
}

/** Resident set size of a process in KiB (0 when it is gone). */
export function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The flood tool (bench/chaos-flood.mjs) as argv. */
export function floodArgv(...args: string[]): string[] {
  return [process.execPath, path.join(REPO, 'bench/chaos-flood.mjs'), ...args];
}

/**
 * Sends crafted VRRPv2 adverts with scapy from node `n`: `count` of them, 0.05 s apart, from `src` to
 * `dst` with IP TTL `ttl`, for `vrid` at `priority` carrying `vip`.
 */
export async function craftAdverts(
  bed: VrrpBed,
  n: string,
  o: { src: string; dst: string; ttl: number; vrid: number; priority: number; vip: string; count: number },
): Promise<void> {
  // Multicast goes out by sendp with the group's MAC and our own (the node has no multicast route, and a
  // bridge drops a zero source MAC); unicast is routed.
  const group = /^22[4-9]\.|^23\d\./.test(o.dst);
  const mac = group
    ? `01:00:5e:${o.dst
        .split('.')
        .slice(1)
        .map((x, i) => (i === 0 ? Number(x) & 0x7f : Number(x)).toString(16).padStart(2, '0'))
        .join(':')}`
    : '';
  const py =
    `from scapy.all import Ether, IP, get_if_hwaddr, send, sendp\nfrom scapy.layers.vrrp import VRRP\n` +
    `p = IP(src='${o.src}', dst='${o.dst}', ttl=${o.ttl}, proto=112) / VRRP(version=2, type=1, vrid=${o.vrid}, priority=${o.priority}, ipcount=1, authtype=0, adv=1, addrlist=['${o.vip}'])\n` +
    (group
      ? `sendp(Ether(src=get_if_hwaddr('eth0'), dst='${mac}') / p, iface='eth0', count=${o.count}, inter=0.05, verbose=False)\n`
      : `send(p, count=${o.count}, inter=0.05, verbose=False)\n`);
  const r = await run(['/usr/bin/python3', '-c', py], { netns: bed.ns(n), timeoutMs: 60000 });
  if (r.code !== 0) throw new Error(`scapy failed: ${r.stderr.slice(-500)}`);
}

/** Writes `head` then `mb` MiB of keepalived.conf comment lines (100 bytes each) to `file`. */
export function bigConf(file: string, head: string, mb: number): void {
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, head);
    const chunk = ('# ' + 'x'.repeat(97) + '\n').repeat(10486);
    for (let i = 0; i < mb; i++) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}
