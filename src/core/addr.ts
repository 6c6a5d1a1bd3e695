/**
 * The one address text <-> words/bytes helper every layer uses (configuration-time code: they
 * allocate; never on the per-packet path). Parsing follows inet_pton(3): a strict dotted quad for
 * IPv4 (decimal parts, no leading zeros), RFC 4291 text for IPv6 (one "::", an embedded dotted quad
 * last); an IPv6 zone ("%eth0") is ignored. Words are four host-order u32 values, IPv4 in word 0 and
 * words 1..3 zero, IPv6 word 0 = its first 32 bits (the FlowKey / PacketView / table layout).
 */

/** An IP family as the rest of ulvs spells it. */
export type IpFamily = 4 | 6;

/** How to print IPv6: RFC 5952 (always hex groups) or glibc's inet_ntop (`::ffff:1.2.3.4`, `::1.2.3.4`). */
export type Ipv6Style = 'rfc5952' | 'glibc';

/** inet_pton(AF_INET): strict dotted quad with decimal parts; the host-order u32, or null. */
export function ipv4Pton(text: string): number | null {
  const p = text.split('.');
  if (p.length !== 4) return null;
  let v = 0;
  for (const x of p) {
    if (!/^\d{1,3}$/.test(x) || Number(x) > 255 || (x.length > 1 && x[0] === '0')) return null;
    v = v * 256 + Number(x);
  }
  return v >>> 0;
}

/** Dotted quad of a host-order u32 (inet_ntoa). */
export function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** inet_pton(AF_INET6): the eight 16-bit groups, or null when malformed (no zone allowed). */
export function ipv6Pton(text: string): number[] | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string, allowV4: boolean): number[] | null => {
    if (s === '') return [];
    const parts = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.includes('.')) {
        if (!allowV4 || i !== parts.length - 1) return null;
        const v = ipv4Pton(part);
        if (v === null) return null;
        out.push(v >>> 16, v & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  if (halves.length === 1) {
    const g = parse(halves[0]!, true);
    return g && g.length === 8 ? g : null;
  }
  const head = parse(halves[0]!, false);
  const tail = parse(halves[1]!, true);
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if (fill < 1) return null;
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}

/** IPv6 text of eight groups: the first longest run of >= 2 zero groups as "::", lower case; see Ipv6Style. */
export function ipv6Ntop(g: readonly number[], style: Ipv6Style = 'rfc5952'): string {
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (style === 'glibc' && i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      return `${out}${g[6]! >>> 8}.${g[6]! & 255}.${g[7]! >>> 8}.${g[7]! & 255}`;
    }
    out += g[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

function stripZone(text: string): string {
  const pct = text.indexOf('%');
  return pct > 0 && pct < text.length - 1 && text.includes(':') ? text.slice(0, pct) : text;
}

/** Parses an IPv4/IPv6 address into `out` (4 words, IPv4 in word 0); returns its family, or 0 (out zeroed) if invalid. */
export function parseIpWords(text: string, out: Uint32Array | Int32Array): IpFamily | 0 {
  out.fill(0);
  const v4 = ipv4Pton(text);
  if (v4 !== null) {
    out[0] = v4;
    return 4;
  }
  const g = ipv6Pton(stripZone(text));
  if (!g) return 0;
  for (let w = 0; w < 4; w++) out[w] = ((g[w * 2]! << 16) | g[w * 2 + 1]!) >>> 0;
  return 6;
}

/** Allocating variant of parseIpWords: the words and family, or undefined when invalid. */
export function ipWords(text: string): { family: IpFamily; words: Uint32Array } | undefined {
  const words = new Uint32Array(4);
  const family = parseIpWords(text, words);
  return family === 0 ? undefined : { family, words };
}

/** Formats address words as a dotted quad or IPv6 text (RFC 5952 unless `style` says glibc). */
export function formatIpWords(words: ArrayLike<number>, family: IpFamily, style: Ipv6Style = 'rfc5952'): string {
  if (family === 4) return ipv4Text(words[0]! >>> 0);
  const g: number[] = [];
  for (let w = 0; w < 4; w++) g.push((words[w]! >>> 16) & 0xffff, words[w]! & 0xffff);
  return ipv6Ntop(g, style);
}

/** The address as network-order bytes (4 or 16), or undefined when invalid. */
export function ipBytes(text: string): Uint8Array | undefined {
  const a = ipWords(text);
  if (!a) return undefined;
  const n = a.family === 4 ? 1 : 4;
  const out = new Uint8Array(n * 4);
  for (let w = 0; w < n; w++) {
    const v = a.words[w]!;
    out[w * 4] = v >>> 24;
    out[w * 4 + 1] = (v >>> 16) & 255;
    out[w * 4 + 2] = (v >>> 8) & 255;
    out[w * 4 + 3] = v & 255;
  }
  return out;
}

/** Formats the 4 (IPv4) or 16 (IPv6) network-order bytes at `off` (IPv6 as RFC 5952). */
export function formatIpBytes(b: Uint8Array, off: number, family: IpFamily): string {
  if (family === 4) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[off + 2 * i]! << 8) | b[off + 2 * i + 1]!);
  return ipv6Ntop(g);
}

/** Canonical text (dotted quad, compressed lower-case IPv6 without zone) and family; undefined when invalid. */
export function canonicalIp(text: string, style: Ipv6Style = 'rfc5952'): { family: IpFamily; address: string } | undefined {
  const a = ipWords(text);
  return a && { family: a.family, address: formatIpWords(a.words, a.family, style) };
}
