/**
 * The top-level keyword table and global_defs (keepalived/core/global_parser.c), keywords verbatim.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { parseInteger } from '../values.js';
import { defineTable, ignoredAll, ignoredBlock, refused } from './table.js';
import { vrrpInstanceTable, vrrpScriptTable, vrrpSyncGroupTable } from './vrrp.js';
import { virtualServerTable } from './virtual-server.js';
import { trackFileTable, trackProcessTable } from './trackers.js';
import { bfdInstanceTable } from './bfd.js';
import { bgpTable } from './bgp.js';

/** `lvs_timeouts [tcp N] [tcpfin N] [udp N]`. */
function lvsTimeouts(node: ConfNode, sink: DiagnosticSink): { tcpS?: number; tcpFinS?: number; udpS?: number } | undefined {
  const out: { tcpS?: number; tcpFinS?: number; udpS?: number } = {};
  const keys: Record<string, 'tcpS' | 'tcpFinS' | 'udpS'> = { tcp: 'tcpS', tcpfin: 'tcpFinS', udp: 'udpS' };
  for (let i = 0; i < node.args.length; i += 2) {
    const k = keys[node.args[i]!];
    const v = parseInteger(node.args[i + 1]);
    if (!k || v === undefined || v > 86400 * 31) {
      sink.error(
        node,
        'bad-value',
        `lvs_timeouts takes pairs of tcp|tcpfin|udp and seconds (0..2678400); '${node.args.slice(i, i + 2).join(' ')}' is not one.`,
      );
      return undefined;
    }
    out[k] = v;
  }
  return out;
}

/** A keyword ulvs accepts without an effect: a default-level warning naming it and its line. */
function noEffect(why: string): (node: ConfNode, sink: DiagnosticSink) => undefined {
  return (node, sink) => {
    sink.warn(node, 'no-effect', `'${node.keyword}' is accepted but has no effect in ulvs (${why}).`);
    return undefined;
  };
}

