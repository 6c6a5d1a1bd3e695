/**
 * Keyword table of the ulvs-only `ulvs_bgp { ... }` block (keepalived has no BGP; keepalived 2.2.7
 * skips the block as unknown): the BGP side of N active directors behind a router's ECMP.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { canonicalIp } from '../values.js';
import { defineTable } from './table.js';

/** One `vip ADDRESS` line: the address (canonical) and where it was written. */
export interface BgpVipLine {
  address: string;
  file: string;
  line: number;
}

function vipLine(node: ConfNode, sink: DiagnosticSink): BgpVipLine | undefined {
  const ip = node.args.length === 1 ? canonicalIp(node.args[0]!.replace(/\/(32|128)$/, '')) : undefined;
  if (!ip) {
    sink.error(
      node,
      'bad-value',
      `'vip' takes one IPv4 or IPv6 address (a host route is announced), not '${node.args.join(' ')}'; write e.g. 'vip 192.0.2.10'.`,
    );
    return undefined;
  }
  return { address: ip.address, file: node.file, line: node.line };
}

/** neighbor ADDRESS { remote_as; hold_time; keepalive; connect_retry; source_ip; bfd_instance }. */
export const bgpNeighborTable = defineTable('neighbor', {
  remote_as: { field: 'remoteAs', kind: 'uint', min: 1, max: 4294967295 },
  hold_time: { field: 'holdTimeS', kind: 'uint', min: 0, max: 65535, default: '9' },
  keepalive: { field: 'keepaliveS', kind: 'uint', min: 0, max: 65535, default: 'hold_time / 3' },
  connect_retry: { field: 'connectRetryS', kind: 'uint', min: 1, max: 65535, default: '2' },
  source_ip: { field: 'sourceIp', kind: 'ip' },
  bfd_instance: { field: 'bfdInstance', kind: 'string' },
});

/** ulvs_bgp { local_as; router_id; hold_time; keepalive; neighbor ADDR { }; vip ADDR; drain_wait; bgpd_path }. */
export const bgpTable = defineTable('ulvs_bgp', {
  local_as: { field: 'localAs', kind: 'uint', min: 1, max: 4294967295 },
  router_id: { field: 'routerId', kind: 'ip' },
  hold_time: { field: 'holdTimeS', kind: 'uint', min: 0, max: 65535, default: '9' },
  keepalive: { field: 'keepaliveS', kind: 'uint', min: 0, max: 65535, default: 'hold_time / 3' },
  connect_retry: { field: 'connectRetryS', kind: 'uint', min: 1, max: 65535, default: '2' },
  neighbor: { field: 'neighbors', kind: 'block', block: bgpNeighborTable, multiple: true },
  vip: { field: 'vips', kind: 'custom', parse: vipLine, multiple: true },
  drain_wait: { field: 'drainWaitS', kind: 'uint', min: 0, max: 3600, default: '5' },
  bgpd_path: { field: 'bgpdPath', kind: 'string', default: '/usr/lib/frr/bgpd' },
});
