// Userspace tunnel decapsulator (realserver/ipip-decap.ts), no privileges: the BPF filter admits IPIP and
// IPv6-in-IPv6 to the real server's addresses only (run through a small classic-BPF interpreter), and
// decapBatch turns each into the inner packet behind a zero Ethernet header, bound for lo.
import t from 'tap';
import { createBatch, LinkType, putFrame, frameOf, Verdict } from '../../src/core/batch.js';
import { decapBatch, tunnelFilter } from '../../src/realserver/ipip-decap.js';
import { v6Words } from '../../src/io/bpf.js';

/** Runs a sock_filter program (the ld/ldh/ldb abs, jeq, ret subset) over `pkt`; returns the accepted length. */
function runBpf(prog: Uint8Array, pkt: Uint8Array): number {
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  let a = 0;
  for (let pc = 0; pc < prog.length / 8; ) {
    const code = dv.getUint16(pc * 8, true),
      jt = dv.getUint8(pc * 8 + 2),
      jf = dv.getUint8(pc * 8 + 3),
      k = dv.getUint32(pc * 8 + 4, true);
    const need = (n: number): boolean => k + n <= pkt.length;
    if (code === 0x06) return k;
    if (code === 0x20) {
      if (!need(4)) return 0;
      a = new DataView(pkt.buffer, pkt.byteOffset).getUint32(k);
    } else if (code === 0x28) {
      if (!need(2)) return 0;
      a = (pkt[k]! << 8) | pkt[k + 1]!;
    } else if (code === 0x30) {
      if (!need(1)) return 0;
      a = pkt[k]!;
    } else if (code === 0x15) {
      pc += 1 + (a >>> 0 === k ? jt : jf);
      continue;
    } else throw new Error(`opcode ${code.toString(16)}`);
    pc++;
  }
  throw new Error('fell off the program');
}

const words = (a: string): number[] => v6Words(a).flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]);
const v4bytes = (a: string): number[] => a.split('.').map(Number);

function ipv6(src: string, dst: string, nxt: number, payload: number[]): number[] {
  return [0x60, 0, 0, 0, payload.length >> 8, payload.length & 255, nxt, 64, ...words(src), ...words(dst), ...payload];
}
function ipv4(src: string, dst: string, proto: number, payload: number[]): number[] {
  const len = 20 + payload.length;
  return [0x45, 0, len >> 8, len & 255, 0, 0, 0x40, 0, 64, proto, 0, 0, ...v4bytes(src), ...v4bytes(dst), ...payload];
}
const ether = (type: number, ip: number[], pad = 0): Uint8Array =>
  new Uint8Array([...Array(12).fill(0xaa), type >> 8, type & 255, ...ip, ...Array(pad).fill(0xee)]);

const RS4 = '198.18.0.21';
const RS6 = 'fd75:6c76::21';
const udp = [0x9c, 0x40, 0x14, 0xb4, 0, 9, 0, 0, 0x71];
const inner6 = ipv6('fd75:6c76:1::2', 'fd75:6c76::100', 17, udp);
const inner4 = ipv4('198.18.1.2', '198.18.0.100', 17, udp);

t.test('the filter admits tunnelled packets to our addresses only', async (t) => {
  const f = tunnelFilter([RS4, RS6, 'fd75:6c76::99']);
  t.ok(runBpf(f, ether(0x86dd, ipv6('fd75:6c76::11', RS6, 41, inner6))) > 0, 'IPv6-in-IPv6 to our IPv6 address');
  t.ok(runBpf(f, ether(0x86dd, ipv6('fd75:6c76::11', 'fd75:6c76::99', 41, inner6))) > 0, 'IPv6-in-IPv6 to our second IPv6 address');
  t.ok(runBpf(f, ether(0x0800, ipv4('198.18.0.11', RS4, 4, inner4))) > 0, 'IPIP to our IPv4 address');
  t.equal(runBpf(f, ether(0x86dd, ipv6('fd75:6c76::11', 'fd75:6c76::22', 41, inner6))), 0, 'IPv6-in-IPv6 to another host');
  t.equal(runBpf(f, ether(0x86dd, ipv6('fd75:6c76::11', RS6, 17, udp))), 0, 'plain UDP over IPv6 to us');
  t.equal(runBpf(f, ether(0x0800, ipv4('198.18.0.11', RS4, 17, udp))), 0, 'plain UDP over IPv4 to us');
  t.equal(runBpf(f, ether(0x0806, Array(28).fill(0))), 0, 'ARP');
  t.equal(runBpf(tunnelFilter([RS4]), ether(0x86dd, ipv6('fd75:6c76::11', RS6, 41, inner6))), 0, 'no IPv6 address: no IPv6 tunnel traffic');
});

t.test('decapBatch hands inner IPv6 and IPv4 packets to lo, drops the rest', async (t) => {
  const b = createBatch(LinkType.Ether, 4);
  putFrame(b, 0, ether(0x86dd, ipv6('fd75:6c76::11', RS6, 41, inner6), 6));
  putFrame(b, 1, ether(0x0800, ipv4('198.18.0.11', RS4, 4, inner4), 6));
  putFrame(b, 2, ether(0x86dd, ipv6('fd75:6c76::11', RS6, 17, udp)));
  putFrame(b, 3, ether(0x86dd, ipv6('fd75:6c76::11', RS6, 41, ipv4('198.18.1.2', '198.18.0.100', 17, udp).concat(Array(20).fill(0)))));
  b.count = 4;
  const c = { decapsulated: 0, ignored: 0 };
  decapBatch(b, 1, c);
  t.same(c, { decapsulated: 2, ignored: 2 });
  t.same(
    [...b.verdict.slice(0, 4)],
    [Verdict.Transmit, Verdict.Transmit, Verdict.Drop, Verdict.Drop],
    'plain UDP, and IPv4 inside IPv6 (a mixed-family tunnel, which ulvs TUN does not send), are dropped',
  );
  t.same([...frameOf(b, 0)], [...Array(12).fill(0), 0x86, 0xdd, ...inner6], 'inner IPv6 packet, outer payload length bounds it (padding gone)');
  t.same([...frameOf(b, 1)], [...Array(12).fill(0), 0x08, 0x00, ...inner4], 'inner IPv4 packet');
  t.equal(b.outIfindex[0], 1);
});
