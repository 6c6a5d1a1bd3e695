/**
 * Userspace IPIP decapsulator for real servers whose kernel has no ipip module (LVS TUN). It reuses
 * the AF_PACKET backend: a BPF-filtered ring on the real server's interface receives IPv4 protocol 4
 * frames for its addresses; each inner packet gets a zero Ethernet header in place (the outer IP header
 * is overwritten) and is transmitted on `lo`, which hands it to the local stack as if it had arrived —
 * where the VIP on lo accepts it. A raw-table DROP (comment `ulvs`) keeps the kernel from answering the
 * outer packets with ICMP protocol-unreachable. One batch per wakeup, no per-packet allocation.
 */
import { createBatch, LinkType, Verdict, type PacketBatch } from '../dataplane/batch.js';
import { AfpacketIo } from '../io/afpacket.js';
import { run } from '../util/exec.js';

const ETH = 14;
const IPPROTO_IPIP = 4;

/** A running decapsulator. */
export interface IpipDecap {
  /** Packets decapsulated and handed to the stack. */
  readonly counters: { decapsulated: number; ignored: number };
  /** Stops receiving and removes the DROP rule. */
  stop(): Promise<void>;
}

/** BPF: IPv4, protocol 4 (IPIP), destination in `addrs` (u32 words, host order). */
function ipipFilter(addrs: number[]): Uint8Array {
  const insns: Array<[number, number, number, number]> = [];
  insns.push([0x28, 0, 0, 12]);                       // ldh [12]
  insns.push([0x15, 0, 0, 0x0800]);                   // jeq IPv4 (jf patched to reject)
  insns.push([0x30, 0, 0, 23]);                       // ldb [23] protocol
  insns.push([0x15, 0, 0, IPPROTO_IPIP]);             // jeq 4 (jf patched)
  insns.push([0x20, 0, 0, 30]);                       // ld [30] destination
  for (const a of addrs) insns.push([0x15, 0, 0, a >>> 0]); // jeq addr -> accept (patched)
  insns.push([0x06, 0, 0, 0]);                        // reject
  insns.push([0x06, 0, 0, 0x40000]);                  // accept
  const reject = insns.length - 2;
  const accept = insns.length - 1;
  insns[1][3] = 0x0800; insns[1][2] = reject - 2;
  insns[3][2] = reject - 4;
  for (let k = 0; k < addrs.length; k++) insns[5 + k][1] = accept - (5 + k) - 1;
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    dv.setUint16(i * 8, code, true);
    dv.setUint8(i * 8 + 2, jt);
    dv.setUint8(i * 8 + 3, jf);
    dv.setUint32(i * 8 + 4, k, true);
  });
  return out;
}

function v4(a: string): number {
  const p = a.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

/** Decapsulates batch packets in place: verdict Transmit on lo for IPIP, Drop otherwise. */
export function decapBatch(b: PacketBatch, loIfindex: number, c: { decapsulated: number; ignored: number }): void {
  const buf = b.buf;
  for (let i = 0; i < b.count; i++) {
    const s = b.start[i];
    const len = b.length[i];
    b.verdict[i] = Verdict.Drop;
    if (len < ETH + 40 || buf[s + 12] !== 0x08 || buf[s + 13] !== 0x00 || buf[s + ETH + 9] !== IPPROTO_IPIP) { c.ignored++; continue; }
    const ihl = (buf[s + ETH] & 0x0f) * 4;
    const inner = s + ETH + ihl;
    if (ihl < 20 || inner + 20 > s + len || (buf[inner] >> 4) !== 4) { c.ignored++; continue; }
    // Outer total length bounds the inner packet (Ethernet padding excluded).
    const outerLen = (buf[s + ETH + 2] << 8) | buf[s + ETH + 3];
    const end = Math.min(s + len, s + ETH + outerLen);
    const ns = inner - ETH;
    buf.fill(0, ns, ns + 12);
    buf[ns + 12] = 0x08;
    buf[ns + 13] = 0x00;
    b.start[i] = ns;
    b.length[i] = end - ns;
    b.outIfindex[i] = loIfindex;
    b.verdict[i] = Verdict.Transmit;
    c.decapsulated++;
  }
}

/** Starts decapsulating IPIP packets sent to `localAddrs` that arrive on `iface`. */
export async function startIpipDecap(iface: string, localAddrs: string[]): Promise<IpipDecap> {
  const counters = { decapsulated: 0, ignored: 0 };
  const rule = (op: '-A' | '-D', a: string): string[] => ['iptables', '-w', '-t', 'raw', op, 'PREROUTING', '-i', iface, '-d', a, '-p', String(IPPROTO_IPIP), '-m', 'comment', '--comment', 'ulvs', '-j', 'DROP'];
  const batch = createBatch(LinkType.Ether, 64);
  const io = new AfpacketIo({ kind: 'afpacket', interfaces: [iface], fanoutGroups: [0], filter: ipipFilter(localAddrs.map(v4)), retireMs: 1 }, batch);
  io.start((b) => decapBatch(b, 1, counters));
  for (const a of localAddrs) {
    const r = await run(rule('-A', a));
    if (r.code !== 0) {
      io.close();
      throw new Error(`cannot add the iptables rule that keeps the kernel from rejecting IPIP: ${r.stderr.trim()}`);
    }
  }
  return {
    counters,
    async stop() {
      io.close();
      for (const a of localAddrs) await run(rule('-D', a));
    },
  };
}
