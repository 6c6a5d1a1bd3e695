/**
 * Address text as ipvsadm reads and prints it: inet_aton (IPv4, with its shorthand and
 * octal/hex parts), inet_pton/inet_ntop for IPv6 (glibc's compression and embedded-IPv4 rules).
 */

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

/** Dotted quad of a host-order u32 (inet_ntoa). */
export function ipv4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** inet_pton(AF_INET, ...): strict dotted quad with decimal parts; u32 or null. */
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

/** inet_pton(AF_INET6, ...): the eight 16-bit groups, or null when malformed. */
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

/** inet_ntop(AF_INET6, ...) as glibc prints it: longest zero run (>= 2 groups) as "::", lowercase. */
export function ipv6Ntop(g: readonly number[]): string {
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
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
      out += `${g[6]! >>> 8}.${g[6]! & 255}.${g[7]! >>> 8}.${g[7]! & 255}`;
      return out;
    }
    out += g[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
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
  const g = ipv6Pton(address);
  if (g) return [0, 1, 2, 3].map((i) => ((g[2 * i]! << 16) | g[2 * i + 1]!) >>> 0);
  return [ipv4Pton(address) ?? 0, 0, 0, 0];
}