/** global_defs { ... }. */
export const globalDefsTable = defineTable('global_defs', {
  router_id: { field: 'routerId', kind: 'string' },
  lvs_id: refused("it is an old name that keepalived 2 dropped — write 'router_id'"),
  script_user: { field: 'scriptUser', kind: 'words' },
  enable_script_security: { field: 'enableScriptSecurity', kind: 'flag' },
  vrrp_version: { field: 'vrrpVersion', kind: 'uint', min: 2, max: 3 },
  vrrp_strict: { field: 'vrrpStrict', kind: 'flag' },
  vrrp_mcast_group4: { field: 'vrrpMcastGroup4', kind: 'ip' },
  vrrp_mcast_group6: { field: 'vrrpMcastGroup6', kind: 'ip' },
  vrrp_garp_master_delay: { field: 'garpMasterDelayMs', kind: 'timerMs', min: 0 },
  vrrp_garp_master_repeat: { field: 'garpMasterRepeat', kind: 'uint', min: 1, max: 255 },
  vrrp_garp_master_refresh: { field: 'garpMasterRefreshMs', kind: 'timerMs', min: 0 },
  vrrp_garp_master_refresh_repeat: { field: 'garpMasterRefreshRepeat', kind: 'uint', min: 1, max: 255 },
  vrrp_garp_lower_prio_delay: { field: 'garpLowerPrioDelayMs', kind: 'timerMs', min: 0 },
  vrrp_garp_lower_prio_repeat: { field: 'garpLowerPrioRepeat', kind: 'uint', min: 1, max: 255 },
  vrrp_garp_interval: { field: 'garpIntervalMs', kind: 'timerMs', min: 0, max: 1 },
  vrrp_gna_interval: { field: 'gnaIntervalMs', kind: 'timerMs', min: 0, max: 1 },
  vrrp_check_unicast_src: { field: 'checkUnicastSrc', kind: 'flag' },
  vrrp_lower_prio_no_advert: { field: 'lowerPrioNoAdvert', kind: 'flag' },
  vrrp_higher_prio_send_advert: { field: 'higherPrioSendAdvert', kind: 'flag' },
  lvs_timeouts: { field: 'lvsTimeouts', kind: 'custom', parse: lvsTimeouts },
  notify_fifo: { field: 'notifyFifo', kind: 'words' },
  notify_fifo_script: { field: 'notifyFifoScript', kind: 'script' },
  vrrp_notify_fifo: { field: 'vrrpNotifyFifo', kind: 'words' },
  vrrp_notify_fifo_script: { field: 'vrrpNotifyFifoScript', kind: 'script' },
  lvs_notify_fifo: { field: 'lvsNotifyFifo', kind: 'words' },
  lvs_notify_fifo_script: { field: 'lvsNotifyFifoScript', kind: 'script' },
  vrrp_down_timer_adverts: { field: 'downTimerAdverts', kind: 'uint', min: 1, max: 100 },
  fifo_write_vrrp_states_on_reload: { field: 'fifoWriteStatesOnReload', kind: 'flag' },
  config_save_dir: {
    field: 'configSaveDir',
    kind: 'custom',
    parse: noEffect('keepalived saves a copy of the config there for its reload checks; ulvs validates the new file before applying it instead'),
  },
  lvs_sync_daemon: { field: 'lvsSyncDaemon', kind: 'words' },
  notification_email: { field: 'notificationEmail', kind: 'lines' },
  notification_email_from: { field: 'notificationEmailFrom', kind: 'string' },
  smtp_server: { field: 'smtpServer', kind: 'words' },
  smtp_helo_name: { field: 'smtpHeloName', kind: 'string' },
  smtp_connect_timeout: { field: 'smtpConnectTimeoutS', kind: 'uint', min: 0, default: '30' },
  smtp_alert: { field: 'smtpAlert', kind: 'flag' },
  smtp_alert_vrrp: { field: 'smtpAlertVrrp', kind: 'flag' },
  smtp_alert_checker: { field: 'smtpAlertChecker', kind: 'flag' },
  no_email_faults: { field: 'noEmailFaults', kind: 'flag' },
  no_checker_emails: { field: 'noCheckerEmails', kind: 'flag' },
  ...ignoredAll(
    [
      'enable_snmp_vrrp',
      'enable_snmp_keepalived',
      'enable_snmp_checker',
      'enable_snmp_rfc',
      'enable_snmp_rfcv2',
      'enable_snmp_rfcv3',
      'snmp_socket',
      'enable_traps',
    ],
    'SNMP is not implemented; use the Prometheus metrics',
  ),
  ...ignoredAll(['enable_dbus', 'dbus_service_name'], 'D-Bus is not implemented'),
  ...ignoredAll([
    'process_names',
    'process_name',
    'vrrp_process_name',
    'checker_process_name',
    'lvs_process_name',
    'bfd_process_name',
    'startup_script',
    'startup_script_timeout',
    'shutdown_script',
    'shutdown_script_timeout',
    'max_auto_priority',
    'min_auto_priority_delay',
    'checker_log_all_failures',
    'dynamic_interfaces',
    'default_interface',
    'disable_local_igmp',
    'lvs_flush',
    'lvs_flush_on_stop',
    'lvs_flush_onstop',
    'vrrp_min_garp',
    'vrrp_garp_extra_if',
    'vrrp_vmac_garp_intvl',
    'vrrp_iptables',
    'vrrp_ipsets',
    'nftables',
    'nftables_priority',
    'nftables_ifindex',
    'nftables_ipvs',
    'nftables_ipvs_priority',
    'nftables_ipvs_start_fwmark',
    'nftables_counters',
    'vrrp_skip_check_adv_addr',
    'vrrp_priority',
    'vrrp_no_swap',
    'vrrp_rt_priority',
    'vrrp_cpu_affinity',
    'vrrp_rlimit_rttime',
    'vrrp_rlimit_rtime',
    'vrrp_notify_priority_changes',
    'checker_priority',
    'checker_no_swap',
    'checker_rt_priority',
    'checker_cpu_affinity',
    'checker_rlimit_rttime',
    'checker_rlimit_rtime',
    'bfd_priority',
    'bfd_no_swap',
    'bfd_rt_priority',
    'bfd_cpu_affinity',
    'bfd_rlimit_rttime',
    'bfd_rlimit_rtime',
    'vrrp_netlink_cmd_rcv_bufs',
    'vrrp_netlink_cmd_rcv_bufs_force',
    'vrrp_netlink_monitor_rcv_bufs',
    'vrrp_netlink_monitor_rcv_bufs_force',
    'process_monitor_rcv_bufs',
    'process_monitor_rcv_bufs_force',
    'lvs_netlink_cmd_rcv_bufs',
    'lvs_netlink_cmd_rcv_bufs_force',
    'lvs_netlink_monitor_rcv_bufs',
    'lvs_netlink_monitor_rcv_bufs_force',
    'rs_init_notifies',
    'vrrp_rx_bufs_policy',
    'vrrp_rx_bufs_multiplier',
    'vrrp_startup_delay',
    'log_unknown_vrids',
    'vmac_prefix',
    'vmac_addr_prefix',
    'umask',
    'random_seed',
    'reload_check_config',
    'reload_time_file',
    'reload_repeat',
    'reload_file',
    'include_check',
    'tmp_config_directory',
    'data_use_instance',
  ]),
  linkbeat_use_polling: refused('it belongs at the top level or in a vrrp_instance, not in global_defs — move it'),
  script_timeout: refused("it is not a global_defs keyword — set 'timeout' in each vrrp_script"),
});

