/**
 * The AF_XDP backend in the pool: which (interface, queue) sockets each worker opens, and the one rule
 * for falling back. When the host cannot run AF_XDP (io XskUnavailableError: no AF_XDP in the kernel,
 * no XDP on the device, no CAP_BPF, a locked-memory limit too small for the UMEM) the pool says so in
 * one sentence and runs afpacket; any other AF_XDP error (no such interface, too many queues for the
 * workers, a program the verifier refuses) fails the start, so a mistake is never hidden by a fallback.
 */
import { type AfxdpSpec, XskUnavailableError } from '../io/types.js';
import type { XskRedirect } from '../io/xsk-redirect.js';

/**
 * The default of --afxdp-coalesce-us (µs). Moderation is adaptive: it starts only after a wakeup that took 32
 * frames or more (native/afxdp.cc), so lone frames, request/response exchanges and streams of some
 * thousand packets/s wait for nothing; dense traffic waits up to this long for a fuller batch, for
 * 8-14 % less CPU per packet (bench/live.md "Issue 21: AF_XDP moderation sweep"). 0 turns it off.
 */
export const AFXDP_COALESCE_US_DEFAULT = 250;

/** Worker `i`'s AF_XDP spec: every interface of `redirect`, with the receive queues q where q % workers === i. */
export function afxdpWorkerSpec(redirect: XskRedirect | undefined, workers: number, i: number, coalesceUs = AFXDP_COALESCE_US_DEFAULT): AfxdpSpec {
  const interfaces = (redirect?.interfaces ?? []).map((x) => ({
    ifname: x.ifname,
    ifindex: x.ifindex,
    mapFd: x.mapFd,
    queues: Array.from({ length: x.queues }, (_, q) => q).filter((q) => q % workers === i),
  }));
  return { kind: 'afxdp', interfaces, ...(coalesceUs ? { coalesceUs } : {}) };
}

/** The sentence the pool logs when it falls back. */
export function fallbackSentence(e: Error): string {
  return `AF_XDP is unavailable here (${e.message}): using the afpacket backend`;
}

/**
 * Runs `start(afxdp)`; when that fails because AF_XDP is unavailable, logs `fallbackSentence` through
 * `say` and returns `start(afpacket)`. Other errors propagate.
 */
export async function startAfxdpOrFallback<T>(start: (backend: 'afxdp' | 'afpacket') => Promise<T>, say: (sentence: string) => void): Promise<T> {
  try {
    return await start('afxdp');
  } catch (e) {
    if (!(e instanceof XskUnavailableError)) throw e;
    say(fallbackSentence(e));
    return start('afpacket');
  }
}
