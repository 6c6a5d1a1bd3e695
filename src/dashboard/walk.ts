/**
 * The packet walk: an explanation turned into the hops a packet and its answer travel in its LVS mode —
 * client -> director -> real server, then real server -> client (DR, TUN: straight back from the VIP the
 * real server holds) or real server -> director -> client (NAT) — with each hop's header fields and the
 * ones the director changed marked. A NAT answer on its own (a sampled or replayed packet of the out direction)
 * walks real server -> director -> client.
 */
import type { Explanation } from '../dataplane/explain.js';

/**
 * One header field on one hop; `changed` = the director rewrote (or added) it on this hop; `kernel` = not the
 * director but the kernel sets it at egress (NFQUEUE DR: layer "egress (kernel)").
 */
export interface WalkField {
  layer: string;
  name: string;
  value: string;
  changed: boolean;
  kernel?: boolean;
}

/** One hop of the walk. */
export interface WalkHop {
  from: string;
  to: string;
  /** What happens on this hop, in a sentence. */
  note: string;
  fields: WalkField[];
}

/** The walk of one packet and its answer. */
export interface PacketWalk {
  mode: 'dr' | 'nat' | 'tun' | 'local' | null;
  flow: string;
  verdict: string;
  hops: WalkHop[];
  steps: string[];
}

function beforeOf(e: Explanation): WalkField[] {
  return e.rewrite.filter((f) => f.before !== null).map((f) => ({ layer: f.layer, name: f.name, value: f.before!, changed: false }));
}

function afterOf(e: Explanation): WalkField[] {
  return e.rewrite.filter((f) => f.after !== null).map((f) => ({ layer: f.layer, name: f.name, value: f.after!, changed: f.changed }));
}

/**
 * NFQUEUE DR: what the kernel does with the unchanged packet at egress — the mark, the policy route it selects,
 * the MACs it writes and the TTL its forwarding takes off — as fields of their own, never as a rewrite.
 */
function kernelEgress(e: Explanation): WalkField[] {
  const k = e.egress?.kernel;
  if (!k) return [];
  const ttl = e.rewrite.find((f) => f.layer === 'ip' && (f.name === 'ttl' || f.name === 'hop_limit'));
  const row = (name: string, value: string): WalkField => ({ layer: 'egress (kernel)', name, value, changed: false, kernel: true });
  return [
    row('mark', `0x${k.mark.toString(16)}`),
    row('rule', `fwmark 0x${k.mark.toString(16)} lookup ${k.table}`),
    row('route', k.route),
    row('eth.dst', k.dstMac ?? `${k.nextHop}'s MAC (no neighbour entry yet: the kernel asks with ARP/ND)`),
    row('eth.src', k.srcMac ?? `${k.iface}'s MAC`),
    ...(ttl?.before ? [row(`ip.${ttl.name}`, `${Number(ttl.before) - 1} (ip_forward)`)] : []),
  ];
}

/** The answer a DR/TUN real server sends the client itself: from the VIP:port it was asked on, to the client. */
function directAnswer(e: Explanation): WalkField[] {
  const get = (layer: string, name: string): string => e.rewrite.find((f) => f.layer === layer && f.name === name)?.before ?? '';
  const l4 = e.rewrite.find((f) => f.name === 'sport')?.layer ?? 'tcp';
  return [
    { layer: 'eth', name: 'src', value: "the real server's MAC", changed: false },
    { layer: 'eth', name: 'dst', value: 'its next hop towards the client', changed: false },
    { layer: 'ip', name: 'src', value: get('ip', 'dst'), changed: false },
    { layer: 'ip', name: 'dst', value: get('ip', 'src'), changed: false },
    { layer: l4, name: 'sport', value: get(l4, 'dport'), changed: false },
    { layer: l4, name: 'dport', value: get(l4, 'sport'), changed: false },
  ];
}

/** The hops of `e` (and `e.reply` for NAT). */
export function packetWalk(e: Explanation): PacketWalk {
  const mode = e.method;
  const rs = e.connection.after ? `real server ${e.connection.after.dest}:${e.connection.after.destPort}` : 'real server';
  if (e.direction === 'reply') {
    // A NAT real server's answer (a sampled or replayed packet of the out direction): it starts at the real server.
    const hops: WalkHop[] = [{ from: rs, to: 'director', note: "a NAT real server's answer, back through the director (its gateway)", fields: beforeOf(e) }];
    if (e.verdict === 'drop') hops.push({ from: 'director', to: '(dropped)', note: `dropped: ${e.reason?.name ?? 'no reason'}`, fields: [] });
    else hops.push({ from: 'director', to: 'client', note: 'NAT: the source becomes VIP:port again, checksums follow', fields: afterOf(e) });
    return { mode, flow: e.flow, verdict: e.verdict, hops, steps: e.steps };
  }
  const hops: WalkHop[] = [{ from: 'client', to: 'director', note: 'the packet as the client sends it', fields: beforeOf(e) }];
  if (e.verdict === 'drop') {
    hops.push({
      from: 'director',
      to: '(dropped)',
      note: `dropped: ${e.reason?.name ?? 'no reason'}${e.reason ? ` (${e.reason.description})` : ''}`,
      fields: [],
    });
  } else if (mode === null) {
    hops.push({
      from: 'director',
      to: 'the kernel',
      note: e.service ? 'not forwarded' : 'no virtual service matches: the director leaves it to the kernel',
      fields: afterOf(e),
    });
  } else {
    const how =
      mode === 'dr' && e.egress?.kernel
        ? 'DR on NFQUEUE: the director accepts the packet unchanged with a mark; the kernel routes the mark to the real server and writes the MACs (egress (kernel))'
        : mode === 'dr' && e.verdict === 'accept' && e.egress?.mark
          ? `DR on NFQUEUE: the director accepts the packet unchanged with mark 0x${e.egress.mark.toString(16)}; the kernel's policy route for the mark takes it to the real server`
          : mode === 'dr'
            ? 'DR: only the MACs change, to reach the real server on the LAN; the IP packet is untouched'
            : mode === 'tun'
              ? 'TUN: an outer IPv4/IPv6 header to the real server is added; the inner packet is untouched'
              : mode === 'nat'
                ? 'NAT: destination address and port become the real server, checksums follow'
                : 'local: delivered on the director itself';
    hops.push({ from: 'director', to: rs, note: how, fields: [...afterOf(e), ...kernelEgress(e)] });
    if (mode === 'nat' && e.reply) {
      hops.push({ from: rs, to: 'director', note: 'the answer goes back through the director (its gateway)', fields: beforeOf(e.reply) });
      hops.push({ from: 'director', to: 'client', note: 'NAT: the source becomes VIP:port again, checksums follow', fields: afterOf(e.reply) });
    } else if (mode === 'dr' || mode === 'tun') {
      hops.push({
        from: rs,
        to: 'client',
        note: `the real server answers the client itself from the VIP (${mode === 'dr' ? 'the VIP on lo' : 'after decapsulation'}); the director never sees the answer`,
        fields: directAnswer(e),
      });
    }
  }
  return { mode, flow: e.flow, verdict: e.verdict, hops, steps: e.steps };
}
