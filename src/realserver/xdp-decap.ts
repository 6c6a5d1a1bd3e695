/**
 * In-kernel IPIP decapsulation for LVS TUN real servers whose kernel has no ipip module: an eBPF XDP
 * program, assembled here, pops the outer IPv4 header of IPIP packets sent to this host's addresses
 * (moves the Ethernet header forward 20 bytes, then bpf_xdp_adjust_head) and passes the inner packet to
 * the stack, where the VIP on lo accepts it — the same result as ip_vs_tunnel_xmit's peer, tunl0,
 * without a trip through userspace. Packets it does not handle (IPv6-in-IPv6, outer fragments or IP
 * options, other destinations) pass untouched to the userspace decapsulator. The program stays attached
 * while the link fd is open, so it goes away with the process that attached it, also on a crash.
 */
import { isIPv4 } from 'node:net';
import { v4Word } from '../io/bpf.js';
import { loadNative } from '../native/addon.js';
import type { NativeXdpAddon } from '../native/types.js';

/** How the program is attached: in the driver (native XDP) or in the generic hook (any device). */
export type XdpMode = 'native' | 'generic';

/** An attached decapsulation program. */
export interface XdpDecap {
  readonly mode: XdpMode;
  /** IPIP packets decapsulated in the kernel so far. */
  decapsulated(): number;
  /** Detaches the program (closing its link) and frees the counter map; idempotent. */
  close(): void;
}

const ETH = 14;
const OUTER = 20;
const XDP_PASS = 2;
const HELPER_MAP_LOOKUP_ELEM = 1;
const HELPER_XDP_ADJUST_HEAD = 44;

// eBPF opcodes (linux/bpf.h).
const LDX_W = 0x61,
  LDX_H = 0x69,
  LDX_B = 0x71,
  STX_W = 0x63,
  STX_H = 0x6b,
  ST_W = 0x62;
const MOV64_X = 0xbf,
  MOV64_K = 0xb7,
  ADD64_K = 0x07,
  AND64_K = 0x57;
const JGT_X = 0x2d,
  JEQ_K = 0x15,
  JA = 0x05,
  JEQ32_K = 0x16,
  JNE32_K = 0x56;
const CALL = 0x85,
  EXIT = 0x95,
  LD_IMM64 = 0x18,
  ATOMIC_ADD64 = 0xdb;
const PSEUDO_MAP_FD = 1;

type Insn = { code: number; dst: number; src: number; off: number | string; imm: number; label?: string };

/** The u32 that an eBPF load (little-endian host) of the 4 network-order bytes of `a` yields. */
function loadedAddr(a: string): number {
  const w = v4Word(a);
  return (w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24) | 0;
}

/**
 * The XDP program (struct bpf_insn array, little-endian): IPv4 protocol 4, 20-byte outer header, not a
 * fragment, an IPv4 inner packet, outer destination in `addrs` → counted in map slot 0 and decapsulated;
 * anything else → XDP_PASS unchanged.
 */
