// The director's network plan: what setupDirectorNet installs for a rule set, backend and interfaces (pure; nothing is run).
import type { SnapshotEnv, SnapshotSpec } from '../dataplane/snapshot-types.js';
import type { IpvsRules, Protocol } from '../ipvs/types.js';

/** The live packet backends a director runs on. */
export type DirectorBackend = 'nfqueue' | 'afpacket' | 'afxdp';

/** First routing table of the per-real-server DR routes (table = base + dest slot). */
export const DR_TABLE_BASE = 0x4c560000;

/** A traffic selector: one virtual service or one NAT real server. */
export interface Selector {
  family: 4 | 6;
  address: string;
  /** Undefined: all protocols (fwmark services). */
  protocol?: Protocol;
  /** 0 = any port. */
  port: number;
}

/** Everything setupDirectorNet installs. */
export interface DirectorNetPlan {
  backend: DirectorBackend;
  /** Director interfaces (the VIPs go on the first). */
  interfaces: string[];
  /** NFQUEUE: queues queueBase .. queueBase + workers - 1. */
  queueBase: number;
  workers: number;
  /** Virtual services by address. */
  services: Selector[];
  /** Firewall marks of fwmark services and their address family (NFQUEUE only). */
  fwmarks: Array<{ mark: number; family: 4 | 6 }>;
  /** NAT real servers: their replies must come to ulvs. */
  natReplies: Selector[];
  /** DR on NFQUEUE: route packets carrying `mark` to `via`. */
  drRoutes: Array<{ mark: number; table: number; via: string; iface: string }>;
  /** Addresses to hold (VIPs and e.g. the NAT gateway), "addr/len". */
  addresses: string[];
}

/**
 * Throws one sentence when `backend` cannot run `rules`: fwmark services need NFQUEUE, because
 * AF_PACKET and AF_XDP receive frames before netfilter has set any mark.
 */
export function checkBackendSupports(rules: IpvsRules, backend: DirectorBackend): void {
  if (backend === 'nfqueue') return;
  const k = rules.services.find((s) => s.key.kind === 'fwmark')?.key;
  const name = backend === 'afxdp' ? 'AF_XDP' : 'AF_PACKET';
  if (k?.kind === 'fwmark') throw new Error(`fwmark service ${k.fwmark} needs --backend nfqueue: ${name} sees packets before any firewall mark is set`);
}

/**
 * What the AF_XDP backend's XDP program redirects for a plan: its services and NAT replies, with the
 * director's own addresses (env) so that a NAT real server's packets to the host itself (health-check
 * replies) stay with the kernel. The result is an io/xsk-program.ts XskRedirectSpec (same shape; host/ does not import io/).
 */
export function xskRedirectOf(plan: DirectorNetPlan, env: SnapshotEnv): { services: Selector[]; natReplies: Selector[]; local: string[] } {
  return {
    services: plan.services,
    natReplies: plan.natReplies,
    local: [...new Set(env.interfaces.flatMap((i) => i.addresses.map((a) => a.split('/')[0]!)))],
  };
}

/** A DR real server on NFQUEUE: its packets carry `mark` and leave through `iface` to `address`'s MAC. */
export interface DrDest {
  mark: number;
  slot: number;
  address: string;
  /** The interface of the route to the real server (undefined: the first director interface). */
  iface?: string;
}

/**
 * The DR real servers of a compiled snapshot, each with the interface its route leaves by (as IPVS's
 * ip_vs_dr_xmit routes to the real server as a known next hop, whatever interface that is).
 */
export function drDestsOf(spec: SnapshotSpec, env: SnapshotEnv): DrDest[] {
  return spec.dests
    .filter((d) => d.fwd === 0)
    .map((d) => ({ mark: d.mark, slot: d.slot, address: d.address, iface: env.interfaces.find((i) => i.ifindex === d.ifindex)?.name }));
}

/** Derives the plan from rules; throws one sentence for what the backend cannot do. */
export function planDirectorNet(
  rules: IpvsRules,
  o: { backend: DirectorBackend; interfaces: string[]; workers: number; queueBase?: number; extraAddresses?: string[]; drDests?: DrDest[] },
): DirectorNetPlan {
  const plan: DirectorNetPlan = {
    backend: o.backend,
    interfaces: o.interfaces,
    queueBase: o.queueBase ?? 0,
    workers: o.workers,
    services: [],
    fwmarks: [],
    natReplies: [],
    drRoutes: [],
    addresses: [],
  };
  const seenAddr = new Set<string>();
  const seenNat = new Set<string>();
  checkBackendSupports(rules, o.backend);
  rules.services.forEach((svc) => {
    const k = svc.key;
    if (k.kind === 'fwmark') {
      if (!plan.fwmarks.some((m) => m.mark === k.fwmark && m.family === k.family)) plan.fwmarks.push({ mark: k.fwmark, family: k.family });
    } else {
      plan.services.push({ family: k.family, address: k.address, protocol: k.protocol, port: k.port });
      const a = `${k.address}/${k.family === 4 ? 32 : 128}`;
      if (!seenAddr.has(a)) {
        seenAddr.add(a);
        plan.addresses.push(a);
      }
    }
    svc.realServers.forEach((rs) => {
      const family: 4 | 6 = rs.address.includes(':') ? 6 : 4;
      if (rs.forward === 'nat') {
        const proto = k.kind === 'addr' ? k.protocol : undefined;
        const key = `${rs.address}|${proto}|${rs.port}`;
        if (!seenNat.has(key)) {
          seenNat.add(key);
          plan.natReplies.push({ family, address: rs.address, protocol: proto, port: rs.port });
        }
      }
    });
  });
  // DR on NFQUEUE: the packet goes back to the kernel unchanged with the dest's mark; route each mark to its real server.
  if (o.backend === 'nfqueue')
    for (const d of o.drDests ?? []) plan.drRoutes.push({ mark: d.mark, table: DR_TABLE_BASE + d.slot, via: d.address, iface: d.iface ?? o.interfaces[0]! });
  for (const a of o.extraAddresses ?? [])
    if (!seenAddr.has(a)) {
      seenAddr.add(a);
      plan.addresses.push(a.includes('/') ? a : `${a}/${a.includes(':') ? 128 : 32}`);
    }
  return plan;
}

/** The address families a plan has iptables chains in (IPv4 always). */
export function planFamilies(p: DirectorNetPlan): Set<4 | 6> {
  return new Set<4 | 6>([4, ...p.services.map((s) => s.family), ...p.natReplies.map((s) => s.family), ...p.fwmarks.map((m) => m.family)]);
}

/** The `ip` family flags ('-4', '-6') of the plan's DR routes, each once. */
export function drRuleFamilies(p: DirectorNetPlan): Array<'-4' | '-6'> {
  return [...new Set(p.drRoutes.map((d) => (d.via.includes(':') ? ('-6' as const) : ('-4' as const))))];
}
