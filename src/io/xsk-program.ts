/**
 * The XDP program of the AF_XDP backend: it redirects to the AF_XDP socket of the receive queue
 * (XSKMAP key = rx_queue_index) exactly the frames ulvs forwards, and passes everything else to the
 * kernel untouched (ARP, neighbour discovery, ping and SSH to a VIP, the host's own traffic), since a
 * redirected frame never reaches the stack. Redirected: IPv4/IPv6 to a virtual service (address,
 * protocol, port; port 0 = any), replies of NAT real servers (source address, protocol, port) not
 * addressed to the director itself, and ICMP errors to a virtual address or from a NAT real server
 * (ip_vs_in_icmp / ip_vs_out_icmp relate them to connections). Non-first IPv4 fragments, IPv6
 * extension headers and 802.1Q frames pass. A queue with no socket in the map also passes
 * (bpf_redirect_map's default action). Given the interface's MAC, a unicast frame addressed to another
 * host's MAC (a switch flooding, a promiscuous port) passes too, so the kernel drops it as ip_rcv drops
 * PACKET_OTHERHOST before IPVS sees it; VRRP virtual MACs (00:00:5e:00:01|02:VRID) stay eligible.
 */
import { ipBytes } from '../core/addr.js';
import { Op, PSEUDO_MAP_FD, Program } from './ebpf.js';

/** One traffic selector (host/director.ts Selector without the import). */
export interface XskSelector {
  family: 4 | 6;
  address: string;
  /** Undefined: every protocol. */
  protocol?: 'tcp' | 'udp' | 'sctp';
  /** 0 = any port. */
  port: number;
}

/** What the program redirects. */
export interface XskRedirectSpec {
  /** Virtual services (destination match). */
  services: XskSelector[];
  /** NAT real servers (source match: their replies). */
  natReplies: XskSelector[];
  /** The director's own addresses: NAT real-server packets to these are the host's (health checks). */
  local: string[];
}

const ETH = 14;
const XDP_PASS = 2;
const HELPER_REDIRECT_MAP = 51;
const PROTO: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** The u32 an eBPF load (little-endian host) of 4 network-order bytes at `b[o..]` yields. */
function le32(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24) | 0;
}

/** The u16 an eBPF load of a network-order port yields. */
function le16(port: number): number {
  return ((port & 0xff) << 8) | (port >>> 8);
}

function bytesOf(a: string, family: 4 | 6): Uint8Array {
  const b = ipBytes(a);
  if (!b || b.length !== (family === 4 ? 4 : 16)) throw new Error(`'${a}' is not an IPv${family} address`);
  return b;
}

/**
 * Emits: a unicast destination MAC that is neither `mac` nor a VRRP virtual MAC jumps to 'pass'; group
 * addresses (broadcast, multicast) and ours fall through. r0 scratch, r2 = data.
 */
function otherHostPasses(p: Program, mac: Uint8Array): void {
  p.i(Op.LDX_B, 0, 2, 0, 0).i(Op.AND64_K, 0, 0, 0, 1).i(Op.JNE32_K, 0, 0, 'ours', 0);
  p.i(Op.LDX_W, 0, 2, 0, 0).i(Op.JNE32_K, 0, 0, 'vmac', le32(mac, 0));
  p.i(Op.LDX_H, 0, 2, 4, 0).i(Op.JEQ32_K, 0, 0, 'ours', mac[4]! | (mac[5]! << 8));
  p.label('vmac');
  p.i(Op.LDX_W, 0, 2, 0, 0).i(Op.JNE32_K, 0, 0, 'pass', le32(Uint8Array.of(0, 0, 0x5e, 0), 0));
  p.i(Op.LDX_B, 0, 2, 4, 0).i(Op.JEQ32_K, 0, 0, 'ours', 1).i(Op.JNE32_K, 0, 0, 'pass', 2);
  p.label('ours');
}

