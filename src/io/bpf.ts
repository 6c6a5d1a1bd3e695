/**
 * Builds the classic BPF program attached to the AF_PACKET rings: accept an Ethernet frame only if it
 * is IPv4/IPv6 with a destination among the virtual addresses, or a source among the NAT real servers
 * (their replies). Everything else (ARP, the host's own traffic) never leaves the kernel.
 * A frame addressed to another host's MAC (PACKET_OTHERHOST: a switch flooding, a promiscuous port) is
 * refused, as ip_rcv drops it before IPVS sees it, unless it is addressed to a VRRP virtual MAC
 * (00:00:5e:00:01:VRID / 00:00:5e:00:02:VRID), which arrive on the parent of a use_vmac interface.
 * Encoding: struct sock_filter { u16 code; u8 jt; u8 jf; u32 k } little-endian (x86/arm hosts), 8 bytes.
 */

const BPF_LD_H_ABS = 0x28;
const BPF_LD_W_ABS = 0x20;
const BPF_JEQ_K = 0x15;
const BPF_RET_K = 0x06;
const BPF_ALU_AND_K = 0x54;
/** SKF_AD_OFF + SKF_AD_PKTTYPE: the ancillary load of skb->pkt_type. */
const AD_PKTTYPE = (0xfffff000 + 4) >>> 0;
/** linux/if_packet.h PACKET_OTHERHOST. */
const PACKET_OTHERHOST = 3;
/** Bytes the ring copies of an accepted frame (the whole frame). */
const ACCEPT_BYTES = 0x40000;

/** Addresses the filter lets through. */
export interface FilterSpec {
  /** Destination addresses (virtual service addresses), IPv4 dotted or IPv6. */
  dst: string[];
  /** Source addresses (NAT real servers, whose replies ulvs rewrites). */
  src: string[];
}

/** The big-endian 32-bit word of a dotted IPv4 address (throws on anything else). */
export function v4Word(a: string): number {
  const p = a.split('.').map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) throw new Error(`'${a}' is not an IPv4 address`);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** The four big-endian 32-bit words of an IPv6 address. */
export function v6Words(a: string): number[] {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) throw new Error(`'${a}' is not an IPv6 address`);
  const n = groups.map((g) => parseInt(g, 16));
  return [0, 1, 2, 3].map((i) => ((n[2 * i] << 16) | n[2 * i + 1]) >>> 0);
}

type Insn = { code: number; jt: number | string; jf: number | string; k: number; label?: string };

/** Compiles the filter to sock_filter bytes (at most ~60 addresses: jumps are 8-bit). */
export function buildFilter(spec: FilterSpec): Uint8Array {
  const p: Insn[] = [];
  const v4 = { dst: spec.dst.filter((a) => !a.includes(':')), src: spec.src.filter((a) => !a.includes(':')) };
  const v6 = { dst: spec.dst.filter((a) => a.includes(':')), src: spec.src.filter((a) => a.includes(':')) };
  // cBPF jumps only forward: the other-host test comes first and falls through to 'eth'.
  p.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: AD_PKTTYPE });
  p.push({ code: BPF_JEQ_K, jt: 0, jf: 'eth', k: PACKET_OTHERHOST });
  p.push({ code: BPF_LD_H_ABS, jt: 0, jf: 0, k: 0 });
  p.push({ code: BPF_JEQ_K, jt: 0, jf: 'reject', k: 0x0000 });
  p.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 2 });
  p.push({ code: BPF_ALU_AND_K, jt: 0, jf: 0, k: 0xffffff00 });
  p.push({ code: BPF_JEQ_K, jt: 'eth', jf: 0, k: 0x5e000100 });
  p.push({ code: BPF_JEQ_K, jt: 'eth', jf: 'reject', k: 0x5e000200 });
  p.push({ code: BPF_LD_H_ABS, jt: 0, jf: 0, k: 12, label: 'eth' });
  p.push({ code: BPF_JEQ_K, jt: 'ipv4', jf: 0, k: 0x0800 });
  p.push({ code: BPF_JEQ_K, jt: 'ipv6', jf: 'reject', k: 0x86dd });
  p.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 30, label: 'ipv4' });
  for (const a of v4.dst) p.push({ code: BPF_JEQ_K, jt: 'accept', jf: 0, k: v4Word(a) });
  p.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: 26 });
  for (const a of v4.src) p.push({ code: BPF_JEQ_K, jt: 'accept', jf: 0, k: v4Word(a) });
  p.push({ code: BPF_RET_K, jt: 0, jf: 0, k: 0 });
  // IPv6: compare the 4 words of the destination (offset 38) or source (offset 22).
  let first = true;
  const v6cmp = (off: number, addrs: string[]): void => {
    addrs.forEach((a, n) => {
      const w = v6Words(a);
      const next = `v6-${off}-${n + 1}`;
      for (let i = 0; i < 4; i++) {
        p.push({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: off + 4 * i, label: i === 0 ? (first ? 'ipv6' : `v6-${off}-${n}`) : undefined });
        first = false;
        p.push({ code: BPF_JEQ_K, jt: i === 3 ? 'accept' : 0, jf: next, k: w[i] });
      }
    });
    // The label after the last address of this group.
    p.push({ code: BPF_LD_H_ABS, jt: 0, jf: 0, k: 12, label: `v6-${off}-${addrs.length}` });
  };
  if (v6.dst.length + v6.src.length === 0) {
    p.push({ code: BPF_RET_K, jt: 0, jf: 0, k: 0, label: 'ipv6' });
  } else {
    if (v6.dst.length) v6cmp(38, v6.dst);
    if (v6.src.length) v6cmp(22, v6.src);
    if (first) throw new Error('unreachable');
  }
  p.push({ code: BPF_RET_K, jt: 0, jf: 0, k: 0, label: 'reject' });
  p.push({ code: BPF_RET_K, jt: 0, jf: 0, k: ACCEPT_BYTES, label: 'accept' });
  // Some labels may be defined twice when a group is empty: the first definition wins.
  const at = new Map<string, number>();
  p.forEach((x, i) => {
    if (x.label && !at.has(x.label)) at.set(x.label, i);
  });
  const out = new Uint8Array(p.length * 8);
  const dv = new DataView(out.buffer);
  p.forEach((x, i) => {
    const rel = (j: number | string): number => {
      if (typeof j === 'number') return j;
      const target = at.get(j);
      if (target === undefined) throw new Error(`BPF label ${j} missing`);
      const d = target - i - 1;
      if (d < 0 || d > 255) throw new Error('too many addresses for one BPF filter (jumps exceed 255 instructions)');
      return d;
    };
    dv.setUint16(i * 8, x.code, true);
    dv.setUint8(i * 8 + 2, rel(x.jt));
    dv.setUint8(i * 8 + 3, rel(x.jf));
    dv.setUint32(i * 8 + 4, x.k, true);
  });
  return out;
}
