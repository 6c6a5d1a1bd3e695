/**
 * Reads the director host's network environment the snapshot is compiled against (interfaces with
 * MAC/MTU/addresses, routes, neighbours) with `ip -j`, and resolves real servers' MACs by provoking
 * ARP/ND (one UDP datagram to the discard port) before reading the neighbour table.
 * Control-path code (runs at start and on refresh), never per packet.
 */
import dgram from 'node:dgram';
import type { LinkType } from '../dataplane/batch.js';
import type { InterfaceEnv, RouteEnv, SnapshotEnv } from '../dataplane/snapshot-types.js';
import { run } from '../util/exec.js';

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
      ifindex: l.ifindex, name: l.ifname, mac: l.address ?? '00:00:00:00:00:00', mtu: l.mtu,
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
      const [prefix, len] = r.dst === 'default' ? [fam === '-4' ? '0.0.0.0' : '::', '0'] : r.dst.includes('/') ? r.dst.split('/') : [r.dst, fam === '-4' ? '32' : '128'];
      out.push({ prefix, prefixLen: Number(len), ifindex: i.ifindex, via: r.gateway });
    }
  }
  return out;
}

/** Sends one datagram to each address (discard port) so the kernel resolves their MACs. */
export async function provokeNeighbours(addresses: string[]): Promise<void> {
  const socks = { 4: dgram.createSocket('udp4'), 6: dgram.createSocket('udp6') };
  await Promise.all(addresses.map((a) => new Promise<void>((resolve) => {
    const s = a.includes(':') ? socks[6] : socks[4];
    s.send(Buffer.alloc(1), 9, a, () => resolve());
  })));
  for (const s of Object.values(socks)) s.close();
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
 * Builds the SnapshotEnv for `interfaces`: real servers (and gateways) are resolved first, waiting up
 * to `resolveMs` for their MACs to appear.
 */
export async function readHostEnv(linkType: LinkType, interfaces: string[], peers: string[], resolveMs = 1000, drMarkBase?: number): Promise<SnapshotEnv> {
  const ifs = await readInterfaces(interfaces);
  const routes = await readRoutes(ifs);
  const want = [...new Set([...peers, ...routes.filter((r) => r.via).map((r) => r.via!)])];
  let neighbours = await readNeighbours();
  const until = Date.now() + resolveMs;
  while (want.some((a) => !neighbours[a]) && Date.now() < until) {
    await provokeNeighbours(want.filter((a) => !neighbours[a]));
    await new Promise((r) => setTimeout(r, 100));
    neighbours = await readNeighbours();
  }
  // Only the peers' entries: other hosts coming and going must not change the snapshot.
  const mine: Record<string, string> = {};
  for (const a of want) if (neighbours[a]) mine[a] = neighbours[a];
  return { linkType, interfaces: ifs, routes, neighbours: mine, ...(drMarkBase !== undefined ? { drMarkBase } : {}) };
}
