/**
 * Keyword tables of the LVS blocks: virtual_server (ip port / fwmark / group forms) and real_server,
 * keepalived keywords verbatim (keepalived/check/check_parser.c) with its ranges. virtual_server_group
 * is a value block and is read by build-ipvs.ts.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import type { ForwardMethod, TunnelCsum, TunnelType } from '../../ipvs/types.js';
import { SCHEDULER_NAMES } from '../../ipvs/schedulers.js';
import { checkerTables, eventCheckerTables, ignoredCheckers } from './checkers.js';
import { defineKeywords, defineTable, ignored, refused, type KeywordSpec } from './table.js';

/** A parsed lvs_method / lb_kind. */
export interface ForwardingValue {
  forward: ForwardMethod;
  tunType?: TunnelType;
  /** GUE destination port (`port N`). */
  tunPort?: number;
  /** Tunnel checksum option (`nocsum|csum|remcsum`). */
  tunCsum?: TunnelCsum;
}

/** `lvs_method NAT|DR|TUN [type ipip|gue|gre] [port N] [nocsum|csum|remcsum]` -> dr/nat/tun. */
export function parseForwarding(node: ConfNode, sink: DiagnosticSink): ForwardingValue | undefined {
  const map: Record<string, ForwardMethod> = { NAT: 'nat', DR: 'dr', TUN: 'tun' };
  const word = node.args[0];
  if (word === undefined) {
    sink.error(node, 'missing-value', `'${node.keyword}' needs a value: NAT, DR or TUN.`);
    return undefined;
  }
  const forward = map[word];
  if (!forward) {
    const hint = map[word.toUpperCase()] ? ` (keepalived is case-sensitive here: write '${word.toUpperCase()}')` : '';
    sink.error(node, 'bad-value', `'${node.keyword}' value '${word}' is not NAT, DR or TUN${hint}; the setting is ignored.`);
    return undefined;
  }
  const out: ForwardingValue = { forward };
  const rest = node.args.slice(1);
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (forward !== 'tun') {
      sink.error(node, 'bad-value', `'${w}' only applies to TUN forwarding; remove it.`);
      return out;
    }
    if (w === 'type') {
      const t = rest[++i];
      if (t !== 'ipip' && t !== 'gue' && t !== 'gre') {
        sink.error(node, 'bad-value', `tunnel type '${t ?? ''}' is not ipip, gue or gre.`);
        return out;
      }
      out.tunType = t;
    } else if (w === 'port') {
      const p = Number(rest[++i]);
      if (!Number.isInteger(p) || p < 1 || p > 65535) {
        sink.error(node, 'bad-value', `tunnel port '${rest[i] ?? ''}' is not a port number 1-65535.`);
        return out;
      }
      out.tunPort = p;
    } else if (w === 'nocsum' || w === 'csum' || w === 'remcsum') {
      out.tunCsum = w;
    } else {
      sink.error(node, 'bad-value', `tunnel option '${w}' is not type, port, nocsum, csum or remcsum.`);
    }
  }
  return out;
}

/** `sorry_server IP [PORT]`. */
function sorryServer(node: ConfNode, sink: DiagnosticSink): string[] | undefined {
  if (node.args.length < 1 || node.args.length > 2) {
    sink.error(node, 'missing-value', "'sorry_server' needs an address and optionally a port: sorry_server 192.0.2.10 80.");
    return undefined;
  }
  return [...node.args];
}

/** One checker block keyword (TCP_CHECK, HTTP_GET, ...): every checker lands in the 'checkers' list. */
type CheckerKeyword = KeywordSpec & { field: 'checkers'; kind: 'block'; multiple: true };

const checkerKeywords = Object.fromEntries(
  Object.entries({ ...checkerTables, ...eventCheckerTables }).map(([kw, table]): [string, CheckerKeyword] => [
    kw,
    { field: 'checkers', kind: 'block', block: table, multiple: true },
  ]),
) as Record<keyof typeof checkerTables | keyof typeof eventCheckerTables, CheckerKeyword>;

