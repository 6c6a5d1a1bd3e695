/**
 * Userspace IPIP decapsulator for real servers whose kernel has no ipip/ip6_tunnel module (LVS TUN). It
 * reuses the AF_PACKET backend: a BPF-filtered ring on the real server's interface receives IPv4
 * protocol 4 frames (IPIP, ip_vs_tunnel_xmit) and IPv6 next-header 41 frames (IPv6-in-IPv6,
 * ip_vs_tunnel_xmit_v6) for its addresses; each inner packet gets a zero Ethernet header in place (the
 * outer IP header is overwritten) and is transmitted on `lo`, which hands it to the local stack as if
 * it had arrived — where the VIP on lo accepts it. Raw-table DROPs (comment `ulvs`) keep the kernel from
 * answering the outer packets with ICMP protocol-unreachable / ICMPv6 parameter-problem. One batch per
 * wakeup, no per-packet allocation.
 *
 * In front of it, unless told otherwise, an XDP program (realserver/xdp-decap.ts) decapsulates IPIP to
 * the interface's IPv4 addresses in the kernel; the ring then sees only what the program passes on
 * (IPv6-in-IPv6, outer fragments or options).
 */
import { createBatch, LinkType, Verdict, type PacketBatch } from '../core/batch.js';
import { AfpacketIo, ifindexOf } from '../io/afpacket.js';
import { v4Word, v6Words } from '../io/bpf.js';
import { run } from '../util/exec.js';
import { attachXdpDecap, type XdpDecap } from './xdp-decap.js';

const ETH = 14;
const IPV6_HEADER = 40;
const IPPROTO_IPIP = 4;
/** IPv6 next header of an encapsulated IPv6 packet (IPPROTO_IPV6). */
const IPPROTO_IPV6 = 41;

/** Where IPIP to IPv4 addresses is decapsulated: XDP when possible (auto), XDP or fail, or only in userspace. */
export const DECAP_PATHS = ['auto', 'xdp', 'userspace'] as const;
export type DecapPath = (typeof DECAP_PATHS)[number];

/** A running decapsulator. */
export interface IpipDecap {
  /** Packets decapsulated in userspace and handed to the stack. */
  readonly counters: { decapsulated: number; ignored: number };
  /** The XDP program decapsulating IPIP in the kernel, when attached. */
  readonly xdp?: XdpDecap;
  /** Why XDP is not used when the path was 'auto' and attaching failed. */
  readonly xdpError?: string;
  /** Stops receiving and removes the DROP rules. */
  stop(): Promise<void>;
}

type Insn = { code: number; jt: number | string; jf: number | string; k: number; label?: string };

/**
 * BPF: IPv4 protocol 4 with a destination in the IPv4 `addrs`, or IPv6 next header 41 with a
 * destination in the IPv6 `addrs` (sock_filter array, little-endian).
 */
export function tunnelFilter(addrs: string[]): Uint8Array {
  const a4 = addrs.filter((a) => !a.includes(':')).map(v4Word);
  const a6 = addrs.filter((a) => a.includes(':')).map(v6Words);
  const p: Insn[] = [];
  p.push({ code: 0x28, jt: 0, jf: 0, k: 12 }); // ldh [12] EtherType
  p.push({ code: 0x15, jt: 'v4', jf: 0, k: 0x0800 });
  p.push({ code: 0x15, jt: 'v6', jf: 'reject', k: 0x86dd });
  p.push({ code: 0x30, jt: 0, jf: 0, k: ETH + 9, label: 'v4' }); // ldb protocol
  p.push({ code: 0x15, jt: 0, jf: 'reject', k: IPPROTO_IPIP });
  p.push({ code: 0x20, jt: 0, jf: 0, k: ETH + 16 }); // ld destination
  for (const w of a4) p.push({ code: 0x15, jt: 'accept', jf: 0, k: w });
  p.push({ code: 0x06, jt: 0, jf: 0, k: 0 });
  p.push({ code: 0x30, jt: 0, jf: 0, k: ETH + 6, label: 'v6' }); // ldb next header
  p.push({ code: 0x15, jt: 0, jf: 'reject', k: IPPROTO_IPV6 });
  a6.forEach((w, n) => {
    for (let i = 0; i < 4; i++) {
      p.push({ code: 0x20, jt: 0, jf: 0, k: ETH + 24 + 4 * i, label: i === 0 ? `v6-${n}` : undefined });
      p.push({ code: 0x15, jt: i === 3 ? 'accept' : 0, jf: `v6-${n + 1}`, k: w[i]! });
    }
  });
  p.push({ code: 0x06, jt: 0, jf: 0, k: 0, label: `v6-${a6.length}` });
  p.push({ code: 0x06, jt: 0, jf: 0, k: 0, label: 'reject' });
  p.push({ code: 0x06, jt: 0, jf: 0, k: 0x40000, label: 'accept' });
  const at = new Map<string, number>();
  p.forEach((x, i) => {
    if (x.label && !at.has(x.label)) at.set(x.label, i);
  });
  const out = new Uint8Array(p.length * 8);
  const dv = new DataView(out.buffer);
  p.forEach((x, i) => {
    const rel = (j: number | string): number => {
      if (typeof j === 'number') return j;
      const d = at.get(j)! - i - 1;
      if (!(d >= 0 && d <= 255)) throw new Error('too many addresses for the tunnel filter');
      return d;
    };
    dv.setUint16(i * 8, x.code, true);
    dv.setUint8(i * 8 + 2, rel(x.jt));
    dv.setUint8(i * 8 + 3, rel(x.jf));
    dv.setUint32(i * 8 + 4, x.k, true);
  });
  return out;
}

