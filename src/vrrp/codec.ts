/**
 * VRRP advertisement wire codec: RFC 3768 §5 (v2, IPv4, with keepalived's PASS authentication) and
 * RFC 5798 §5 (v3, IPv4/IPv6, checksum over the IP pseudo-header). All fields are big-endian.
 *
 *   0      vers(4) | type(4)       v2: 0x21, v3: 0x31 (type 1 = ADVERTISEMENT)
 *   1      VRID
 *   2      priority
 *   3      count of addresses
 *   4..5   v2: auth type (1 byte), advert interval in s (1 byte); v3: rsvd(4) | max adver int in cs (12)
 *   6..7   checksum
 *   8..    count × 4 (IPv4) or 16 (IPv6) addresses; v2 then 8 bytes of authentication data
 */
import { bytesToIpv4, bytesToIpv6, ipToBytes } from './addr.js';
import type { VrrpFamily, VrrpVersion } from './types.js';

/** IP protocol number of VRRP. */
export const IPPROTO_VRRP = 112;
/** VRRP multicast groups (RFC 3768 §5.2.2, RFC 5798 §5.1.2.2). */
export const VRRP_GROUP4 = '224.0.0.18';
/** IPv6 VRRP multicast group. */
export const VRRP_GROUP6 = 'ff02::12';
/** v2 authentication types (RFC 3768 §5.3.6; keepalived VRRP_AUTH_*). */
export const AUTH_NONE = 0;
/** Cleartext password. */
export const AUTH_PASS = 1;
/** IPsec AH (the AH header itself: src/vrrp/ah.ts). */
export const AUTH_AH = 2;

/** A decoded advertisement. */
export interface Advert {
  version: VrrpVersion;
  vrid: number;
  priority: number;
  /** v2: advert_int × 1000; v3: max adver int (centiseconds) × 10. */
  adverIntMs: number;
  /** v2 only. */
  authType: number;
  /** v2 PASS data (8 bytes as sent, NUL padded). */
  authData?: Uint8Array;
  addresses: string[];
  checksum: number;
}

/** What to encode. */
export interface AdvertFields {
  version: VrrpVersion;
  family: VrrpFamily;
  vrid: number;
  priority: number;
  adverIntMs: number;
  addresses: string[];
  /** v2 PASS password (first 8 bytes used). */
  authPass?: string;
  /** v2 AH: auth type 2, authentication data left zero (the AH header carries the ICV). */
  ah?: boolean;
}

