/**
 * Gratuitous ARP (RFC 5227 §3 announcement form, as keepalived sends it: ARP request with
 * sender = target = VIP, broadcast) and unsolicited neighbour advertisements (RFC 4861 §7.2.6:
 * to ff02::1, hop limit 255, Override flag, target link-layer address option) as full Ethernet
 * frames for the AF_PACKET sender. Sizes: GARP 42 bytes, NA 86 bytes; all fields big-endian.
 */
import { ipv4ToBytes, ipv6ToBytes } from './addr.js';

/** Parses "aa:bb:cc:dd:ee:ff" into 6 bytes. */
export function macToBytes(mac: string): Uint8Array {
  const p = mac.split(':').map((x) => parseInt(x, 16));
  if (p.length !== 6 || p.some((x) => !(x >= 0 && x <= 255))) throw new Error(`'${mac}' is not a MAC address`);
  return Uint8Array.from(p);
}

/** A gratuitous ARP frame announcing `vip` at `mac`. */
export function garpFrame(mac: string, vip: string): Uint8Array {
  const m = macToBytes(mac);
  const ip = ipv4ToBytes(vip);
  const f = new Uint8Array(42);
  f.fill(0xff, 0, 6);
  f.set(m, 6);
  f[12] = 0x08;
  f[13] = 0x06;
  f[14] = 0;
  f[15] = 1; // htype Ethernet
  f[16] = 0x08;
  f[17] = 0x00; // ptype IPv4
  f[18] = 6;
  f[19] = 4;
  f[20] = 0;
  f[21] = 1; // op request
  f.set(m, 22);
  f.set(ip, 28);
  f.fill(0xff, 32, 38);
  f.set(ip, 38);
  return f;
}

/** An unsolicited neighbour advertisement frame for `vip` at `mac`, sent from `src` (link-local). */
export function unsolicitedNaFrame(mac: string, src: string, vip: string): Uint8Array {
  const m = macToBytes(mac);
  const f = new Uint8Array(86);
  f.set([0x33, 0x33, 0, 0, 0, 1], 0);
  f.set(m, 6);
  f[12] = 0x86;
  f[13] = 0xdd;
  const ip = 14;
  f[ip] = 0x60;
  const plen = 32;
  f[ip + 4] = 0;
  f[ip + 5] = plen;
  f[ip + 6] = 58;
  f[ip + 7] = 255;
  const s = ipv6ToBytes(src);
  const d = ipv6ToBytes('ff02::1');
  f.set(s, ip + 8);
  f.set(d, ip + 24);
  const icmp = ip + 40;
  f[icmp] = 136;
  f[icmp + 4] = 0x20; // Override
  f.set(ipv6ToBytes(vip), icmp + 8);
  f[icmp + 24] = 2;
  f[icmp + 25] = 1;
  f.set(m, icmp + 26);
  let sum = 0;
  for (let i = 0; i < 16; i += 2) sum += ((s[i] << 8) | s[i + 1]) + ((d[i] << 8) | d[i + 1]);
  sum += plen + 58;
  for (let i = 0; i < plen; i += 2) sum += (f[icmp + i] << 8) | f[icmp + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  f[icmp + 2] = c >> 8;
  f[icmp + 3] = c & 0xff;
  return f;
}
