/** Data-plane flags `ulvs run` and `ulvs director` share. */
import { UsageError } from './command.js';

/** --afxdp-coalesce-us N: an integer 0..100000 (µs), or undefined when not given; a usage error otherwise. */
export function coalesceOption(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n > 100000) throw new UsageError(`--afxdp-coalesce-us must be an integer from 0 to 100000 (µs), not '${v}'`);
  return n;
}
