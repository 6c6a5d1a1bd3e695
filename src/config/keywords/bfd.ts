/**
 * Keyword table of `bfd_instance NAME { ... }` (keepalived/bfd/bfd_parser.c), keywords verbatim with
 * keepalived's ranges: times in milliseconds with up to 3 decimals, as keepalived reads them.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { defineTable, equivalent } from './table.js';

/** A millisecond value (keepalived's read_decimal_unsigned_strvec with 3 decimals) of at least `min` ms. */
function msAtLeast(min: number): (node: ConfNode, sink: DiagnosticSink) => number | undefined {
  return (node, sink) => {
    const w = node.args[0] ?? '';
    const v = /^\d+(\.\d{1,3})?$/.test(w) ? Number(w) : NaN;
    if (!(v >= min) || v > 4294967) {
      sink.error(
        node,
        'bad-value',
        `'${node.keyword}' needs milliseconds ≥ ${min} (got '${w}'); keepalived ignores it and keeps the default — write e.g. '${node.keyword} ${Math.max(min, 10)}'.`,
      );
      return undefined;
    }
    if (v > 10000) sink.warn(node, 'bad-value', `'${node.keyword} ${w}' is more than 10 s; keepalived warns the same — is it meant in milliseconds?`);
    return v;
  };
}

/** bfd_instance NAME { neighbor_ip; source_ip; min_rx; min_tx; idle_tx; multiplier; passive; ttl; max_hops; multihop; weight }. */
export const bfdInstanceTable = defineTable('bfd_instance', {
  neighbor_ip: { field: 'neighborIp', kind: 'ip' },
  neighbour_ip: { field: 'neighborIp', kind: 'ip' },
  source_ip: { field: 'sourceIp', kind: 'ip' },
  min_rx: { field: 'minRxMs', kind: 'custom', parse: msAtLeast(1), default: '10' },
  min_tx: { field: 'minTxMs', kind: 'custom', parse: msAtLeast(1), default: '10' },
  idle_tx: { field: 'idleTxMs', kind: 'custom', parse: msAtLeast(1000), default: '1000' },
  multiplier: { field: 'multiplier', kind: 'uint', min: 1, max: 255, default: '5' },
  passive: { field: 'passive', kind: 'flag' },
  ttl: { field: 'ttl', kind: 'uint', min: 1, max: 255 },
  hoplimit: { field: 'ttl', kind: 'uint', min: 1, max: 255 },
  max_hops: { field: 'maxHops', kind: 'int', min: -1, max: 255, default: '0' },
  multihop: { field: 'multihop', kind: 'bool', bare: true },
  weight: { field: 'weight', kind: 'int', min: -253, max: 253, default: '0' },
  vrrp: equivalent('ulvs gives every BFD session to both track_bfd and BFD_CHECK'),
  checker: equivalent('ulvs gives every BFD session to both track_bfd and BFD_CHECK'),
});
