/**
 * Keyword tables of the VRRP blocks: vrrp_instance (with authentication), vrrp_script and
 * vrrp_sync_group, keepalived keywords verbatim (keepalived/vrrp/vrrp_parser.c) with its ranges.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { parseInteger } from '../values.js';
import { defineKeywords, defineTable, ignored, ignoredAll, refused } from './table.js';

/** `weight W [reverse]` of vrrp_script (range -253..253). */
function scriptWeight(node: ConfNode, sink: DiagnosticSink): { weight: number; reverse: boolean } | undefined {
  const w = parseInteger(node.args[0], true);
  if (w === undefined || w < -253 || w > 253) {
    sink.error(
      node,
      node.args[0] === undefined ? 'missing-value' : 'bad-value',
      `'weight' in vrrp_script needs an integer in -253..253 (got '${node.args[0] ?? ''}'); keepalived rejects it too — write e.g. 'weight -20'.`,
    );
    return undefined;
  }
  const rest = node.args.slice(1);
  if (rest.length > 1 || (rest[0] !== undefined && rest[0] !== 'reverse')) {
    sink.error(node, 'bad-value', `'weight' takes a number and optionally 'reverse'; '${rest.join(' ')}' is not understood.`);
  }
  return { weight: w, reverse: rest[0] === 'reverse' };
}

/** `use_vmac [NAME]`: true or the macvlan name. */
function useVmac(node: ConfNode): boolean | string {
  return node.args[0] ?? true;
}

/** authentication { auth_type; auth_pass } of a vrrp_instance. */
export const authenticationTable = defineTable('authentication', {
  auth_type: { field: 'type', kind: 'enum', values: ['PASS', 'AH'] },
  auth_pass: { field: 'password', kind: 'string' },
});

const notifyKeywords = defineKeywords({
  notify_master: { field: 'notifyMaster', kind: 'script' },
  notify_backup: { field: 'notifyBackup', kind: 'script' },
  notify_fault: { field: 'notifyFault', kind: 'script' },
  notify_stop: { field: 'notifyStop', kind: 'script' },
  notify: { field: 'notify', kind: 'script' },
});