/** Top level: the blocks keepalived.conf is made of. */
export const rootTable = defineTable('the top level', {
  global_defs: { field: 'globalDefs', kind: 'block', block: globalDefsTable, multiple: true },
  vrrp_script: { field: 'vrrpScripts', kind: 'block', block: vrrpScriptTable, multiple: true },
  vrrp_sync_group: { field: 'vrrpSyncGroups', kind: 'block', block: vrrpSyncGroupTable, multiple: true },
  vrrp_instance: { field: 'vrrpInstances', kind: 'block', block: vrrpInstanceTable, multiple: true },
  virtual_server_group: { field: 'virtualServerGroups', kind: 'lines', multiple: true },
  virtual_server: { field: 'virtualServers', kind: 'block', block: virtualServerTable, multiple: true },
  SSL: ignoredBlock('SSL_GET runs without a client certificate'),
  static_ipaddress: { field: 'staticIpaddress', kind: 'lines' },
  static_routes: { field: 'staticRoutes', kind: 'lines' },
  static_rules: { field: 'staticRules', kind: 'lines' },
  track_file: { field: 'trackFiles', kind: 'block', block: trackFileTable, multiple: true },
  vrrp_track_file: { field: 'trackFiles', kind: 'block', block: trackFileTable, multiple: true },
  vrrp_track_process: { field: 'trackProcesses', kind: 'block', block: trackProcessTable, multiple: true },
  bfd_instance: { field: 'bfdInstances', kind: 'block', block: bfdInstanceTable, multiple: true },
  ulvs_bgp: { field: 'ulvsBgp', kind: 'block', block: bgpTable, multiple: true },
  ...ignoredAll(['linkbeat_interfaces', 'interface_up_down_delays', 'track_group', 'garp_group'], undefined, true),
  net_namespace: { field: 'netNamespace', kind: 'string' },
  ...ignoredAll(['net_namespace_ipvs', 'namespace_with_ipsets', 'use_pid_dir', 'instance', 'child_wait_time', 'linkbeat_use_polling']),
});
