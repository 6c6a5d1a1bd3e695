/**
 * A small eBPF assembler: instructions with symbolic jump targets in, `struct bpf_insn` bytes out
 * (8 bytes each, little-endian hosts: u8 code, u4 dst | u4 src << 4, s16 off, s32 imm). Used by the
 * XDP programs ulvs loads itself (io/xsk-program.ts), so no clang or libbpf is needed at run time.
 */

/** eBPF opcodes (linux/bpf.h) the ulvs programs use. */
export const Op = {
  LDX_W: 0x61,
  LDX_H: 0x69,
  LDX_B: 0x71,
  MOV64_X: 0xbf,
  MOV64_K: 0xb7,
  ADD64_K: 0x07,
  ADD64_X: 0x0f,
  AND64_K: 0x57,
  LSH64_K: 0x67,
  JA: 0x05,
  JGT_X: 0x2d,
  JEQ32_K: 0x16,
  JNE32_K: 0x56,
  JLT32_K: 0xa6,
  JGE32_K: 0x36,
  CALL: 0x85,
  EXIT: 0x95,
  LD_IMM64: 0x18,
} as const;

/** src_reg of an ld_imm64 whose imm is a map fd (BPF_PSEUDO_MAP_FD): the loader patches the fd in. */
export const PSEUDO_MAP_FD = 1;

/** One instruction; `off` may name a label (a jump target), resolved by assemble(). */
export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number | string;
  imm: number;
  label?: string;
}

/** Collects instructions; labels mark the next instruction added. */
export class Program {
  private readonly insns: Insn[] = [];
  private pending: string[] = [];
  private readonly at = new Map<string, number>();

  /** Adds one instruction. */
  i(code: number, dst: number, src: number, off: number | string, imm: number): this {
    this.insns.push({ code, dst, src, off, imm });
    for (const l of this.pending) this.at.set(l, this.insns.length - 1);
    this.pending = [];
    return this;
  }

  /** Names the next instruction `name` (a label defined twice is an error). */
  label(name: string): this {
    if (this.at.has(name) || this.pending.includes(name)) throw new Error(`eBPF label ${name} defined twice`);
    this.pending.push(name);
    return this;
  }

  /**
   * The instructions as struct bpf_insn bytes, every label resolved to a relative jump. Instructions
   * no path reaches are left out (the verifier refuses unreachable code), so a generator may emit a
   * block whether or not anything jumps to it.
   */
  assemble(): Uint8Array {
    if (this.pending.length) throw new Error(`eBPF labels ${this.pending.join(', ')} mark no instruction`);
    const target = (n: number): number => {
      const off = this.insns[n]!.off;
      if (typeof off === 'number') return n + 1 + off;
      const t = this.at.get(off);
      if (t === undefined) throw new Error(`eBPF label ${off} missing`);
      return t;
    };
    const keep = new Uint8Array(this.insns.length);
    const todo = [0];
    while (todo.length) {
      const n = todo.pop()!;
      if (n >= this.insns.length || keep[n]) continue;
      keep[n] = 1;
      const { code } = this.insns[n]!;
      const cls = code & 0x07;
      if (code === Op.LD_IMM64) {
        keep[n + 1] = 1;
        todo.push(n + 2);
      } else if (code === Op.EXIT) {
        // ends this path
      } else if (code === Op.JA) {
        todo.push(target(n));
      } else if ((cls === 0x05 || cls === 0x06) && code !== Op.CALL) {
        todo.push(n + 1, target(n));
      } else {
        todo.push(n + 1);
      }
    }
    // New index of every kept instruction; a dropped one maps to the next kept one.
    const at = new Int32Array(this.insns.length + 1);
    let m = 0;
    for (let n = 0; n < this.insns.length; n++) {
      at[n] = m;
      if (keep[n]) m++;
    }
    at[this.insns.length] = m;
    const out = new Uint8Array(m * 8);
    const dv = new DataView(out.buffer);
    this.insns.forEach((x, n) => {
      if (!keep[n]) return;
      const k = at[n]!;
      let off = x.off as number;
      const cls = x.code & 0x07;
      const isJump = x.code !== Op.CALL && x.code !== Op.EXIT && (cls === 0x05 || cls === 0x06);
      if (isJump) {
        off = at[target(n)]! - k - 1;
        if (off < -32768 || off > 32767) throw new Error('eBPF jump out of range (program too large)');
      }
      dv.setUint8(k * 8, x.code);
      dv.setUint8(k * 8 + 1, (x.src << 4) | x.dst);
      dv.setInt16(k * 8 + 2, off, true);
      dv.setInt32(k * 8 + 4, x.imm | 0, true);
    });
    return out;
  }
}
