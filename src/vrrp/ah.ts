/**
 * VRRPv2 IPsec AH authentication as keepalived sends it (RFC 2338 §5.3.6.2, RFC 2402 AH with
 * HMAC-MD5-96, keepalived vrrp.c vrrp_build_ipsecah / vrrp_in_chk_ipsecah). Wire layout, network
 * byte order, of the IPv4 datagram ulvs builds itself (IP_HDRINCL, since the ICV covers the header):
 *   0..19   IPv4 header: tos 0xc0, id (per instance, never 0), DF clear, ttl, protocol 51
 *   20      AH next header = 112 (VRRP)      21  payload length = 4 (24-byte AH, in 32-bit words - 2)
 *   22..23  reserved 0                       24..27  SPI = the source address
 *   28..31  sequence number (one counter per instance for sent and received adverts, as keepalived)
 *   32..43  ICV: first 12 bytes of HMAC-MD5, key = auth_pass NUL-padded to 8 bytes, over the IP header
 *           with tos, frag_off, checksum (and ttl for unicast) zeroed, the AH with ICV zeroed, and the
 *           VRRP message (auth type 2, authentication data 8 zero bytes).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** IP protocol number of IPsec AH. */
export const IPPROTO_AH = 51;
/** Size of the AH header keepalived sends (12 fixed + 12 ICV). */
export const AH_LEN = 24;
const ICV_LEN = 12;

/** keepalived's auth_data: the password's first 8 bytes, NUL-padded. */
export function ahKey(password: string): Buffer {
  const k = Buffer.alloc(8);
  Buffer.from(password).copy(k, 0, 0, 8);
  return k;
}

function ipBytes(a: string): number[] {
  return a.split('.').map(Number);
}

function icv(key: Buffer, packet: Uint8Array, ihl: number, unicast: boolean): Buffer {
  const m = Buffer.from(packet);
  m[1] = 0; // tos
  m[6] = 0;
  m[7] = 0; // flags + fragment offset
  m[10] = 0;
  m[11] = 0; // header checksum
  if (unicast) m[8] = 0; // ttl
  m.fill(0, ihl + 12, ihl + AH_LEN);
  return createHmac('md5', key).update(m).digest().subarray(0, ICV_LEN);
}

/** What encodeAhPacket needs. */
export interface AhPacketFields {
  srcIp: string;
  dstIp: string;
  ttl: number;
  /** IPv4 identification (keepalived counts it per instance, skipping 0). */
  ipId: number;
  seq: number;
  key: Buffer;
  /** The VRRPv2 message (auth type AH, 8 zero bytes of authentication data). */
  vrrp: Uint8Array;
  unicast: boolean;
}

/** The whole IPv4 datagram: IP header, AH with its ICV, VRRP message. */
export function encodeAhPacket(f: AhPacketFields): Uint8Array {
  const total = 20 + AH_LEN + f.vrrp.length;
  const p = new Uint8Array(total);
  p[0] = 0x45;
  p[1] = 0xc0;
  p[2] = total >> 8;
  p[3] = total & 0xff;
  p[4] = (f.ipId >> 8) & 0xff;
  p[5] = f.ipId & 0xff;
  p[8] = f.ttl;
  p[9] = IPPROTO_AH;
  p.set(ipBytes(f.srcIp), 12);
  p.set(ipBytes(f.dstIp), 16);
  p[20] = 112;
  p[21] = 4;
  p.set(ipBytes(f.srcIp), 24); // SPI = source address
  p[28] = (f.seq >>> 24) & 0xff;
  p[29] = (f.seq >>> 16) & 0xff;
  p[30] = (f.seq >>> 8) & 0xff;
  p[31] = f.seq & 0xff;
  p.set(f.vrrp, 20 + AH_LEN);
  p.set(icv(f.key, p, 20, f.unicast), 32);
  return p;
}

/** The AH of a received datagram, kept for the instance to verify with its key. */
export interface ReceivedAh {
  spi: number;
  seq: number;
  /** The datagram from its IP header to its end (a copy). */
  packet: Uint8Array;
  ihl: number;
}

/** Reads the AH fields of a received IPv4 datagram (`packet` from its IP header); undefined when too short. */
export function readAh(packet: Uint8Array, ihl: number): ReceivedAh | undefined {
  if (packet.length < ihl + AH_LEN) return undefined;
  const u32 = (o: number): number => ((packet[o]! << 24) | (packet[o + 1]! << 16) | (packet[o + 2]! << 8) | packet[o + 3]!) >>> 0;
  return { spi: u32(ihl + 4), seq: u32(ihl + 8), packet: packet.slice(), ihl };
}

/** Checks ICV and SPI (= source address) of a received AH advert (vrrp_in_chk_ipsecah); the caller checks the sequence. */
export function verifyAh(ah: ReceivedAh, key: Buffer, unicast: boolean): boolean {
  const got = Buffer.from(ah.packet.subarray(ah.ihl + 12, ah.ihl + AH_LEN));
  if (!timingSafeEqual(got, icv(key, ah.packet, ah.ihl, unicast))) return false;
  const p = ah.packet;
  const src = ((p[12]! << 24) | (p[13]! << 16) | (p[14]! << 8) | p[15]!) >>> 0;
  return ah.spi === src;
}