/** Ones'-complement 16-bit sum of `len` bytes from `buf` at `off`, added to `acc` (RFC 1071), unfolded. */
function sum16(buf: Uint8Array, off: number, len: number, acc: number): number {
  let s = acc;
  let i = off;
  for (; i + 1 < off + len; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (i < off + len) s += buf[i] << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The checksum of a VRRP message: v2 over the message only; v3 with the IPv4/IPv6 pseudo-header (RFC 5798 §5.2.8). */
export function vrrpChecksum(msg: Uint8Array, len: number, version: VrrpVersion, srcIp?: string, dstIp?: string): number {
  let s = 0;
  if (version === 3) {
    if (srcIp === undefined || dstIp === undefined) throw new Error('VRRPv3 checksum needs the source and destination address');
    const src = ipToBytes(srcIp);
    const dst = ipToBytes(dstIp);
    s = sum16(src, 0, src.length, s);
    s = sum16(dst, 0, dst.length, s);
    s += IPPROTO_VRRP + len; // IPv4: zero|proto, length(16); IPv6: length(32) + zeros|next header
  }
  return fold(sum16(msg, 0, len, s));
}

/** Length of an advert with `count` addresses. */
export function advertLength(version: VrrpVersion, family: VrrpFamily, count: number): number {
  return 8 + count * (family === 4 ? 4 : 16) + (version === 2 ? 8 : 0);
}

/** Encodes an advert into a new buffer; v3 needs src/dst for its checksum. */
export function encodeAdvert(f: AdvertFields, srcIp?: string, dstIp?: string): Uint8Array {
  const alen = f.family === 4 ? 4 : 16;
  const len = advertLength(f.version, f.family, f.addresses.length);
  const b = new Uint8Array(len);
  b[0] = (f.version << 4) | 1;
  b[1] = f.vrid;
  b[2] = f.priority;
  b[3] = f.addresses.length;
  if (f.version === 2) {
    b[4] = f.ah ? AUTH_AH : f.authPass !== undefined ? AUTH_PASS : AUTH_NONE;
    b[5] = Math.round(f.adverIntMs / 1000) & 0xff;
  } else {
    const cs = Math.round(f.adverIntMs / 10) & 0x0fff;
    b[4] = cs >> 8;
    b[5] = cs & 0xff;
  }
  f.addresses.forEach((a, i) => b.set(ipToBytes(a), 8 + i * alen));
  if (f.version === 2 && f.authPass !== undefined) {
    const pw = new TextEncoder().encode(f.authPass).subarray(0, 8);
    b.set(pw, len - 8);
  }
  const c = vrrpChecksum(b, len, f.version, srcIp, dstIp);
  b[6] = c >> 8;
  b[7] = c & 0xff;
  return b;
}

/** Why an advert was dropped (keepalived's vrrp_check_packet reasons, one counter each). */
export type DropReason =
  | 'short'
  | 'version'
  | 'type'
  | 'checksum'
  | 'vrid'
  | 'ttl'
  | 'auth-type'
  | 'auth'
  | 'addr-list'
  | 'interval'
  | 'unicast-src'
  | 'family'
  | 'own'
  | 'ip-header';

/** Every DropReason, for counters. */
export const DROP_REASONS: readonly DropReason[] = [
  'short',
  'version',
  'type',
  'checksum',
  'vrid',
  'ttl',
  'auth-type',
  'auth',
  'addr-list',
  'interval',
  'unicast-src',
  'family',
  'own',
  'ip-header',
];

/** Result of decodeAdvert(). */
export type DecodeResult = { ok: true; advert: Advert } | { ok: false; reason: DropReason };

/**
 * Decodes and checks the wire-level fields of a VRRP message of `len` bytes (no IP header):
 * length, version 2/3, type 1, address count and checksum (v3 with src/dst pseudo-header).
 */
export function decodeAdvert(buf: Uint8Array, len: number, family: VrrpFamily, srcIp: string, dstIp: string): DecodeResult {
  if (len < 8 || len > buf.length) return { ok: false, reason: 'short' };
  const version = buf[0] >> 4;
  if (version !== 2 && version !== 3) return { ok: false, reason: 'version' };
  if ((buf[0] & 0x0f) !== 1) return { ok: false, reason: 'type' };
  if (version === 2 && family === 6) return { ok: false, reason: 'family' };
  const count = buf[3];
  const alen = family === 4 ? 4 : 16;
  const need = advertLength(version, family, count);
  // keepalived accepts a v2 advert without auth data only when no auth is used; be as lenient.
  const needNoAuth = need - (version === 2 ? 8 : 0);
  if (len < needNoAuth) return { ok: false, reason: 'short' };
  if (vrrpChecksum(buf, len, version, srcIp, dstIp) !== 0) return { ok: false, reason: 'checksum' };
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(family === 4 ? bytesToIpv4(buf, 8 + i * alen) : bytesToIpv6(buf, 8 + i * alen));
  const advert: Advert = {
    version,
    vrid: buf[1],
    priority: buf[2],
    adverIntMs: version === 2 ? buf[5] * 1000 : (((buf[4] & 0x0f) << 8) | buf[5]) * 10,
    authType: version === 2 ? buf[4] : AUTH_NONE,
    addresses,
    checksum: (buf[6] << 8) | buf[7],
  };
  if (version === 2 && len >= need) advert.authData = buf.slice(needNoAuth, need);
  return { ok: true, advert };
}

/** An IPv4 datagram split into header facts and payload (raw IPv4 sockets deliver the header). */
export interface Ipv4View {
  srcIp: string;
  dstIp: string;
  ttl: number;
  protocol: number;
  payloadOffset: number;
  payloadLength: number;
}

/** Parses the IPv4 header of a received datagram of `len` bytes; undefined when it is malformed. */
export function parseIpv4(buf: Uint8Array, len: number): Ipv4View | undefined {
  if (len < 20 || buf[0] >> 4 !== 4) return undefined;
  const ihl = (buf[0] & 0x0f) * 4;
  const total = (buf[2] << 8) | buf[3];
  if (ihl < 20 || ihl > len) return undefined;
  const end = Math.min(len, total >= ihl ? total : len);
  return { srcIp: bytesToIpv4(buf, 12), dstIp: bytesToIpv4(buf, 16), ttl: buf[8], protocol: buf[9], payloadOffset: ihl, payloadLength: end - ihl };
}