const timing = defineKeywords({
  delay_loop: { field: 'delayLoopMs', kind: 'timerMs', min: 0.001, default: '60' },
  connect_timeout: { field: 'connectTimeoutMs', kind: 'timerMs', min: 0.001, default: '5' },
  retry: { field: 'retry', kind: 'uint', min: 1, default: '1' },
  delay_before_retry: { field: 'delayBeforeRetryMs', kind: 'timerMs', min: 0 },
  warmup: { field: 'warmupMs', kind: 'timerMs', min: 0 },
  alpha: { field: 'alpha', kind: 'flag' },
  inhibit_on_failure: { field: 'inhibitOnFailure', kind: 'flag' },
  virtualhost: { field: 'virtualhost', kind: 'string' },
  smtp_alert: { field: 'smtpAlert', kind: 'flag' },
  snmp_name: ignored('SNMP is not implemented'),
});

/** real_server IP [PORT] { ... } (weight default 1). */
export const realServerTable = defineTable('real_server', {
  ...timing,
  weight: { field: 'weight', kind: 'uint', min: 0, max: 2147483647, default: '1' },
  lvs_method: { field: 'forwarding', kind: 'custom', parse: parseForwarding },
  lb_kind: refused("real_server takes only the new name — write 'lvs_method'"),
  uthreshold: { field: 'upperThreshold', kind: 'uint', min: 0, max: 4294967295 },
  lthreshold: { field: 'lowerThreshold', kind: 'uint', min: 0, max: 4294967295 },
  notify_up: { field: 'notifyUp', kind: 'script' },
  notify_down: { field: 'notifyDown', kind: 'script' },
  ...checkerKeywords,
  ...ignoredCheckers,
});

/** virtual_server IP PORT | fwmark N | group NAME { ... } (scheduler wlc, NAT, TCP, quorum 1 by default). */
export const virtualServerTable = defineTable('virtual_server', {
  ...timing,
  ip_family: { field: 'ipFamily', kind: 'enum', values: ['inet', 'inet6'] },
  lvs_sched: { field: 'scheduler', kind: 'enum', values: SCHEDULER_NAMES, default: 'wlc' },
  lb_algo: { field: 'scheduler', kind: 'enum', values: SCHEDULER_NAMES, preferred: 'lvs_sched', default: 'wlc' },
  lvs_method: { field: 'forwarding', kind: 'custom', parse: parseForwarding },
  lb_kind: { field: 'forwarding', kind: 'custom', parse: parseForwarding, preferred: 'lvs_method' },
  hashed: ignored('obsolete flag'),
  ops: { field: 'onePacket', kind: 'flag' },
  'flag-1': { field: 'flag1', kind: 'flag' },
  'flag-2': { field: 'flag2', kind: 'flag' },
  'flag-3': { field: 'flag3', kind: 'flag' },
  'sh-port': { field: 'shPort', kind: 'flag' },
  'sh-fallback': { field: 'shFallback', kind: 'flag' },
  'mh-port': { field: 'mhPort', kind: 'flag' },
  'mh-fallback': { field: 'mhFallback', kind: 'flag' },
  persistence_timeout: { field: 'persistenceTimeoutS', kind: 'uint', min: 1, max: 2678400, bare: 360 },
  persistence_granularity: { field: 'persistenceGranularity', kind: 'string' },
  persistence_engine: { field: 'persistenceEngine', kind: 'string' },
  protocol: { field: 'protocol', kind: 'enum', values: ['TCP', 'UDP', 'SCTP'], caseInsensitive: true },
  ha_suspend: { field: 'haSuspend', kind: 'flag' },
  omega: { field: 'omega', kind: 'flag' },
  quorum: { field: 'quorum', kind: 'uint', min: 1, max: 4294967295, default: '1' },
  hysteresis: { field: 'hysteresis', kind: 'uint', min: 0, max: 4294967295, default: '0' },
  quorum_up: { field: 'quorumUp', kind: 'script' },
  quorum_down: { field: 'quorumDown', kind: 'script' },
  weight: { field: 'weight', kind: 'uint', min: 1, max: 2147483647, default: '1' },
  sorry_server: { field: 'sorryServer', kind: 'custom', parse: sorryServer },
  sorry_server_inhibit: { field: 'sorryServerInhibit', kind: 'flag' },
  sorry_server_lvs_method: { field: 'sorryServerForwarding', kind: 'custom', parse: parseForwarding },
  real_server: { field: 'realServers', kind: 'block', block: realServerTable, multiple: true },
  nat_mask: refused('it is obsolete — remove it'),
  lvs_sync_daemon: refused('it is a global_defs keyword — move it to global_defs'),
});
