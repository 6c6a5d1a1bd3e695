/**
 * The `ulvs_bgp` block -> BgpConfig (src/bgp/types.ts), checked: one block, local_as, an IPv4
 * router_id, at least one neighbor with remote_as, hold times RFC 4271 §4.2 allows (0 or 3..65535,
 * keepalive below hold), bfd_instance names that exist, VIPs that are virtual_server addresses.
 * Every finding names file:line and the fix.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { BgpConfig, BgpNeighborSpec } from '../bgp/types.js';
import type { BfdInstanceSpec } from '../bfd/types.js';
import type { VirtualServiceSpec } from '../ipvs/types.js';
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { RawBlock } from './keywords/table.js';
import { bgpNeighborTable, bgpTable } from './keywords/bgp.js';
import { at, fieldsOf } from './keywords/table.js';
import { canonicalIp } from './values.js';

/** Default hold time (s): three missed keepalives of 3 s, quick enough for a lab and a LAN. */
export const DEFAULT_HOLD_TIME_S = 9;
/** Default pause after the withdraw of `ulvs drain` (s). */
export const DEFAULT_DRAIN_WAIT_S = 5;

/** RFC 4271 §4.2: a hold time is 0 or at least 3 s; the keepalive interval must stay below it. */
function timers(raw: RawBlock, sink: DiagnosticSink, holdDefault: number, kaDefault?: number): { holdTimeS: number; keepaliveS: number } | undefined {
  const holdTimeS = fieldsOf(bgpNeighborTable, raw).holdTimeS ?? holdDefault;
  if (holdTimeS === 1 || holdTimeS === 2) {
    sink.error(at(raw, 'holdTimeS'), 'bad-value', `hold_time ${holdTimeS} is not allowed (RFC 4271 §4.2: 0 or 3..65535 s); write 'hold_time 3' or more.`);
    return undefined;
  }
  const keepaliveS = fieldsOf(bgpNeighborTable, raw).keepaliveS ?? kaDefault ?? Math.floor(holdTimeS / 3);
  if (holdTimeS > 0 && keepaliveS >= holdTimeS) {
    sink.error(
      at(raw, 'keepaliveS'),
      'bad-value',
      `keepalive ${keepaliveS} must be below hold_time ${holdTimeS}; write 'keepalive ${Math.floor(holdTimeS / 3)}'.`,
    );
    return undefined;
  }
  return { holdTimeS, keepaliveS };
}

function neighbor(
  raw: RawBlock,
  top: RawBlock,
  topTimers: { holdTimeS: number; keepaliveS?: number },
  bfd: readonly BfdInstanceSpec[],
  sink: DiagnosticSink,
): BgpNeighborSpec | undefined {
  const ip = raw.args.length === 1 ? canonicalIp(raw.args[0]!) : undefined;
  if (!ip) {
    sink.error(
      raw.pos,
      'bad-value',
      `'neighbor' needs the router's address: neighbor ADDRESS { remote_as ASN }, not '${raw.args.join(' ')}'; the block is skipped.`,
    );
    return undefined;
  }
  const remoteAs = fieldsOf(bgpNeighborTable, raw).remoteAs;
  if (remoteAs === undefined) {
    sink.error(raw.pos, 'missing-value', `neighbor ${ip.address} has no remote_as; add 'remote_as ASN' (the router's AS number).`);
    return undefined;
  }
  const t = timers(raw, sink, topTimers.holdTimeS, raw.fields.holdTimeS === undefined ? topTimers.keepaliveS : undefined);
  if (!t) return undefined;
  const out: BgpNeighborSpec = {
    address: ip.address,
    remoteAs,
    ...t,
    connectRetryS: fieldsOf(bgpNeighborTable, raw).connectRetryS ?? fieldsOf(bgpTable, top).connectRetryS ?? 2,
    source: posString(raw.pos),
  };
  const src = fieldsOf(bgpNeighborTable, raw).sourceIp;
  if (src) {
    if (isIPv6(src) !== isIPv6(ip.address)) {
      sink.error(
        at(raw, 'sourceIp'),
        'bad-value',
        `neighbor ${ip.address}: source_ip ${src} is of the other address family; use an address of the same family.`,
      );
      return undefined;
    }
    out.sourceIp = src;
  } else if (isIPv6(ip.address))
    // Seen in the ECMP lab: the kernel chose the IPv6 VIP that the data plane puts on the interface as
    // the session's source, so bgpd announced the VIP with itself as the next hop (and every director
    // had the same address).
    sink.warn(
      raw.pos,
      'bad-value',
      `neighbor ${ip.address}: an IPv6 session without source_ip may leave from an IPv6 VIP (ulvs puts the VIPs on the interface), and bgpd announces the session's address as the next hop; add 'source_ip' with this director's own IPv6 address.`,
    );
  const bfdName = fieldsOf(bgpNeighborTable, raw).bfdInstance;
  if (bfdName !== undefined) {
    const b = bfd.find((x) => x.name === bfdName);
    if (!b) {
      sink.error(
        at(raw, 'bfdInstance'),
        'unknown-tracker',
        `neighbor ${ip.address}: bfd_instance '${bfdName}' is not defined; define 'bfd_instance ${bfdName} { neighbor_ip ${ip.address} }' or fix the name.`,
      );
      return undefined;
    }
    if (b.neighborIp !== ip.address)
      sink.warn(
        at(raw, 'bfdInstance'),
        'bad-value',
        `neighbor ${ip.address}: bfd_instance ${bfdName} watches ${b.neighborIp}, not this router; point its neighbor_ip at ${ip.address}.`,
      );
    out.bfdInstance = bfdName;
  }
  return out;
}