/** vrrp_instance NAME { ... }. */
export const vrrpInstanceTable = defineTable('vrrp_instance', {
  state: { field: 'initialState', kind: 'enum', values: ['MASTER', 'BACKUP'] },
  interface: { field: 'interface', kind: 'string' },
  virtual_router_id: { field: 'vrid', kind: 'uint', min: 1, max: 255 },
  priority: { field: 'priority', kind: 'uint', min: 1, max: 255, default: '100' },
  advert_int: { field: 'advertIntMs', kind: 'timerMs', min: 0.01, max: 255, default: '1' },
  version: { field: 'version', kind: 'uint', min: 2, max: 3, default: '2' },
  nopreempt: { field: 'nopreempt', kind: 'flag' },
  preempt: { field: 'preempt', kind: 'flag' },
  preempt_delay: { field: 'preemptDelayMs', kind: 'timerMs', min: 0, max: 1000 },
  down_timer_adverts: { field: 'downTimerAdverts', kind: 'uint', min: 1, max: 100, default: '3' },
  mcast_src_ip: { field: 'srcIp', kind: 'ip' },
  unicast_src_ip: { field: 'srcIp', kind: 'ip' },
  mcast_dst_ip: { field: 'mcastGroup', kind: 'ip' },
  unicast_peer: { field: 'unicastPeers', kind: 'lines' },
  unicast_ttl: { field: 'unicastTtl', kind: 'uint', min: 1, max: 255, default: '255' },
  check_unicast_src: { field: 'checkUnicastSrc', kind: 'flag' },
  unicast_fault_no_peer: { field: 'unicastFaultNoPeer', kind: 'flag' },
  authentication: { field: 'authentication', kind: 'block', block: authenticationTable },
  virtual_ipaddress: { field: 'vips', kind: 'lines' },
  virtual_ipaddress_excluded: { field: 'excludedVips', kind: 'lines' },
  no_virtual_ipaddress: refused('it comes from a later keepalived release — give the instance a virtual_ipaddress block'),
  track_interface: { field: 'trackInterfaces', kind: 'lines' },
  track_script: { field: 'trackScripts', kind: 'lines' },
  dont_track_primary: { field: 'dontTrackPrimary', kind: 'flag' },
  ...notifyKeywords,
  notify_deleted: { field: 'notifyDeleted', kind: 'script' },
  notify_master_rx_lower_pri: { field: 'notifyMasterRxLowerPri', kind: 'script' },
  garp_master_delay: { field: 'garpMasterDelayMs', kind: 'timerMs', min: 0, default: '5' },
  garp_master_repeat: { field: 'garpMasterRepeat', kind: 'uint', min: 1, max: 255, default: '5' },
  garp_master_refresh: { field: 'garpMasterRefreshMs', kind: 'timerMs', min: 0 },
  garp_master_refresh_repeat: { field: 'garpMasterRefreshRepeat', kind: 'uint', min: 1, max: 255 },
  garp_lower_prio_delay: { field: 'garpLowerPrioDelayMs', kind: 'timerMs', min: 0 },
  garp_lower_prio_repeat: { field: 'garpLowerPrioRepeat', kind: 'uint', min: 1, max: 255 },
  use_vmac: { field: 'useVmac', kind: 'custom', parse: useVmac },
  vmac_xmit_base: { field: 'vmacXmitBase', kind: 'flag' },
  accept: { field: 'accept', kind: 'flag' },
  no_accept: { field: 'noAccept', kind: 'flag' },
  strict_mode: { field: 'strict', kind: 'flag' },
  lower_prio_no_advert: { field: 'lowerPrioNoAdvert', kind: 'flag' },
  higher_prio_send_advert: { field: 'higherPrioSendAdvert', kind: 'flag' },
  smtp_alert: { field: 'smtpAlert', kind: 'flag' },
  track_file: { field: 'trackFiles', kind: 'lines' },
  track_process: { field: 'trackProcesses', kind: 'lines' },
  track_bfd: { field: 'trackBfds', kind: 'lines' },
  virtual_routes: { field: 'virtualRoutes', kind: 'lines' },
  virtual_rules: { field: 'virtualRules', kind: 'lines' },
  lvs_sync_daemon_interface: ignored("deprecated; use global_defs 'lvs_sync_daemon IFACE INSTANCE'"),
  auth_hmac: refused('HMAC authentication comes from a later keepalived release — use authentication { auth_type PASS|AH }'),
  v3_checksum_as_v2: refused('it comes from a later keepalived release — remove it'),
  timer_expired_backup: refused('it comes from a later keepalived release — remove it'),
  ...ignoredAll([
    'use_vmac_addr',
    'use_ipvlan',
    'native_ipv6',
    'vrf',
    'track_src_ip',
    'promote_secondaries',
    'linkbeat_use_polling',
    'skip_check_adv_addr',
    'debug',
    'notify_priority_changes',
    'garp_extra_if',
    'vmac_garp_intvl',
    'kernel_rx_buf_size',
    'old_unicast_checksum',
  ]),
});

/** vrrp_script NAME { ... } (defaults: interval 1 s, timeout = interval, weight 0, rise 1, fall 1). */
export const vrrpScriptTable = defineTable('vrrp_script', {
  script: { field: 'script', kind: 'script' },
  interval: { field: 'intervalMs', kind: 'timerMs', min: 0.001, default: '1' },
  timeout: { field: 'timeoutMs', kind: 'timerMs', min: 0.001 },
  weight: { field: 'weight', kind: 'custom', parse: scriptWeight },
  rise: { field: 'rise', kind: 'uint', min: 1, default: '1' },
  fall: { field: 'fall', kind: 'uint', min: 1, default: '1' },
  user: { field: 'user', kind: 'words' },
  init_fail: { field: 'initFail', kind: 'flag' },
});

/** vrrp_sync_group NAME { group { ... } ... }. */
export const vrrpSyncGroupTable = defineTable('vrrp_sync_group', {
  group: { field: 'group', kind: 'lines' },
  track_interface: { field: 'trackInterfaces', kind: 'lines' },
  track_script: { field: 'trackScripts', kind: 'lines' },
  ...notifyKeywords,
  track_file: { field: 'trackFiles', kind: 'lines' },
  track_process: { field: 'trackProcesses', kind: 'lines' },
  track_bfd: { field: 'trackBfds', kind: 'lines' },
  smtp_alert: { field: 'smtpAlert', kind: 'flag' },
  ...ignoredAll(['global_tracking', 'sync_group_tracking_weight', 'notify_priority_changes']),
});