export function decapProgram(addrs: string[]): Uint8Array {
  const v4 = addrs.filter((a) => isIPv4(a));
  if (v4.length === 0) throw new Error('the XDP decapsulator needs at least one IPv4 address');
  const p: Insn[] = [];
  const i = (code: number, dst: number, src: number, off: number | string, imm: number, label?: string): void => {
    p.push({ code, dst, src, off, imm, label });
  };
  i(LDX_W, 2, 1, 0, 0); // r2 = ctx->data
  i(LDX_W, 3, 1, 4, 0); // r3 = ctx->data_end
  i(MOV64_X, 4, 2, 0, 0);
  i(ADD64_K, 4, 0, 0, ETH + OUTER + 20); // Ethernet + outer + inner IPv4 header in the frame
  i(JGT_X, 4, 3, 'pass', 0);
  i(LDX_H, 5, 2, 12, 0); // EtherType 0x0800
  i(JNE32_K, 5, 0, 'pass', 0x0008);
  i(LDX_B, 5, 2, ETH, 0); // version 4, IHL 5 (no options)
  i(JNE32_K, 5, 0, 'pass', 0x45);
  i(LDX_B, 5, 2, ETH + 9, 0); // protocol IPIP
  i(JNE32_K, 5, 0, 'pass', 4);
  i(LDX_H, 5, 2, ETH + 6, 0); // MF flag and fragment offset are zero
  i(AND64_K, 5, 0, 0, 0xff3f);
  i(JNE32_K, 5, 0, 'pass', 0);
  i(LDX_B, 5, 2, ETH + OUTER, 0); // inner version 4
  i(AND64_K, 5, 0, 0, 0xf0);
  i(JNE32_K, 5, 0, 'pass', 0x40);
  i(LDX_W, 5, 2, ETH + 16, 0); // outer destination is one of ours
  for (const a of v4) i(JEQ32_K, 5, 0, 'decap', loadedAddr(a));
  i(JA, 0, 0, 'pass', 0);
  // Ethernet header (14 bytes) to just before the inner header.
  i(LDX_W, 5, 2, 0, 0, 'decap');
  i(STX_W, 2, 5, OUTER, 0);
  i(LDX_W, 5, 2, 4, 0);
  i(STX_W, 2, 5, OUTER + 4, 0);
  i(LDX_W, 5, 2, 8, 0);
  i(STX_W, 2, 5, OUTER + 8, 0);
  i(LDX_H, 5, 2, 12, 0);
  i(STX_H, 2, 5, OUTER + 12, 0);
  i(MOV64_X, 6, 1, 0, 0); // r6 = ctx (calls clobber r1-r5)
  i(ST_W, 10, 0, -4, 0); // key 0 on the stack
  i(MOV64_X, 2, 10, 0, 0);
  i(ADD64_K, 2, 0, 0, -4);
  i(LD_IMM64, 1, PSEUDO_MAP_FD, 0, 0); // r1 = &map (native patches the fd in)
  i(0, 0, 0, 0, 0);
  i(CALL, 0, 0, 0, HELPER_MAP_LOOKUP_ELEM);
  i(JEQ_K, 0, 0, 'pop', 0);
  i(MOV64_K, 1, 0, 0, 1);
  i(ATOMIC_ADD64, 0, 1, 0, 0); // lock *(u64 *)(r0 + 0) += r1
  i(MOV64_X, 1, 6, 0, 0, 'pop');
  i(MOV64_K, 2, 0, 0, OUTER);
  i(CALL, 0, 0, 0, HELPER_XDP_ADJUST_HEAD);
  i(MOV64_K, 0, 0, 0, XDP_PASS, 'pass');
  i(EXIT, 0, 0, 0, 0);

  const at = new Map<string, number>();
  p.forEach((x, n) => {
    if (x.label) at.set(x.label, n);
  });
  const out = new Uint8Array(p.length * 8);
  const dv = new DataView(out.buffer);
  p.forEach((x, n) => {
    const off = typeof x.off === 'number' ? x.off : at.get(x.off)! - n - 1;
    dv.setUint8(n * 8, x.code);
    dv.setUint8(n * 8 + 1, (x.src << 4) | x.dst);
    dv.setInt16(n * 8 + 2, off, true);
    dv.setInt32(n * 8 + 4, x.imm, true);
  });
  return out;
}

/**
 * Loads the decapsulation program for `addrs` and attaches it to `ifindex`, in the driver when the
 * device supports it, else in the generic hook. Throws with the kernel's reason when neither works.
 */
export function attachXdpDecap(ifindex: number, addrs: string[]): XdpDecap {
  const native = loadNative() as unknown as NativeXdpAddon;
  const { prog, map } = native.xdpLoad(decapProgram(addrs), 1);
  let link: number;
  let mode: XdpMode = 'native';
  try {
    try {
      link = native.xdpLink(prog, ifindex, false);
    } catch {
      mode = 'generic';
      link = native.xdpLink(prog, ifindex, true);
    }
  } catch (e) {
    native.bpfClose(prog);
    native.bpfClose(map);
    throw e;
  }
  native.bpfClose(prog);
  let open = true;
  return {
    mode,
    decapsulated: () => (open ? native.xdpCounters(map, 1)[0]! : 0),
    close() {
      if (!open) return;
      open = false;
      native.bpfClose(link);
      native.bpfClose(map);
    },
  };
}
