/**
 * Address helpers for configuration-time code (snapshot compile, replay, tests): IP strings to the
 * four host-order u32 words used by FlowKey and PacketView, and MAC strings to bytes. Not for the hot path.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv4/IPv6 address into `out` (4 words, IPv4 in word 0); returns its family or 0 if invalid. */
export function parseIpWords(text: string, out: Uint32Array): 0 | 4 | 6 {
  out.fill(0);
  if (isIPv4(text)) {
    const p = text.split('.').map(Number);
    out[0] = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
    return 4;
  }
  if (!isIPv6(text)) return 0;
  let s = text.toLowerCase();
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  const last = s.slice(lastColon + 1);
  if (last.includes('.')) {
    const p = last.split('.').map(Number);
    tail = [(p[0] << 8) | p[1], (p[2] << 8) | p[3]];
    s = s.slice(0, lastColon + 1) + '0';
  }
  const [headText, restText] = s.split('::') as [string, string | undefined];
  const toGroups = (t: string): number[] => (t === '' ? [] : t.split(':').map((g) => parseInt(g, 16)));
  let head = toGroups(headText);
  let rest = restText === undefined ? [] : toGroups(restText);
  if (tail.length) {
    if (rest.length || restText !== undefined) rest = rest.slice(0, -1).concat(tail);
    else head = head.slice(0, -1).concat(tail);
  }
  const groups = new Array<number>(8).fill(0);
  head.forEach((g, i) => { groups[i] = g; });
  rest.forEach((g, i) => { groups[8 - rest.length + i] = g; });
  for (let w = 0; w < 4; w++) out[w] = ((groups[w * 2] << 16) | groups[w * 2 + 1]) >>> 0;
  return 6;
}

/** Allocating variant of parseIpWords: returns the words and family, or undefined when invalid. */
export function ipWords(text: string): { family: 4 | 6; words: Uint32Array } | undefined {
  const words = new Uint32Array(4);
  const family = parseIpWords(text, words);
  return family === 0 ? undefined : { family, words };
}

/** Formats address words as a canonical IPv4 dotted quad or compressed IPv6 (RFC 5952). */
export function formatIpWords(words: ArrayLike<number>, family: 4 | 6): string {
  if (family === 4) {
    const a = words[0] >>> 0;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  }
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push((words[w] >>> 16) & 0xffff, words[w] & 0xffff);
  // Longest run of >= 2 zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; undefined when invalid. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes at `off` as "aa:bb:cc:dd:ee:ff". */
export function formatMac(buf: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(buf[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}
