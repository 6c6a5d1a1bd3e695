/**
 * Reads the director host's network environment the snapshot is compiled against (interfaces with
 * MAC/MTU/addresses, routes, neighbours) with `ip -j`, and resolves next hops' MACs by making the
 * kernel send ARP/ND for them (host/neighbours.ts) before reading the neighbour table.
 * Control-path code (runs at start and on refresh), never per packet.
 */
import type { LinkType } from '../core/batch.js';
import type { InterfaceEnv, RouteEnv, SnapshotEnv } from '../dataplane/snapshot-types.js';
import { run } from '../util/exec.js';
import { useNeighbours } from './neighbours.js';

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  address?: string;
  mtu: number;
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope?: string }>;
}

interface IpRouteJson {
  dst: string;
  gateway?: string;
  dev?: string;
  type?: string;
}

async function ipJson<T>(argv: string[]): Promise<T[]> {
  const r = await run(['ip', '-j', ...argv]);
  if (r.code !== 0) throw new Error(`'ip -j ${argv.join(' ')}' failed: ${r.stderr.trim()}`);
  try {
    return JSON.parse(r.stdout || '[]') as T[];
  } catch {
    return [];
  }
}

/** The interfaces named (all non-loopback ones when `names` is empty). */
export async function readInterfaces(names: string[] = []): Promise<InterfaceEnv[]> {
  const all = await ipJson<IpAddrJson>(['addr', 'show']);
  const out: InterfaceEnv[] = [];
  for (const l of all) {
    if (l.ifname === 'lo') continue;
    if (names.length && !names.includes(l.ifname)) continue;
    out.push({
      ifindex: l.ifindex,
      name: l.ifname,
      mac: l.address ?? '00:00:00:00:00:00',
      mtu: l.mtu,
      addresses: (l.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => `${a.local}/${a.prefixlen}`),
    });
  }
  for (const n of names) if (!out.some((i) => i.name === n)) throw new Error(`interface ${n} does not exist`);
  return out;
}

/** Main-table routes (IPv4 and IPv6) on the given interfaces. */
export async function readRoutes(ifaces: InterfaceEnv[]): Promise<RouteEnv[]> {
  const out: RouteEnv[] = [];
  for (const fam of ['-4', '-6']) {
    for (const r of await ipJson<IpRouteJson>([fam, 'route', 'show', 'table', 'main'])) {
      const i = ifaces.find((x) => x.name === r.dev);
      if (!i || (r.type && r.type !== 'unicast')) continue;
      const [prefix, len] =
        r.dst === 'default' ? [fam === '-4' ? '0.0.0.0' : '::', '0'] : r.dst.includes('/') ? r.dst.split('/') : [r.dst, fam === '-4' ? '32' : '128'];
      out.push({ prefix, prefixLen: Number(len), ifindex: i.ifindex, via: r.gateway });
    }
  }
  return out;
}

/**
 * The interface the kernel's routing sends `address` out of (`ip route get`), or undefined when it has no route:
 * where a real server lies behind an interface the director was not started on (ip_vs_dr_xmit routes to it too).
 */
export async function routeDevice(address: string): Promise<string | undefined> {
  const r = await ipJson<{ dev?: string }>(['route', 'get', address]).catch(() => []);
  return r[0]?.dev;
}

/** The neighbour table: address -> MAC (reachable, stale, delay or permanent entries). */
export async function readNeighbours(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const fam of ['-4', '-6']) {
    for (const n of await ipJson<{ dst: string; lladdr?: string; state?: string[] }>([fam, 'neigh', 'show'])) {
      if (n.lladdr && !(n.state ?? []).includes('FAILED') && !(n.state ?? []).includes('INCOMPLETE')) out[n.dst] = n.lladdr;
    }
  }
  return out;
}

/**
 * Builds the SnapshotEnv for `interfaces`: `peers` (real servers, tracked on-link clients) and the
 * routes' gateways are resolved first, waiting up to `resolveMs` for their MACs to appear; the entries of
 * `alsoKeep` (on-link clients) are included as they are, without waiting.
 */
export async function readHostEnv(
  linkType: LinkType,
  interfaces: string[],
  peers: string[],
  resolveMs = 1000,
  drMarkBase?: number,
  alsoKeep: string[] = [],
): Promise<SnapshotEnv> {
  const ifs = await readInterfaces(interfaces);
  const routes = await readRoutes(ifs);
  const want = [...new Set([...peers, ...routes.filter((r) => r.via).map((r) => r.via!)])];
  let neighbours = await readNeighbours();
  const until = Date.now() + resolveMs;
  while (want.some((a) => !neighbours[a]) && Date.now() < until) {
    await useNeighbours(
      want.filter((a) => !neighbours[a]),
      ifs.map((i) => i.name ?? ''),
    );
    await new Promise((r) => setTimeout(r, 100));
    neighbours = await readNeighbours();
  }
  // Only the peers' entries: other hosts coming and going must not change the snapshot.
  const mine: Record<string, string> = {};
  for (const a of [...want, ...alsoKeep]) if (neighbours[a]) mine[a] = neighbours[a];
  return { linkType, interfaces: ifs, routes, neighbours: mine, ...(drMarkBase !== undefined ? { drMarkBase } : {}) };
}

/**
 * The interfaces a director uses when none is named: every Ethernet interface that is up and is not a
 * bridge or bond port (kernel IPVS needs no interface list either: it sees what routing delivers).
 */
export async function defaultInterfaces(): Promise<string[]> {
  const links = await ipJson<{ ifname: string; link_type?: string; flags?: string[]; master?: string }>(['link', 'show', 'up']);
  return links.filter((l) => l.link_type === 'ether' && !l.master && (l.flags ?? []).includes('UP')).map((l) => l.ifname);
}
