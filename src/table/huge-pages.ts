/**
 * Transparent huge pages for the connection table's big buffers (records and bucket heads): asks the
 * kernel once, at creation, to back their 2 MiB-aligned parts with huge pages (madvise MADV_HUGEPAGE,
 * through the addon). A lookup over a large table then costs its cache misses without a TLB miss and
 * a page walk each. Best effort: without the addon, THP, or permission, the table works as before.
 */
import { loadNative } from '../native/addon.js';

type Advise = (view: Uint8Array) => number;

/** Advises huge pages for each buffer of at least 4 MiB; returns the bytes advised (0 when unavailable). */
export function adviseHugePages(buffers: readonly SharedArrayBuffer[]): number {
  let advise: Advise | undefined;
  try {
    advise = loadNative().adviseHugePages as Advise | undefined;
  } catch {
    return 0;
  }
  if (typeof advise !== 'function') return 0;
  let bytes = 0;
  for (const b of buffers) if (b.byteLength >= 4 << 20) bytes += advise(new Uint8Array(b));
  return bytes;
}