/** The MAC address bytes of `text` (aa:bb:cc:dd:ee:ff), or undefined. */
export function macBytes(text: string): Uint8Array | undefined {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(text.trim());
  return m ? Uint8Array.from(m.slice(1), (h) => parseInt(h, 16)) : undefined;
}

/**
 * Builds the program (struct bpf_insn bytes) whose only map reference is the XSKMAP (patched in by
 * the loader). Registers: r6 ctx, r2 data, r3 data_end, r8 L4 protocol, r5 source port (ICMP: type
 * in the low byte), r7 destination port; r0, r1, r4, r9 scratch.
 */
export function xskProgram(spec: XskRedirectSpec, mac?: Uint8Array): Uint8Array {
  const p = new Program();
  let n = 0;
  const next = (): string => `l${n++}`;
  const local = spec.local.map((a) => a.split('/')[0]!);
  p.i(Op.MOV64_X, 6, 1, 0, 0);
  p.i(Op.LDX_W, 2, 6, 0, 0);
  p.i(Op.LDX_W, 3, 6, 4, 0);
  p.i(Op.MOV64_X, 4, 2, 0, 0).i(Op.ADD64_K, 4, 0, 0, ETH).i(Op.JGT_X, 4, 3, 'pass', 0);
  if (mac) otherHostPasses(p, mac);
  p.i(Op.LDX_H, 4, 2, 12, 0);
  p.i(Op.JEQ32_K, 4, 0, 'v4', 0x0008);
  p.i(Op.JEQ32_K, 4, 0, 'v6', 0xdd86);
  p.i(Op.JA, 0, 0, 'pass', 0);

  // Compares the address at packet offset `off` with `a`; falls through on a match, else jumps to `miss`.
  const addrIs = (off: number, a: string, family: 4 | 6, miss: string): void => {
    const b = bytesOf(a, family);
    for (let w = 0; w < b.length / 4; w++) {
      p.i(Op.LDX_W, 0, 2, off + 4 * w, 0);
      p.i(Op.JNE32_K, 0, 0, miss, le32(b, 4 * w));
    }
  };
  const family = (f: 4 | 6, daddr: number, saddr: number, icmpProto: number): void => {
    const services = spec.services.filter((s) => s.family === f);
    const nat = spec.natReplies.filter((s) => s.family === f);
    for (const s of services) {
      const miss = next();
      addrIs(daddr, s.address, f, miss);
      if (s.protocol) p.i(Op.JNE32_K, 8, 0, miss, PROTO[s.protocol]!);
      if (s.protocol && s.port) p.i(Op.JNE32_K, 7, 0, miss, le16(s.port));
      p.i(Op.JA, 0, 0, 'redirect', 0);
      p.label(miss);
    }
    const notLocal = `notlocal${f}`;
    const afterIcmp = next();
    // ICMP errors: IPv4 unreachable (3), source quench (4), time exceeded (11); every ICMPv6 error (< 128).
    p.i(Op.JNE32_K, 8, 0, afterIcmp, icmpProto);
    p.i(Op.MOV64_X, 0, 5, 0, 0).i(Op.AND64_K, 0, 0, 0, 0xff);
    if (f === 4) {
      const isErr = next();
      p.i(Op.JEQ32_K, 0, 0, isErr, 3).i(Op.JEQ32_K, 0, 0, isErr, 4).i(Op.JEQ32_K, 0, 0, isErr, 11).i(Op.JA, 0, 0, 'pass', 0);
      p.label(isErr);
    } else {
      p.i(Op.JGE32_K, 0, 0, 'pass', 128);
    }
    for (const a of new Set(services.map((s) => s.address))) {
      const miss = next();
      addrIs(daddr, a, f, miss);
      p.i(Op.JA, 0, 0, 'redirect', 0);
      p.label(miss);
    }
    for (const a of new Set(nat.map((s) => s.address))) {
      const miss = next();
      addrIs(saddr, a, f, miss);
      p.i(Op.JA, 0, 0, notLocal, 0);
      p.label(miss);
    }
    p.i(Op.JA, 0, 0, 'pass', 0);
    p.label(afterIcmp);
    for (const s of nat) {
      const miss = next();
      addrIs(saddr, s.address, f, miss);
      if (s.protocol) p.i(Op.JNE32_K, 8, 0, miss, PROTO[s.protocol]!);
      if (s.protocol && s.port) p.i(Op.JNE32_K, 5, 0, miss, le16(s.port));
      p.i(Op.JA, 0, 0, notLocal, 0);
      p.label(miss);
    }
    p.i(Op.JA, 0, 0, 'pass', 0);
    // A NAT real server's packet to one of the director's own addresses is the host's (a health check reply).
    p.label(notLocal);
    for (const a of local.filter((x) => (f === 4 ? !x.includes(':') : x.includes(':')))) {
      const miss = next();
      addrIs(daddr, a, f, miss);
      p.i(Op.JA, 0, 0, 'pass', 0);
      p.label(miss);
    }
    p.i(Op.JA, 0, 0, 'redirect', 0);
  };

  // IPv4: 20..60-byte header (IHL), no later fragment, then 8 bytes of L4 header (ports / ICMP type).
  p.label('v4');
  p.i(Op.MOV64_X, 4, 2, 0, 0)
    .i(Op.ADD64_K, 4, 0, 0, ETH + 20)
    .i(Op.JGT_X, 4, 3, 'pass', 0);
  p.i(Op.LDX_H, 4, 2, ETH + 6, 0)
    .i(Op.AND64_K, 4, 0, 0, 0xff1f)
    .i(Op.JNE32_K, 4, 0, 'pass', 0);
  p.i(Op.LDX_B, 1, 2, ETH, 0).i(Op.AND64_K, 1, 0, 0, 0x0f).i(Op.LSH64_K, 1, 0, 0, 2);
  p.i(Op.JLT32_K, 1, 0, 'pass', 20);
  p.i(Op.ADD64_X, 1, 2, 0, 0); // r1 = data + IHL: the L4 header is at r1 + 14
  p.i(Op.MOV64_X, 4, 1, 0, 0)
    .i(Op.ADD64_K, 4, 0, 0, ETH + 8)
    .i(Op.JGT_X, 4, 3, 'pass', 0);
  p.i(Op.LDX_B, 8, 2, ETH + 9, 0);
  p.i(Op.LDX_H, 5, 1, ETH, 0);
  p.i(Op.LDX_H, 7, 1, ETH + 2, 0);
  family(4, ETH + 16, ETH + 12, 1);

  // IPv6: fixed 40-byte header; TCP, UDP, SCTP and ICMPv6 directly after it.
  p.label('v6');
  p.i(Op.MOV64_X, 4, 2, 0, 0)
    .i(Op.ADD64_K, 4, 0, 0, ETH + 40 + 8)
    .i(Op.JGT_X, 4, 3, 'pass', 0);
  p.i(Op.LDX_B, 8, 2, ETH + 6, 0);
  p.i(Op.LDX_H, 5, 2, ETH + 40, 0);
  p.i(Op.LDX_H, 7, 2, ETH + 42, 0);
  family(6, ETH + 24, ETH + 8, 58);

  p.label('redirect');
  p.i(Op.LD_IMM64, 1, PSEUDO_MAP_FD, 0, 0).i(0, 0, 0, 0, 0);
  p.i(Op.LDX_W, 2, 6, 16, 0); // ctx->rx_queue_index
  p.i(Op.MOV64_K, 3, 0, 0, XDP_PASS); // no socket on this queue: pass
  p.i(Op.CALL, 0, 0, 0, HELPER_REDIRECT_MAP);
  p.i(Op.EXIT, 0, 0, 0, 0);
  p.label('pass');
  p.i(Op.MOV64_K, 0, 0, 0, XDP_PASS);
  p.i(Op.EXIT, 0, 0, 0, 0);
  return p.assemble();
}
