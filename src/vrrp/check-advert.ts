/**
 * Instance-level checks of a decoded advert, in the spirit of keepalived's vrrp_check_packet
 * (vrrp.c): TTL/hop limit 255 on multicast, version, VRID, authentication (v2 PASS), v2 interval
 * mismatch, address list, and the unicast peer check. Returns the drop reason or undefined.
 */
import { canonicalIp } from './addr.js';
import { AUTH_AH, AUTH_NONE, AUTH_PASS, type Advert, type DropReason } from './codec.js';
import type { VrrpFamily, VrrpVersion } from './types.js';

/** What an instance expects of received adverts. */
export interface AdvertExpectations {
  version: VrrpVersion;
  family: VrrpFamily;
  vrid: number;
  advertIntMs: number;
  /** v2 PASS password; undefined = no authentication. */
  authPass?: string;
  /** v2 AH authentication (the AH header was verified by the instance). */
  authAh?: boolean;
  /** Canonical VIP addresses carried in adverts (virtual_ipaddress, not _excluded). */
  vips: string[];
  /** When set (check_unicast_src), adverts from other sources are dropped; per-peer TTL limits. */
  unicastPeers?: { address: string; minTtl?: number; maxTtl?: number }[];
  /** True when the instance sends by unicast (unicast_peer): only then may TTL differ from 255. */
  unicast?: boolean;
  /** Our own addresses: adverts from them are ignored (looped back). */
  ownAddresses: string[];
}

/** Facts about how the advert arrived. */
export interface ReceivedMeta {
  srcIp: string;
  dstIp: string;
  /** IPv4 TTL or IPv6 hop limit (-1 when unknown). */
  ttl: number;
  /** True when dstIp is a multicast group. */
  multicast: boolean;
}

function sameSet(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(canonicalIp));
  return b.every((x) => s.has(canonicalIp(x)));
}

/** Returns why `adv` must be ignored by the instance described by `exp`, or undefined to accept it. */
export function checkAdvert(adv: Advert, exp: AdvertExpectations, meta: ReceivedMeta): DropReason | undefined {
  if (exp.ownAddresses.includes(meta.srcIp)) return 'own';
  // RFC 5798 §7.1 / §5.1.1.3: TTL (hop limit) MUST be 255, whatever the destination: an advert sent by
  // unicast to a multicast instance is held to it too (keepalived checks ttl unless unicast peers are set).
  if ((!exp.unicast || meta.multicast) && meta.ttl !== 255) return 'ttl';
  if (adv.version !== exp.version) return 'version';
  if (adv.vrid !== exp.vrid) return 'vrid';
  // check_unicast_src: the source must be a configured peer, whatever the destination (also 224.0.0.18).
  if (exp.unicastPeers) {
    const peer = exp.unicastPeers.find((p) => canonicalIp(p.address) === canonicalIp(meta.srcIp));
    if (!peer) return 'unicast-src';
    if (meta.ttl >= 0 && ((peer.minTtl !== undefined && meta.ttl < peer.minTtl) || (peer.maxTtl !== undefined && meta.ttl > peer.maxTtl))) return 'ttl';
  }
  if (adv.version === 2) {
    const want = exp.authAh ? AUTH_AH : exp.authPass !== undefined ? AUTH_PASS : AUTH_NONE;
    if (adv.authType !== want) return 'auth-type';
    if (want === AUTH_PASS) {
      const pw = new Uint8Array(8);
      pw.set(new TextEncoder().encode(exp.authPass).subarray(0, 8));
      const got = adv.authData;
      if (!got || got.length < 8) return 'auth';
      for (let i = 0; i < 8; i++) if (got[i] !== pw[i]) return 'auth';
    }
    if (adv.adverIntMs !== Math.round(exp.advertIntMs / 1000) * 1000) return 'interval';
  }
  // Priority 0 adverts may carry no addresses in some implementations; check the list otherwise.
  if (adv.priority !== 0 && !sameSet(adv.addresses, exp.vips)) return 'addr-list';
  return undefined;
}
