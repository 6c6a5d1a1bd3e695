/**
 * The lab router's resilient hashing (`ulvs lab up --ecmp resilient`), lab code only: FRR 8.4's zebra
 * installs BGP multipath routes as hash-threshold groups (RFC 2992: removing one of N next hops re-cuts
 * the hash space and moves flows between the ones that stay) and has no way to ask for the kernel's
 * resilient nexthop groups. So, as a router with "resilient hashing" (Arista, Cumulus) would, this
 * follower keeps zebra from installing the VIP routes (ecmp.ts: `ip protocol bgp route-map` deny), reads
 * the router's own BGP table (bgpd's vty socket, JSON) every 100 ms and installs each VIP on a kernel
 * resilient group (`ip nexthop … type resilient buckets 512`): a removed next hop's buckets go to the
 * others, an added one takes buckets over from the others (idle_timer 0: at once), and no other bucket
 * moves. Runnable as `node dist/lab/resilient-ecmp.js --vty SOCKET --dev IF --vip P [--vip P]`.
 */
import { createConnection, type Socket } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { run } from '../util/exec.js';

/** The kernel group's shape: 512 buckets, buckets move at once when a next hop is added (no idle wait). */
export const RESILIENT_GROUP = { buckets: 512, idleTimerS: 0, unbalancedTimerS: 0 } as const;

/** Group ids per VIP and nexthop ids the follower owns in the router's namespace (far above the small ids zebra allocates). */
const GROUP_ID0 = 9_000_000;
const NEXTHOP_ID0 = 9_100_000;

interface BgpPathJson {
  valid?: boolean;
  multipath?: boolean;
  bestpath?: unknown;
  nexthops?: Array<{ ip?: string; scope?: string; accessible?: boolean }>;
}

/** The next hops of a prefix's multipath set in bgpd's `show bgp … PREFIX json` (valid best + multipath paths), sorted. */
export function multipathNextHops(json: string): string[] {
  let j: { paths?: BgpPathJson[] };
  try {
    j = JSON.parse(json) as { paths?: BgpPathJson[] };
  } catch {
    return [];
  }
  const hops = new Set<string>();
  for (const p of j.paths ?? []) {
    if (!p.valid || !(p.multipath || p.bestpath)) continue;
    // An IPv6 path lists the global next hop and the link-local one: the global one is routable here.
    const nh = (p.nexthops ?? []).find((n) => n.ip && n.scope !== 'link-local') ?? p.nexthops?.[0];
    if (nh?.ip) hops.add(nh.ip);
  }
  return [...hops].sort();
}

/** The `ip -batch` lines that move `prefix` (group `groupId`) from next hops `before` to `after`; `ids` maps a gateway to its nexthop id (new ones are added to it). */
export function resilientBatch(
  prefix: string,
  groupId: number,
  before: readonly string[],
  after: readonly string[],
  dev: string,
  ids: Map<string, number>,
): string[] {
  const lines: string[] = [];
  if (after.length === 0) {
    // The group stays (unused): deleting it races zebra, which re-created it as its own plain group.
    if (before.length) lines.push(`route del ${prefix}`);
    return lines;
  }
  for (const gw of after) {
    if (ids.has(gw)) continue;
    ids.set(gw, NEXTHOP_ID0 + ids.size);
    lines.push(`nexthop replace id ${ids.get(gw)} via ${gw} dev ${dev}`);
  }
  const members = after.map((gw) => ids.get(gw)).join('/');
  const g = RESILIENT_GROUP;
  // replace creates the group, or changes its members in place (the buckets of the others stay).
  lines.push(
    `nexthop replace id ${groupId} group ${members} type resilient buckets ${g.buckets} idle_timer ${g.idleTimerS} unbalanced_timer ${g.unbalancedTimerS}`,
  );
  // Not proto bgp: zebra treats kernel routes of its own protocols as its own stale ones.
  if (before.length === 0) lines.push(`route replace ${prefix} nhid ${groupId} proto static`);
  return lines;
}

/** One request/answer over bgpd's vty socket (vtysh's protocol: the command ends with NUL, the answer with three NULs and a status byte). */
class VtyClient {
  private sock?: Socket;
  private buf = Buffer.alloc(0);
  private waiting?: (text: string) => void;

  constructor(private readonly path: string) {}

  async query(cmd: string): Promise<string> {
    if (!this.sock) await this.connect();
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.close();
        reject(new Error('bgpd did not answer'));
      }, 2000);
      this.waiting = (text) => {
        clearTimeout(timer);
        resolve(text);
      };
      this.sock!.write(`${cmd}\0`);
    });
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createConnection(this.path);
      s.once('connect', () => {
        this.sock = s;
        resolve();
      });
      s.once('error', (e) => {
        this.close();
        reject(e);
      });
      s.on('close', () => this.close());
      s.on('data', (d: Buffer) => {
        this.buf = Buffer.concat([this.buf, d]);
        const n = this.buf.length;
        if (n >= 4 && this.buf[n - 4] === 0 && this.buf[n - 3] === 0 && this.buf[n - 2] === 0) {
          const text = this.buf.subarray(0, n - 4).toString('utf8');
          this.buf = Buffer.alloc(0);
          const w = this.waiting;
          this.waiting = undefined;
          w?.(text);
        }
      });
    });
  }

  close(): void {
    this.sock?.destroy();
    this.sock = undefined;
    this.buf = Buffer.alloc(0);
  }
}

/** Follows bgpd's multipath set of every VIP prefix into kernel resilient groups until SIGTERM; `log` gets one line per change. */
export async function followBgp(o: { vty: string; dev: string; vips: string[]; intervalMs?: number; log?: (l: string) => void }): Promise<void> {
  const log = o.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const vty = new VtyClient(o.vty);
  const ids = new Map<string, number>();
  const applied = new Map<string, string[]>(o.vips.map((p) => [p, []]));
  let stopping = false;
  let lastError = '';
  const stop = (): void => {
    stopping = true;
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  log(`ready: following ${o.vips.join(', ')} into resilient groups of ${RESILIENT_GROUP.buckets} buckets`);
  while (!stopping) {
    for (const [i, prefix] of o.vips.entries()) {
      let hops: string[];
      try {
        hops = multipathNextHops(await vty.query(`show bgp ${prefix.includes(':') ? 'ipv6' : 'ipv4'} unicast ${prefix} json`));
      } catch {
        continue; // bgpd restarting or busy: keep what is installed
      }
      const before = applied.get(prefix)!;
      if (hops.join(',') === before.join(',')) continue;
      const lines = resilientBatch(prefix, GROUP_ID0 + i, before, hops, o.dev, ids);
      // No -4/-6: a nexthop group has no family; a route's comes from its prefix.
      const r = await run(['ip', '-force', '-batch', '-'], { input: `${lines.join('\n')}\n` });
      if (r.code !== 0) {
        const err = `${prefix}: ip failed (retrying): ${r.stderr.trim()}`;
        if (err !== lastError) log(err);
        lastError = err;
        continue;
      }
      lastError = '';
      applied.set(prefix, hops);
      log(`${prefix}: ${hops.length ? hops.join(' ') : 'no route'}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
  vty.close();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({ options: { vty: { type: 'string' }, dev: { type: 'string' }, vip: { type: 'string', multiple: true } } });
  if (!values.vty || !values.dev || !values.vip?.length) {
    process.stderr.write('usage: resilient-ecmp.js --vty BGPD_VTY_SOCKET --dev IF --vip PREFIX [--vip PREFIX]\n');
    process.exit(2);
  }
  await followBgp({ vty: values.vty, dev: values.dev, vips: values.vip });
}
