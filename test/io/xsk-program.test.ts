/**
 * The eBPF assembler (io/ebpf.ts) and the AF_XDP redirect program (io/xsk-program.ts): labels resolve
 * to relative jumps, code no path reaches is left out (the verifier refuses it), and the program
 * compares exactly the addresses and ports of its selectors, as a little-endian load sees them.
 */
import t from 'tap';
import { Op, Program } from '../../src/io/ebpf.js';
import { macBytes, xskProgram } from '../../src/io/xsk-program.js';

const insns = (b: Uint8Array): Array<{ code: number; dst: number; src: number; off: number; imm: number }> => {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 8 }, (_, n) => ({
    code: dv.getUint8(n * 8),
    dst: dv.getUint8(n * 8 + 1) & 15,
    src: dv.getUint8(n * 8 + 1) >> 4,
    off: dv.getInt16(n * 8 + 2, true),
    imm: dv.getInt32(n * 8 + 4, true),
  }));
};

t.test('assembler: labels, dead code, errors', async (t) => {
  const p = new Program();
  p.i(Op.JEQ32_K, 1, 0, 'out', 7);
  p.i(Op.JA, 0, 0, 'out', 0);
  p.i(Op.MOV64_K, 0, 0, 0, 99); // unreachable: after an unconditional jump, nothing targets it
  p.label('out');
  p.i(Op.MOV64_K, 0, 0, 0, 2);
  p.i(Op.EXIT, 0, 0, 0, 0);
  const out = insns(p.assemble());
  t.equal(out.length, 4, 'the unreachable instruction is left out');
  t.same(
    out.map((x) => [x.code, x.off, x.imm]),
    [
      [Op.JEQ32_K, 1, 7],
      [Op.JA, 0, 0],
      [Op.MOV64_K, 0, 2],
      [Op.EXIT, 0, 0],
    ],
    'jumps re-resolved after the removal',
  );
  const bad = new Program().i(Op.JA, 0, 0, 'nowhere', 0);
  t.throws(() => bad.assemble(), /label nowhere missing/);
  t.throws(() => new Program().label('a').label('a'), /defined twice/);
});

t.test('redirect program: what it compares', async (t) => {
  const prog = insns(
    xskProgram({
      services: [{ family: 4, address: '192.0.2.10', protocol: 'tcp', port: 80 }],
      natReplies: [{ family: 6, address: '2001:db8::21', protocol: 'udp', port: 53 }],
      local: ['10.0.0.1/24'],
    }),
  );
  const imms = new Set(prog.filter((x) => x.code === Op.JNE32_K || x.code === Op.JEQ32_K).map((x) => x.imm >>> 0));
  // 192.0.2.10 loaded little-endian: 0x0a0200c0; port 80 as a little-endian u16 load: 0x5000.
  t.ok(imms.has(0x0a0200c0), 'the VIP');
  t.ok(imms.has(0x5000), 'its port');
  t.ok(imms.has(0x2100 << 16), "the NAT real server's last word (::21)");
  t.ok(imms.has(0x3500), 'its source port 53');
  t.notOk(imms.has(0x0100000a), 'no IPv4 NAT real server: the local-address test is dead code and left out');
  const call = prog.findIndex((x) => x.code === Op.CALL);
  t.equal(prog[call]!.imm, 51, 'bpf_redirect_map');
  t.same([prog[call - 1]!.code, prog[call - 1]!.imm], [Op.MOV64_K, 2], 'XDP_PASS when the queue has no socket');
  const empty = insns(xskProgram({ services: [], natReplies: [], local: [] }));
  t.notOk(
    empty.some((x) => x.code === Op.CALL),
    'nothing to redirect: no redirect at all',
  );
});

t.test("redirect program: another host's MAC passes to the kernel", async (t) => {
  const spec = { services: [{ family: 4 as const, address: '192.0.2.10', protocol: 'tcp' as const, port: 80 }], natReplies: [], local: [] };
  const mac = macBytes('02:11:22:33:44:55');
  t.same(mac && [...mac], [2, 0x11, 0x22, 0x33, 0x44, 0x55], 'macBytes parses sysfs text');
  t.equal(macBytes('not a mac'), undefined);
  const imms = (b: Uint8Array) =>
    new Set(
      insns(b)
        .filter((x) => x.code === Op.JNE32_K || x.code === Op.JEQ32_K)
        .map((x) => x.imm >>> 0),
    );
  const withMac = imms(xskProgram(spec, mac));
  t.ok(withMac.has(0x33221102), "the MAC's first four bytes, as a little-endian load sees them");
  t.ok(withMac.has(0x5544), 'its last two');
  t.ok(withMac.has(0x005e0000), 'the VRRP virtual MAC prefix 00:00:5e:00');
  t.notOk(imms(xskProgram(spec)).has(0x33221102), 'no MAC given: no MAC test');
});
