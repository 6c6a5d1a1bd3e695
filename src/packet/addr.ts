/**
 * MAC text <-> bytes for configuration-time code (snapshot compile, replay, tests). The IP text <-> words
 * helpers moved to src/core/addr.ts and are re-exported here (shim, to remove). Not for the hot path.
 */
export { parseIpWords, ipWords, formatIpWords } from '../core/addr.js';

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; undefined when invalid. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Formats 6 bytes at `off` as "aa:bb:cc:dd:ee:ff". */
export function formatMac(buf: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(buf[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
}
