// The iptables/ip6tables rules of a director plan: NFQUEUE steering and NOTRACK, or AF_PACKET's raw-table DROPs.
import { planFamilies, type DirectorNetPlan, type Selector } from './director-plan.js';

/** iptables comment and chain name of every rule ulvs adds. */
export const ULVS_TAG = 'ulvs';
/** The chain (in raw and mangle, each family) that holds them, jumped to from PREROUTING. */
export const CHAIN = 'ULVS';
function match(s: Selector, dir: 'dst' | 'src'): string[] {
  const out = [dir === 'dst' ? '-d' : '-s', s.address];
  if (s.protocol) {
    out.push('-p', s.protocol);
    if (s.port) out.push(dir === 'dst' ? '--dport' : '--sport', String(s.port));
  }
  return out;
}

/** The ICMP error types IPVS relates to connections (ip_vs_in_icmp: unreachable, source quench, time exceeded; ip_vs_in_icmp_v6: every ICMPv6 error). */
const ICMP_ERRORS = {
  4: ['destination-unreachable', 'source-quench', 'time-exceeded'],
  6: ['destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem'],
} as const;

function icmpMatch(f: 4 | 6, type: string): string[] {
  return f === 4 ? ['-p', 'icmp', '-m', 'icmp', '--icmp-type', type] : ['-p', 'ipv6-icmp', '-m', 'icmp6', '--icmpv6-type', type];
}

// Service traffic (to a VIP, of a fwmark, replies of NAT real servers) has no --queue-bypass: while no
// worker has the queue bound (the daemon crashed and its VIP is still here, a worker restarts) the kernel
// drops the packet, as IPVS never hands an established connection's packet to the local stack. With the
// bypass the local stack answered each one with a reset (no listener on the VIP), so a crashed MASTER
// reset every connection the BACKUP had synced before it could take over; a drop is retransmitted and
// reaches the new MASTER. ICMP errors to local addresses keep the bypass: the host's own sockets need them.
function queueTarget(p: DirectorNetPlan, bypass = false): string[] {
  const q = p.workers > 1 ? ['--queue-balance', `${p.queueBase}:${p.queueBase + p.workers - 1}`] : ['--queue-num', String(p.queueBase)];
  return ['-j', 'NFQUEUE', ...q, ...(bypass ? ['--queue-bypass'] : [])];
}

/** The iptables/ip6tables rules of a plan, as [family, table, argv-after-table] (for tests and --dry-run). */
export function iptablesRules(p: DirectorNetPlan): Array<[4 | 6, 'raw' | 'mangle', string[]]> {
  const out: Array<[4 | 6, 'raw' | 'mangle', string[]]> = [];
  const tag = ['-m', 'comment', '--comment', ULVS_TAG];
  if (p.backend === 'nfqueue') {
    for (const s of p.services) out.push([s.family, 'raw', ['-A', CHAIN, ...match(s, 'dst'), ...tag, '-j', 'CT', '--notrack']]);
    for (const s of p.natReplies) out.push([s.family, 'raw', ['-A', CHAIN, ...match(s, 'src'), ...tag, '-j', 'CT', '--notrack']]);
    for (const s of p.services) out.push([s.family, 'mangle', ['-A', CHAIN, ...match(s, 'dst'), ...tag, ...queueTarget(p)]]);
    for (const m of p.fwmarks) out.push([m.family, 'mangle', ['-A', CHAIN, '-m', 'mark', '--mark', String(m.mark), ...tag, ...queueTarget(p)]]);
    for (const s of p.natReplies) out.push([s.family, 'mangle', ['-A', CHAIN, ...match(s, 'src'), ...tag, ...queueTarget(p)]]);
    // ICMP errors about our connections (ip_vs_in_icmp / ip_vs_out_icmp): those sent to a local address
    // (a VIP: about a reply we sent to a client; ours: about a packet we tunnelled) and those a NAT real
    // server sends about a packet we forwarded to it. Errors that turn out not to be ours go back unchanged.
    const fams = planFamilies(p);
    const natSrc = new Map<string, 4 | 6>();
    for (const s of p.natReplies) natSrc.set(s.address, s.family);
    for (const f of fams) {
      for (const ty of ICMP_ERRORS[f])
        out.push([f, 'mangle', ['-A', CHAIN, ...icmpMatch(f, ty), '-m', 'addrtype', '--dst-type', 'LOCAL', ...tag, ...queueTarget(p, true)]]);
    }
    for (const [a, f] of natSrc)
      for (const ty of ICMP_ERRORS[f]) out.push([f, 'mangle', ['-A', CHAIN, '-s', a, ...icmpMatch(f, ty), ...tag, ...queueTarget(p)]]);
  } else if (p.backend === 'afpacket') {
    for (const s of p.services) out.push([s.family, 'raw', ['-A', CHAIN, ...match(s, 'dst'), ...tag, '-j', 'DROP']]);
    for (const s of p.natReplies)
      out.push([s.family, 'raw', ['-A', CHAIN, ...match(s, 'src'), '-m', 'addrtype', '!', '--dst-type', 'LOCAL', ...tag, '-j', 'DROP']]);
  }
  return out;
}
