/**
 * The metric names existing dashboards read, beside ulvs' own: node_exporter's IPVS collector
 * (`node_ipvs_*`, what it reads from /proc/net/ip_vs and ip_vs_stats on a kernel-IPVS director) and the
 * keepalived exporters' VRRP families (`keepalived_*`, mehdy/keepalived-exporter and its forks, read
 * from keepalived's stats/data dumps). Same names, types, labels and value conventions, so a Grafana
 * dashboard built for IPVS + keepalived works against ulvs' /metrics unchanged.
 */
import type { MetricsSource, VrrpSample } from './source.js';

type Labels = Record<string, string | number>;
type Reader = (src: MetricsSource) => Array<[Labels, number]>;
/** Registers one family (the registry's counter or gauge helper). */
type Define = (name: string, help: string, labelNames: string[], read: Reader) => void;

/** keepalived's state numbers (vrrp.h VRRP_STATE_*), the value of keepalived_vrrp_state. */
const KEEPALIVED_STATE: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3 };

/** keepalived's per-instance error counters and the ulvs advert drop reasons each one counts. */
const KEEPALIVED_ERRORS: Array<[name: string, help: string, reasons: string[]]> = [
  ['keepalived_ip_ttl_errors_total', 'Adverts received with a TTL other than 255.', ['ttl']],
  ['keepalived_packet_length_errors_total', 'Adverts received with a bad length.', ['short', 'ip-header']],
  ['keepalived_invalid_type_received_total', 'Adverts received with an invalid type.', ['type']],
  ['keepalived_address_list_errors_total', 'Adverts whose address list does not match.', ['addr-list']],
  ['keepalived_advertisements_interval_errors_total', 'Adverts with an advert interval other than ours.', ['interval']],
  ['keepalived_authentication_failure_total', 'Adverts failing authentication.', ['auth']],
  ['keepalived_authentication_mismatch_total', 'Adverts with another authentication type.', ['auth-type']],
];

const BACKEND_LABELS = ['local_address', 'local_port', 'remote_address', 'remote_port', 'proto', 'local_mark'];
const VRRP_LABELS = ['iname', 'intf', 'vrid'];

/** The keepalived exporters' labels of an instance. */
function vrrpLabels(v: VrrpSample): Labels {
  return { iname: v.instance, intf: v.interface ?? '', vrid: v.vrid };
}

/** Registers node_exporter's `node_ipvs_*` and the keepalived exporters' `keepalived_*` families. */
export function defineExporterFamilies(counter: Define, gauge: Define): void {
  const total =
    (pick: (s: { conns: number; inPkts: number; outPkts: number; inBytes: number; outBytes: number }) => number): Reader =>
    (src) => [[{}, src.services().reduce((n, x) => n + pick(x.stats), 0)]];
  counter(
    'node_ipvs_connections_total',
    'The total number of connections made.',
    [],
    total((s) => s.conns),
  );
  counter(
    'node_ipvs_incoming_packets_total',
    'The total number of incoming packets.',
    [],
    total((s) => s.inPkts),
  );
  counter(
    'node_ipvs_outgoing_packets_total',
    'The total number of outgoing packets.',
    [],
    total((s) => s.outPkts),
  );
  counter(
    'node_ipvs_incoming_bytes_total',
    'The total amount of incoming data.',
    [],
    total((s) => s.inBytes),
  );
  counter(
    'node_ipvs_outgoing_bytes_total',
    'The total amount of outgoing data.',
    [],
    total((s) => s.outBytes),
  );
  const backends =
    (value: (d: { weight: number; activeConns: number; inactiveConns: number }) => number): Reader =>
    (src) =>
      src.services().flatMap((x) => {
        const vip = x.vip;
        if (vip === undefined) return [];
        return x.dests.map((d): [Labels, number] => [
          {
            local_address: vip.address,
            local_port: String(vip.port),
            remote_address: d.address ?? '',
            remote_port: String(d.port ?? 0),
            proto: vip.proto,
            local_mark: vip.mark === 0 ? '' : String(vip.mark),
          },
          value(d),
        ]);
      });
  gauge(
    'node_ipvs_backend_connections_active',
    'The current active connections by local and remote address.',
    BACKEND_LABELS,
    backends((d) => d.activeConns),
  );
  gauge(
    'node_ipvs_backend_connections_inactive',
    'The current inactive connections by local and remote address.',
    BACKEND_LABELS,
    backends((d) => d.inactiveConns),
  );
  gauge(
    'node_ipvs_backend_weight',
    'The current backend weight by local and remote address.',
    BACKEND_LABELS,
    backends((d) => d.weight),
  );

  gauge('keepalived_up', 'Status: 1 while the VRRP side runs.', [], () => [[{}, 1]]);
  gauge('keepalived_vrrp_state', 'State of the VRRP instance (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT, as keepalived numbers them).', VRRP_LABELS, (src) =>
    src.vrrp().map((v) => [vrrpLabels(v), KEEPALIVED_STATE[v.state] ?? 0]),
  );
  const perInstance =
    (pick: (v: VrrpSample) => number): Reader =>
    (src) =>
      src.vrrp().map((v) => [vrrpLabels(v), pick(v)]);
  counter(
    'keepalived_advertisements_received_total',
    'Adverts received.',
    VRRP_LABELS,
    perInstance((v) => v.advertsReceived),
  );
  counter(
    'keepalived_advertisements_sent_total',
    'Adverts sent.',
    VRRP_LABELS,
    perInstance((v) => v.advertsSent),
  );
  counter(
    'keepalived_become_master_total',
    'Transitions to MASTER.',
    VRRP_LABELS,
    perInstance((v) => v.becomeMaster ?? 0),
  );
  counter(
    'keepalived_release_master_total',
    'Transitions away from MASTER.',
    VRRP_LABELS,
    perInstance((v) => v.releaseMaster ?? 0),
  );
  counter(
    'keepalived_priority_zero_received_total',
    'Priority-0 adverts received.',
    VRRP_LABELS,
    perInstance((v) => v.priorityZeroReceived ?? 0),
  );
  counter(
    'keepalived_priority_zero_sent_total',
    'Priority-0 adverts sent.',
    VRRP_LABELS,
    perInstance((v) => v.priorityZeroSent ?? 0),
  );
  for (const [name, help, reasons] of KEEPALIVED_ERRORS) {
    counter(
      name,
      help,
      VRRP_LABELS,
      perInstance((v) => reasons.reduce((n, r) => n + (v.advertsDropped[r] ?? 0), 0)),
    );
  }
}