/**
 * Decapsulates batch packets in place: verdict Transmit on lo for IPIP (IPv4 in IPv4) and IPv6-in-IPv6
 * (outer header without extension headers), Drop otherwise.
 */
export function decapBatch(b: PacketBatch, loIfindex: number, c: { decapsulated: number; ignored: number }): void {
  const buf = b.buf;
  for (let i = 0; i < b.count; i++) {
    const s = b.start[i];
    const len = b.length[i];
    b.verdict[i] = Verdict.Drop;
    const etherHi = buf[s + 12];
    const etherLo = buf[s + 13];
    let inner: number;
    let end: number;
    if (etherHi === 0x08 && etherLo === 0x00) {
      if (len < ETH + 40 || buf[s + ETH + 9] !== IPPROTO_IPIP) {
        c.ignored++;
        continue;
      }
      const ihl = (buf[s + ETH] & 0x0f) * 4;
      inner = s + ETH + ihl;
      if (ihl < 20 || inner + 20 > s + len || buf[inner] >> 4 !== 4) {
        c.ignored++;
        continue;
      }
      // Outer total length bounds the inner packet (Ethernet padding excluded).
      end = Math.min(s + len, s + ETH + ((buf[s + ETH + 2] << 8) | buf[s + ETH + 3]));
    } else if (etherHi === 0x86 && etherLo === 0xdd) {
      if (len < ETH + 2 * IPV6_HEADER || buf[s + ETH + 6] !== IPPROTO_IPV6) {
        c.ignored++;
        continue;
      }
      inner = s + ETH + IPV6_HEADER;
      if (buf[inner] >> 4 !== 6) {
        c.ignored++;
        continue;
      }
      // Outer payload length bounds the inner packet.
      end = Math.min(s + len, inner + ((buf[s + ETH + 4] << 8) | buf[s + ETH + 5]));
    } else {
      c.ignored++;
      continue;
    }
    const ns = inner - ETH;
    buf.fill(0, ns, ns + 12);
    buf[ns + 12] = etherHi;
    buf[ns + 13] = etherLo;
    b.start[i] = ns;
    b.length[i] = end - ns;
    b.outIfindex[i] = loIfindex;
    b.verdict[i] = Verdict.Transmit;
    c.decapsulated++;
  }
}

/** The global IPv6 addresses of `iface` (none when it has no IPv6). */
async function ipv6AddressesOf(iface: string): Promise<string[]> {
  const r = await run(['ip', '-j', '-6', 'addr', 'show', 'dev', iface, 'scope', 'global']);
  try {
    return (JSON.parse(r.stdout || '[]') as Array<{ addr_info?: Array<{ local?: string }> }>).flatMap((l) =>
      (l.addr_info ?? []).flatMap((a) => (a.local ? [a.local] : [])),
    );
  } catch {
    return [];
  }
}

/**
 * Starts decapsulating tunnelled packets sent to `localAddrs` that arrive on `iface`: IPIP to its IPv4
 * addresses and IPv6-in-IPv6 to its IPv6 addresses (the interface's global IPv6 addresses are added when
 * `localAddrs` names none).
 */
export async function startIpipDecap(iface: string, localAddrs: string[], path: DecapPath = 'auto'): Promise<IpipDecap> {
  const counters = { decapsulated: 0, ignored: 0 };
  const addrs = localAddrs.some((a) => a.includes(':')) ? localAddrs : [...localAddrs, ...(await ipv6AddressesOf(iface))];
  const rule = (op: '-A' | '-D', a: string): string[] => {
    const v6 = a.includes(':');
    return [
      v6 ? 'ip6tables' : 'iptables',
      '-w',
      '-t',
      'raw',
      op,
      'PREROUTING',
      '-i',
      iface,
      '-d',
      a,
      '-p',
      String(v6 ? IPPROTO_IPV6 : IPPROTO_IPIP),
      '-m',
      'comment',
      '--comment',
      'ulvs',
      '-j',
      'DROP',
    ];
  };
  const batch = createBatch(LinkType.Ether, 64);
  const io = new AfpacketIo({ kind: 'afpacket', interfaces: [iface], fanoutGroups: [0], filter: tunnelFilter(addrs), retireMs: 1 }, batch);
  io.start((b) => decapBatch(b, 1, counters));
  let xdp: XdpDecap | undefined;
  let xdpError: string | undefined;
  const v4 = addrs.filter((a) => !a.includes(':'));
  if (path !== 'userspace' && v4.length > 0) {
    try {
      xdp = attachXdpDecap(ifindexOf(iface), v4);
    } catch (e) {
      if (path === 'xdp') {
        io.close();
        throw e;
      }
      xdpError = (e as Error).message;
    }
  }
  const added: string[] = [];
  for (const a of addrs) {
    const r = await run(rule('-A', a));
    if (r.code !== 0) {
      xdp?.close();
      io.close();
      for (const x of added) await run(rule('-D', x));
      throw new Error(
        `cannot add the ${a.includes(':') ? 'ip6tables' : 'iptables'} rule that keeps the kernel from rejecting tunnelled packets: ${r.stderr.trim()}`,
      );
    }
    added.push(a);
  }
  return {
    counters,
    xdp,
    xdpError,
    async stop() {
      xdp?.close();
      io.close();
      for (const a of added) await run(rule('-D', a));
    },
  };
}
