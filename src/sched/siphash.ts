/**
 * SipHash on 64-bit lanes kept as pairs of u32 (no BigInt, no allocation on the hot path).
 * `hsiphashU32` is the Linux kernel's hsiphash() of one u32 on 64-bit kernels: SipHash-1-3 with
 * 64-bit words truncated to 32 bits (lib/siphash.c, __hsiphash_aligned + HPOSTAMBLE), which is what
 * ip_vs_mh.c feeds with `v = offset + port + addr` (4 bytes, little-endian in memory).
 * `siphash` is the generic SipHash-c-d used to check the core against the reference vectors.
 */

// State v0..v3 as (hi, lo) u32 pairs, module-local so rounds do not allocate.
let v0h = 0,
  v0l = 0,
  v1h = 0,
  v1l = 0,
  v2h = 0,
  v2l = 0,
  v3h = 0,
  v3l = 0;

function sipRound(): void {
  let lo: number, t: number;
  // v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
  lo = (v0l + v1l) >>> 0;
  v0h = (v0h + v1h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  t = ((v1h << 13) | (v1l >>> 19)) >>> 0;
  v1l = ((v1l << 13) | (v1h >>> 19)) >>> 0;
  v1h = t;
  v1h = (v1h ^ v0h) >>> 0;
  v1l = (v1l ^ v0l) >>> 0;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rotl(v3, 16); v3 ^= v2
  lo = (v2l + v3l) >>> 0;
  v2h = (v2h + v3h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  t = ((v3h << 16) | (v3l >>> 16)) >>> 0;
  v3l = ((v3l << 16) | (v3h >>> 16)) >>> 0;
  v3h = t;
  v3h = (v3h ^ v2h) >>> 0;
  v3l = (v3l ^ v2l) >>> 0;
  // v0 += v3; v3 = rotl(v3, 21); v3 ^= v0
  lo = (v0l + v3l) >>> 0;
  v0h = (v0h + v3h + (lo < v0l ? 1 : 0)) >>> 0;
  v0l = lo;
  t = ((v3h << 21) | (v3l >>> 11)) >>> 0;
  v3l = ((v3l << 21) | (v3h >>> 11)) >>> 0;
  v3h = t;
  v3h = (v3h ^ v0h) >>> 0;
  v3l = (v3l ^ v0l) >>> 0;
  // v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
  lo = (v2l + v1l) >>> 0;
  v2h = (v2h + v1h + (lo < v2l ? 1 : 0)) >>> 0;
  v2l = lo;
  t = ((v1h << 17) | (v1l >>> 15)) >>> 0;
  v1l = ((v1l << 17) | (v1h >>> 15)) >>> 0;
  v1h = t;
  v1h = (v1h ^ v2h) >>> 0;
  v1l = (v1l ^ v2l) >>> 0;
  t = v2h;
  v2h = v2l;
  v2l = t;
}

function preamble(k0h: number, k0l: number, k1h: number, k1l: number): void {
  v0h = (0x736f6d65 ^ k0h) >>> 0;
  v0l = (0x70736575 ^ k0l) >>> 0;
  v1h = (0x646f7261 ^ k1h) >>> 0;
  v1l = (0x6e646f6d ^ k1l) >>> 0;
  v2h = (0x6c796765 ^ k0h) >>> 0;
  v2l = (0x6e657261 ^ k0l) >>> 0;
  v3h = (0x74656462 ^ k1h) >>> 0;
  v3l = (0x79746573 ^ k1l) >>> 0;
}

function compress(mh: number, ml: number, rounds: number): void {
  v3h = (v3h ^ mh) >>> 0;
  v3l = (v3l ^ ml) >>> 0;
  for (let r = 0; r < rounds; r++) sipRound();
  v0h = (v0h ^ mh) >>> 0;
  v0l = (v0l ^ ml) >>> 0;
}

function finalize(rounds: number): void {
  v2l = (v2l ^ 0xff) >>> 0;
  for (let r = 0; r < rounds; r++) sipRound();
}

/** A 128-bit SipHash key as two 64-bit words (k0, k1), each given as (hi, lo) u32. */
export interface SipKey {
  k0h: number;
  k0l: number;
  k1h: number;
  k1l: number;
}

/** Key of a 64-bit kernel hsiphash_key_t {unsigned long key[2]} whose words fit in 32 bits. */
export function kernelKey(key0: number, key1: number): SipKey {
  return { k0h: 0, k0l: key0 >>> 0, k1h: 0, k1l: key1 >>> 0 };
}

/**
 * The kernel's 64-bit hsiphash() of a single u32 value (SipHash-1-3, result truncated to the low
 * 32 bits): b = (4 << 56) | v, one compression round, three finalization rounds. Written with
 * local variables only (no shared state, no allocation): this is the per-packet hash of mh.
 */
export function hsiphashU32(v: number, key: SipKey): number {
  let a0h = (0x736f6d65 ^ key.k0h) >>> 0,
    a0l = (0x70736575 ^ key.k0l) >>> 0;
  let a1h = (0x646f7261 ^ key.k1h) >>> 0,
    a1l = (0x6e646f6d ^ key.k1l) >>> 0;
  let a2h = (0x6c796765 ^ key.k0h) >>> 0,
    a2l = (0x6e657261 ^ key.k0l) >>> 0;
  let a3h = (0x74656462 ^ key.k1h) >>> 0,
    a3l = (0x79746573 ^ key.k1l) >>> 0;
  const bh = 0x04000000; // len 4 << 56, high word
  const bl = v >>> 0;
  a3h = (a3h ^ bh) >>> 0;
  a3l = (a3l ^ bl) >>> 0;
  let lo: number, t: number;
  for (let r = 0; r < 4; r++) {
    if (r === 1) {
      a0h = (a0h ^ bh) >>> 0;
      a0l = (a0l ^ bl) >>> 0;
      a2l = (a2l ^ 0xff) >>> 0;
    }
    lo = (a0l + a1l) >>> 0;
    a0h = (a0h + a1h + (lo < a0l ? 1 : 0)) >>> 0;
    a0l = lo;
    t = ((a1h << 13) | (a1l >>> 19)) >>> 0;
    a1l = ((a1l << 13) | (a1h >>> 19)) >>> 0;
    a1h = t;
    a1h = (a1h ^ a0h) >>> 0;
    a1l = (a1l ^ a0l) >>> 0;
    t = a0h;
    a0h = a0l;
    a0l = t;
    lo = (a2l + a3l) >>> 0;
    a2h = (a2h + a3h + (lo < a2l ? 1 : 0)) >>> 0;
    a2l = lo;
    t = ((a3h << 16) | (a3l >>> 16)) >>> 0;
    a3l = ((a3l << 16) | (a3h >>> 16)) >>> 0;
    a3h = t;
    a3h = (a3h ^ a2h) >>> 0;
    a3l = (a3l ^ a2l) >>> 0;
    lo = (a0l + a3l) >>> 0;
    a0h = (a0h + a3h + (lo < a0l ? 1 : 0)) >>> 0;
    a0l = lo;
    t = ((a3h << 21) | (a3l >>> 11)) >>> 0;
    a3l = ((a3l << 21) | (a3h >>> 11)) >>> 0;
    a3h = t;
    a3h = (a3h ^ a0h) >>> 0;
    a3l = (a3l ^ a0l) >>> 0;
    lo = (a2l + a1l) >>> 0;
    a2h = (a2h + a1h + (lo < a2l ? 1 : 0)) >>> 0;
    a2l = lo;
    t = ((a1h << 17) | (a1l >>> 15)) >>> 0;
    a1l = ((a1l << 17) | (a1h >>> 15)) >>> 0;
    a1h = t;
    a1h = (a1h ^ a2h) >>> 0;
    a1l = (a1l ^ a2l) >>> 0;
    t = a2h;
    a2h = a2l;
    a2l = t;
  }
  // (v0 ^ v1) ^ (v2 ^ v3), truncated to u32: only the low words matter.
  return (a0l ^ a1l ^ a2l ^ a3l) >>> 0;
}

/**
 * Generic SipHash-c-d of a byte message; returns the 64-bit result as a BigInt (test and tool use
 * only, allocates). The key is 16 bytes, k0 = bytes 0..7 little-endian, k1 = bytes 8..15.
 */
export function siphash(key: Uint8Array, msg: Uint8Array, cRounds = 2, dRounds = 4): bigint {
  const dv = new DataView(key.buffer, key.byteOffset, 16);
  preamble(dv.getUint32(4, true), dv.getUint32(0, true), dv.getUint32(12, true), dv.getUint32(8, true));
  const len = msg.length;
  const full = len - (len % 8);
  const md = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  for (let i = 0; i < full; i += 8) compress(md.getUint32(i + 4, true), md.getUint32(i, true), cRounds);
  let bh = ((len & 0xff) << 24) >>> 0;
  let bl = 0;
  for (let i = full; i < len; i++) {
    const sh = (i - full) * 8;
    if (sh < 32) bl = (bl | (msg[i]! << sh)) >>> 0;
    else bh = (bh | (msg[i]! << (sh - 32))) >>> 0;
  }
  compress(bh, bl, cRounds);
  finalize(dRounds);
  const hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  const lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
