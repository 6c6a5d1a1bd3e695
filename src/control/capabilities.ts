/**
 * Capability check at start: the daemon needs CAP_NET_ADMIN (netfilter rules, addresses) and
 * CAP_NET_RAW (VRRP raw sockets, AF_PACKET) and nothing else. Read from /proc/self/status CapEff.
 */
import { readFileSync } from 'node:fs';

/** Bit numbers from linux/capability.h. */
export const CAP_NET_ADMIN = 12;
/** Bit numbers from linux/capability.h. */
export const CAP_NET_RAW = 13;

/** The effective capability set as a bigint mask (0n if unreadable). */
export function effectiveCaps(status?: string): bigint {
  try {
    const text = status ?? readFileSync('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)/m.exec(text);
    return m ? BigInt('0x' + m[1]) : 0n;
  } catch {
    return 0n;
  }
}

/** Names of the needed capabilities that are missing from `caps`. */
export function missingCaps(caps = effectiveCaps()): string[] {
  const out: string[] = [];
  if (!(caps & (1n << BigInt(CAP_NET_ADMIN)))) out.push('CAP_NET_ADMIN');
  if (!(caps & (1n << BigInt(CAP_NET_RAW)))) out.push('CAP_NET_RAW');
  return out;
}

/** One sentence for the user when capabilities are missing, or undefined. */
export function capabilityProblem(caps = effectiveCaps()): string | undefined {
  const m = missingCaps(caps);
  if (!m.length) return undefined;
  return `ulvs run needs CAP_NET_ADMIN and CAP_NET_RAW but lacks ${m.join(' and ')}: run it as root, or grant them (systemd AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW, or setcap cap_net_admin,cap_net_raw+ep on the node binary)`;
}
