/**
 * Address text -> the schedulers' address layout: four host-order u32 words, IPv4 in word 0 and
 * words 1..3 zero; IPv6 words in network order of appearance (word 0 = the first 32 bits).
 */

/** Parses an IPv4 dotted quad or an IPv6 address (with ::, optional embedded IPv4) into words. */
export function addrWords(text: string): Uint32Array {
  const out = new Uint32Array(4);
  if (!text.includes(':')) {
    const p = text.split('.');
    if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) {
      throw new RangeError(`invalid IPv4 address: ${text}`);
    }
    out[0] = ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
    return out;
  }
  const groups = ipv6Groups(text);
  for (let i = 0; i < 4; i++) out[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return out;
}

/** The eight 16-bit groups of an IPv6 address; throws RangeError when malformed. */
export function ipv6Groups(text: string): number[] {
  const bad = (): never => {
    throw new RangeError(`invalid IPv6 address: ${text}`);
  };
  const halves = text.split('::');
  if (halves.length > 2) bad();
  const parse = (s: string): number[] => {
    if (s === '') return [];
    const parts = s.split(':');
    const res: number[] = [];
    parts.forEach((part, idx) => {
      if (part.includes('.') && idx === parts.length - 1) {
        const w = addrWords(part)[0]!;
        res.push(w >>> 16, w & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) res.push(parseInt(part, 16));
      else bad();
    });
    return res;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (halves.length === 1) {
    if (head.length !== 8) bad();
    return head;
  }
  const fill = 8 - head.length - tail.length;
  if (fill < 1) bad();
  return [...head, ...new Array<number>(fill).fill(0), ...tail];
}