/** Builds the ulvs_bgp block(s); undefined without one (or when it has errors, all reported). */
export function buildBgp(
  raws: readonly RawBlock[],
  services: readonly VirtualServiceSpec[],
  bfd: readonly BfdInstanceSpec[],
  sink: DiagnosticSink,
): BgpConfig | undefined {
  if (raws.length === 0) return undefined;
  for (const extra of raws.slice(1))
    sink.error(extra.pos, 'duplicate-block', `ulvs_bgp is given again (first at ${posString(raws[0]!.pos)}); merge the two blocks into one.`);
  const r = raws[0]!;
  let ok = true;
  const localAs = fieldsOf(bgpTable, r).localAs;
  if (localAs === undefined) {
    sink.error(r.pos, 'missing-value', `ulvs_bgp has no local_as; add 'local_as ASN' (this director's AS number, e.g. a private one from 64512..65534).`);
    ok = false;
  }
  const routerId = fieldsOf(bgpTable, r).routerId;
  if (routerId === undefined) {
    sink.error(r.pos, 'missing-value', `ulvs_bgp has no router_id; add 'router_id A.B.C.D' (an IPv4 address of this director, unique among the peers).`);
    ok = false;
  } else if (!isIPv4(routerId)) {
    sink.error(
      at(r, 'routerId'),
      'bad-value',
      `router_id ${routerId} must be an IPv4 address (a BGP identifier is 32 bits, RFC 6286); write one of this director's IPv4 addresses.`,
    );
    ok = false;
  }
  const top = timers(r, sink, DEFAULT_HOLD_TIME_S);
  if (!top) ok = false;
  const topTimers = top && r.fields.keepaliveS !== undefined ? top : { holdTimeS: top?.holdTimeS ?? DEFAULT_HOLD_TIME_S };
  const neighbors: BgpNeighborSpec[] = [];
  const raw = fieldsOf(bgpTable, r).neighbors ?? [];
  if (raw.length === 0) {
    sink.error(r.pos, 'missing-block', `ulvs_bgp has no neighbor; add 'neighbor ROUTER_ADDRESS { remote_as ASN }'.`);
    ok = false;
  }
  for (const n of raw) {
    const spec = neighbor(n, r, topTimers, bfd, sink);
    if (!spec) {
      ok = false;
      continue;
    }
    const dup = neighbors.find((x) => x.address === spec.address);
    if (dup) {
      sink.error(n.pos, 'duplicate-name', `neighbor ${spec.address} is given twice (first at ${dup.source}); remove one.`);
      ok = false;
      continue;
    }
    neighbors.push(spec);
  }
  const addresses = new Set(services.flatMap((s) => (s.key.kind === 'addr' ? [s.key.address] : [])));
  const lines = fieldsOf(bgpTable, r).vips ?? [];
  const vips: string[] = [];
  for (const l of lines) {
    const pos: Pos = { file: l.file, line: l.line };
    if (!addresses.has(l.address))
      sink.warn(
        pos,
        'unused-vip',
        `vip ${l.address} is no virtual_server address, so it is never in service and never announced; add its virtual_server or remove the line.`,
      );
    const p = `${l.address}/${isIPv6(l.address) ? 128 : 32}`;
    if (!vips.includes(p)) vips.push(p);
  }
  if (lines.length === 0) for (const a of addresses) vips.push(`${a}/${isIPv6(a) ? 128 : 32}`);
  if (vips.length === 0) sink.warn(r.pos, 'unused-vip', `ulvs_bgp has no vip and the file no virtual_server with an address: nothing is ever announced.`);
  if (!ok || localAs === undefined || routerId === undefined) return undefined;
  return {
    localAs,
    routerId,
    neighbors,
    vips,
    drainWaitS: fieldsOf(bgpTable, r).drainWaitS ?? DEFAULT_DRAIN_WAIT_S,
    bgpdPath: fieldsOf(bgpTable, r).bgpdPath ?? '/usr/lib/frr/bgpd',
    source: posString(r.pos),
  };
}
