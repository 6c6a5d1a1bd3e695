/**
 * Address text as ipvsadm reads and prints it: inet_aton (IPv4, with its shorthand and
 * octal/hex parts), inet_pton/inet_ntop for IPv6 (glibc's compression and embedded-IPv4 rules). The
 * strict parsers and printers are src/core/addr.ts's; only inet_aton is ipvsadm's own.
 */
import { ipv4Pton, ipv4Text, ipv6Ntop as coreNtop6, ipv6Pton as corePton6, ipWords } from '../core/addr.js';

/** inet_aton(3): "a.b.c.d", "a.b.c", "a.b", "a", parts decimal, 0octal or 0xhex. Returns u32 or null. */
export function inetAton(text: string): number | null {
  if (text === '' || !/^[0-9a-fA-FxX.]+$/.test(text)) return null;
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let v: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) v = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]*$/.test(p)) v = parseInt(p, 8);
    else if (/^[1-9][0-9]*$/.test(p)) v = parseInt(p, 10);
    else return null;
    nums.push(v);
  }
  const last = nums[nums.length - 1]!;
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][nums.length - 1]!;
  if (last > lastMax) return null;
  for (let i = 0; i < nums.length - 1; i++) if (nums[i]! > 255) return null;
  let v = 0;
  for (let i = 0; i < nums.length - 1; i++) v = v * 256 + nums[i]!;
  v = v * (lastMax + 1) + last;
  return v >>> 0;
}

export { ipv4Text, ipv4Pton } from '../core/addr.js';

/** inet_pton(AF_INET6, ...): the eight 16-bit groups, or null when malformed. */
export const ipv6Pton: (text: string) => number[] | null = corePton6;

/** inet_ntop(AF_INET6, ...) as glibc prints it: longest zero run (>= 2 groups) as "::", lowercase. */
export function ipv6Ntop(g: readonly number[]): string {
  return coreNtop6(g, 'glibc');
}

/** Canonical text of an address in either family (compressed IPv6, dotted IPv4); null if invalid. */
export function canonicalAddress(text: string): { family: 4 | 6; address: string } | null {
  const g = ipv6Pton(text);
  if (g) return { family: 6, address: ipv6Ntop(g) };
  const v = ipv4Pton(text);
  return v === null ? null : { family: 4, address: ipv4Text(v) };
}

/** Four host-order u32 words of a canonical address (IPv4 in word 0), for sorting. */
export function addressWords(address: string): number[] {
  return Array.from(ipWords(address)?.words ?? [0, 0, 0, 0]);
}
