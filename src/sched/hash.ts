/**
 * The small hashes the IPVS schedulers use on addresses (include/linux/hash.h and the schedulers'
 * own hashkey functions). All inputs and outputs are u32 in host order.
 */

/** GOLDEN_RATIO_32 of include/linux/hash.h. */
export const GOLDEN_RATIO_32 = 0x61c88647;

/** hash_32(val, bits) = (val * GOLDEN_RATIO_32 mod 2^32) >> (32 - bits), as in include/linux/hash.h. */
export function hash32(val: number, bits: number): number {
  return Math.imul(val >>> 0, GOLDEN_RATIO_32) >>> (32 - bits);
}

/** The older schedulers' multiplicative hash: (val * 2654435761) mod 2^32, before masking. */
export function legacyMulHash(val: number): number {
  return Math.imul(val >>> 0, 2654435761 | 0) >>> 0;
}

/**
 * The address fold every IPVS hash scheduler uses: IPv4 = the address, IPv6 = XOR of the four
 * 32-bit words (the kernel XORs network-order words and then applies ntohl, which is the same as
 * XOR-ing the host-order words).
 */
export function foldAddr(family: 4 | 6, words: Uint32Array): number {
  if (family === 6) return (words[0]! ^ words[1]! ^ words[2]! ^ words[3]!) >>> 0;
  return words[0]! >>> 0;
}
