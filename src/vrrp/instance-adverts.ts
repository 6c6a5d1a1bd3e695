// An instance's adverts: the AH state sent and received ones share, the checks a received one must pass, and sending one.
import { ahKey, encodeAhPacket, verifyAh } from './ah.js';
import type { AdvertExpectations } from './check-advert.js';
import { encodeAdvert, type DropReason } from './codec.js';
import type { InstanceStats } from './instance-deps.js';
import type { AdvertMeta, VrrpTransport } from './socket.js';
import type { VrrpInstanceSpec } from './types.js';

/** auth_type AH of one instance: the HMAC key, the sequence counter shared by sent and received adverts, the IP id. */
export interface AdvertAh {
  readonly key: Buffer;
  seq: number;
  ipId: number;
}

/** The AH state of a spec with auth_type AH (VRRPv2 over IPv4 only), else undefined. */
export function advertAh(spec: VrrpInstanceSpec): AdvertAh | undefined {
  return spec.version === 2 && spec.family === 4 && spec.authentication?.type === 'AH'
    ? { key: ahKey(spec.authentication.password), seq: 0, ipId: 0 }
    : undefined;
}

/**
 * keepalived's AH checks (vrrp_check_packet, vrrp_in_chk_ipsecah): AH exactly when configured, a valid
 * ICV, SPI = source, and a sequence number above every one seen or sent (then remembered).
 */
export function checkAdvertAh(ah: AdvertAh | undefined, meta: AdvertMeta, unicast: boolean): DropReason | undefined {
  if (!ah) return meta.ah ? 'auth-type' : undefined;
  if (!meta.ah) return 'auth-type';
  if (!verifyAh(meta.ah, ah.key, unicast)) return 'auth';
  if (meta.ah.seq <= ah.seq) return 'auth';
  ah.seq = meta.ah.seq;
  return undefined;
}

/** What a received advert must match for `spec` (check-advert.ts), sent to us from elsewhere than `srcIp`. */
export function advertExpectations(spec: VrrpInstanceSpec, srcIp: string, ah: boolean, unicast: boolean): AdvertExpectations {
  return {
    version: spec.version,
    family: spec.family,
    vrid: spec.vrid,
    advertIntMs: spec.advertIntMs,
    authPass: spec.version === 2 && spec.authentication?.type === 'PASS' ? spec.authentication.password : undefined,
    authAh: ah,
    vips: spec.vips.map((v) => v.address),
    unicastPeers: spec.checkUnicastSrc || spec.unicastPeers.some((p) => p.minTtl !== undefined || p.maxTtl !== undefined) ? spec.unicastPeers : undefined,
    ownAddresses: srcIp ? [srcIp] : [],
    unicast: unicast,
  };
}

/** Sends one advert at `priority` from `srcIp` (none without one): multicast to `group` or to each unicast peer, plain or AH, counted in `stats`. */
export function sendAdvert(
  spec: VrrpInstanceSpec,
  srcIp: string,
  group: string,
  unicast: boolean,
  ah: AdvertAh | undefined,
  transport: VrrpTransport,
  stats: InstanceStats,
  priority: number,
): void {
  if (!srcIp) return;
  const fields = {
    version: spec.version,
    family: spec.family,
    vrid: spec.vrid,
    priority,
    adverIntMs: spec.advertIntMs,
    addresses: spec.vips.map((v) => v.address),
    authPass: spec.version === 2 && spec.authentication?.type === 'PASS' ? spec.authentication.password : undefined,
  };
  const dsts = unicast ? spec.unicastPeers.map((p) => p.address) : [group];
  if (ah) {
    // keepalived: one sequence number and IP id per advert, the same for every unicast peer.
    if (ah.seq < 0xfffffffe) ah.seq++;
    ah.ipId = ah.ipId >= 0xffff ? 1 : ah.ipId + 1;
  }
  for (const dst of dsts) {
    const ttl = unicast ? spec.unicastTtl : 255;
    const msg = encodeAdvert({ ...fields, ah: ah !== undefined }, srcIp, dst);
    const out = ah ? encodeAhPacket({ srcIp: srcIp, dstIp: dst, ttl, ipId: ah.ipId, seq: ah.seq, key: ah.key, vrrp: msg, unicast: unicast }) : msg;
    transport.send(out, dst, srcIp, ttl);
    stats.advertsSent++;
    if (priority === 0) stats.priorityZeroSent++;
  }
}
