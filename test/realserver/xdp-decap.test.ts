// The XDP IPIP decapsulation program (realserver/xdp-decap.ts): its address checks, and the kernel's
// verifier accepting it (root) for one and for many addresses. The packet path is proven in the lab
// (dataplane-modes-afpacket.test.ts: TUN with --decap xdp, counters from the program's map).
import t from 'tap';
import { decapProgram } from '../../src/realserver/xdp-decap.js';
import { loadNative } from '../../src/native/addon.js';
import type { NativeXdpAddon } from '../../src/native/types.js';

/** The immediates of the program's 32-bit JEQ instructions (the outer-destination checks). */
function jeq32Immediates(prog: Uint8Array): number[] {
  const dv = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const out: number[] = [];
  for (let i = 0; i < prog.length; i += 8) if (dv.getUint8(i) === 0x16) out.push(dv.getUint32(i + 4, true));
  return out;
}

t.test('one destination check per IPv4 address, in load order (little-endian)', async (t) => {
  const prog = decapProgram(['198.18.0.21', 'fd75:6c76::21', '10.0.0.1']);
  t.equal(prog.length % 8, 0, 'whole instructions');
  t.same(jeq32Immediates(prog), [0x150012c6, 0x0100000a]);
});

t.test('no IPv4 address is refused', async (t) => {
  t.throws(() => decapProgram(['fd75:6c76::21']), /at least one IPv4 address/);
});

t.test('the kernel verifier accepts the program', { skip: process.getuid?.() !== 0 && 'needs root (bpf)' }, async (t) => {
  const native = loadNative() as unknown as NativeXdpAddon;
  for (const n of [1, 64]) {
    const addrs = Array.from({ length: n }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const { prog, map } = native.xdpLoad(decapProgram(addrs), 1);
    t.ok(prog > 2 && map > 2, `${n} address(es): program and counter map loaded`);
    t.same(native.xdpCounters(map, 1), [0], 'counter starts at 0');
    native.bpfClose(prog);
    native.bpfClose(map);
  }
});

t.test('a program the verifier rejects is reported with its reason', { skip: process.getuid?.() !== 0 && 'needs root (bpf)' }, async (t) => {
  const native = loadNative() as unknown as NativeXdpAddon;
  // r0 = *(u32 *)(r2 + 0) with r2 uninitialised, then exit.
  const bad = new Uint8Array([0x61, 0x20, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
  t.throws(() => native.xdpLoad(bad, 0), /the kernel refused the XDP program .*verifier: .*R2/);
});
