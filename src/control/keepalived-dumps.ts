/**
 * The files keepalived 2.2 writes when signalled, in its layouts, so tools that read them keep working:
 * keepalived.data (SIGUSR1, DATA), keepalived.stats (SIGUSR2, STATS) and keepalived.json (JSON, SIGRTMIN+2).
 * Pure: model + live views in, text out (samples of real keepalived's files:
 * /work/shared/reference/keepalived-dumps/; keepalived's vrrp/vrrp_print.c and vrrp/vrrp_json.c).
 */
import type { VrrpConfig, VrrpInstanceSpec, VipSpec } from '../vrrp/types.js';
import type { IpvsListing } from './types.js';
import type { VrrpInstanceView } from './ports.js';

/** What a dump reads: the loaded model's VRRP part, the instances as they run, the IPVS listing. */
export interface DumpInput {
  vrrp?: VrrpConfig;
  instances: VrrpInstanceView[];
  listing?: IpvsListing;
  /** Seconds since the epoch, for "Last transition" and the JSON's last_transition. */
  nowS: number;
}

/** keepalived's numeric VRRP states (vrrp.h VRRP_STATE_*). */
const STATE_NUM: Record<string, number> = { INIT: 0, BACKUP: 1, MASTER: 2, FAULT: 3, STOP: 98, DELETED: 99 };

function drops(v: VrrpInstanceView | undefined, ...reasons: string[]): number {
  return reasons.reduce((n, r) => n + (v?.advertsDropped[r] ?? 0), 0);
}

/** The counters keepalived's JSON and stats dumps share, from an instance's live view. */
function statsOf(v: VrrpInstanceView | undefined): Record<string, number> {
  return {
    advert_rcvd: v?.advertsReceived ?? 0,
    advert_sent: v?.advertsSent ?? 0,
    become_master: v?.becomeMaster ?? 0,
    release_master: v?.releaseMaster ?? 0,
    packet_len_err: drops(v, 'short', 'ip-header'),
    advert_interval_err: drops(v, 'interval'),
    ip_ttl_err: drops(v, 'ttl'),
    invalid_type_rcvd: drops(v, 'type'),
    addr_list_err: drops(v, 'addr-list'),
    invalid_authtype: 0,
    authtype_mismatch: drops(v, 'auth-type'),
    auth_failure: drops(v, 'auth'),
    pri_zero_rcvd: v?.priorityZeroReceived ?? 0,
    pri_zero_sent: v?.priorityZeroSent ?? 0,
  };
}

/** keepalived.stats: one block per VRRP instance (vrrp_print_stats). */
export function formatStats(inp: DumpInput): string {
  const out: string[] = [];
  for (const v of inp.instances) {
    const s = statsOf(v);
    out.push(
      `VRRP Instance: ${v.name}`,
      '  Advertisements:',
      `    Received: ${s.advert_rcvd}`,
      `    Sent: ${s.advert_sent}`,
      `  Became master: ${s.become_master}`,
      `  Released master: ${s.release_master}`,
      '  Packet Errors:',
      `    Length: ${s.packet_len_err}`,
      `    TTL: ${s.ip_ttl_err}`,
      `    Invalid Type: ${s.invalid_type_rcvd}`,
      `    Advertisement Interval: ${s.advert_interval_err}`,
      `    Address List: ${s.addr_list_err}`,
      '  Authentication Errors:',
      `    Invalid Type: ${s.invalid_authtype}`,
      `    Type Mismatch: ${s.authtype_mismatch}`,
      `    Failure: ${s.auth_failure}`,
      '  Priority Zero:',
      `    Received: ${s.pri_zero_rcvd}`,
      `    Sent: ${s.pri_zero_sent}`,
    );
  }
  return out.join('\n') + (out.length ? '\n' : '');
}

/** A VIP as keepalived prints it: "ADDR/LEN dev IF scope global" plus " set" when it is on the interface. */
function vipText(vip: VipSpec, spec: VrrpInstanceSpec, set: boolean): string {
  const brd = vip.broadcast && vip.family === 4 ? ` brd ${vip.broadcast}` : '';
  const label = vip.label ? ` label ${vip.label}` : '';
  return `${vip.address}/${vip.prefixLen}${brd} dev ${vip.dev ?? spec.interface} scope ${vip.scope ?? 'global'}${label}${set ? ' set' : ''}`;
}

function authType(spec: VrrpInstanceSpec): number {
  const t = spec.authentication?.type;
  return t === 'PASS' ? 1 : t === 'AH' ? 2 : 0;
}

/** keepalived.json, layout version 1 (keepalived 2.2's vrrp_json.c): an array of { data, stats } per instance. */
export function formatJson(inp: DumpInput): string {
  const views = new Map(inp.instances.map((v) => [v.name, v]));
  const list = (inp.vrrp?.instances ?? []).map((spec) => {
    const v = views.get(spec.name);
    const state = STATE_NUM[v?.state ?? 'INIT'] ?? 0;
    const set = v?.state === 'MASTER';
    const data: Record<string, unknown> = {
      iname: spec.name,
      dont_track_primary: spec.dontTrackPrimary ? 1 : 0,
      skip_check_adv_addr: 0,
      strict_mode: spec.strict ? 1 : 0,
      vmac_ifname: typeof spec.useVmac === 'string' ? spec.useVmac : spec.useVmac ? `vrrp.${spec.vrid}` : '',
      ifp_ifname: spec.interface,
      master_priority: 0,
      last_transition: inp.nowS,
      garp_delay: Math.round(spec.garp.masterDelayMs / 1000),
      garp_refresh: Math.round(spec.garp.masterRefreshMs / 1000),
      garp_rep: spec.garp.masterRepeat,
      garp_refresh_rep: spec.garp.masterRefreshRepeat,
      garp_lower_prio_delay: Math.round(spec.garp.lowerPrioDelayMs / 1000),
      garp_lower_prio_rep: spec.garp.lowerPrioRepeat,
      lower_prio_no_advert: spec.lowerPrioNoAdvert ? 1 : 0,
      higher_prio_send_advert: spec.higherPrioSendAdvert ? 1 : 0,
      vrid: spec.vrid,
      base_priority: spec.priority,
      effective_priority: v?.effectivePriority ?? spec.priority,
      vipset: set,
      promote_secondaries: false,
      adver_int: spec.advertIntMs / 1000,
      master_adver_int: spec.advertIntMs / 1000,
      accept: spec.accept ? 1 : 0,
      nopreempt: spec.nopreempt,
      preempt_delay: spec.preemptDelayMs / 1000,
      state,
      wantstate: state,
      version: spec.version,
      smtp_alert: false,
      notify_deleted: false,
      vips: spec.vips.map((x) => vipText(x, spec, set)),
      ...(spec.excludedVips.length ? { evips: spec.excludedVips.map((x) => vipText(x, spec, set)) } : {}),
      auth_type: authType(spec),
    };
    return { data, stats: statsOf(v) };
  });
  // keepalived escapes '/' as '\/' (json-c's default); readers accept both, we match the bytes.
  return JSON.stringify(list).replace(/\//g, '\\/');
}

function timeText(s: number): string {
  return `${s.toFixed(6)} (${new Date(s * 1000).toUTCString()})`;
}

/** keepalived.data: global definitions, VRRP topology and LVS topology (a subset of dump_data_vrrp/check). */
export function formatData(inp: DumpInput): string {
  const views = new Map(inp.instances.map((v) => [v.name, v]));
  const out: string[] = [
    '------< Global definitions >------',
    ' Network namespace = (default)',
    ' VRRP IPv4 mcast group = 224.0.0.18',
    ' VRRP IPv6 mcast group = ff02::12',
    ' SNMP vrrp disabled',
    ' DBus disabled',
  ];
  const instances = inp.vrrp?.instances ?? [];
  if (instances.length) out.push('------< VRRP Topology >------');
  for (const spec of instances) {
    const v = views.get(spec.name);
    out.push(
      ` VRRP Instance = ${spec.name}`,
      `   VRRP Version = ${spec.version}`,
      `   State = ${v?.state ?? 'INIT'}`,
      `   Wantstate = ${v?.state ?? 'INIT'}`,
      `   Last transition = ${timeText(inp.nowS)}`,
      `   Interface = ${spec.interface}`,
      ...(spec.srcIp ? [`   Using src_ip = ${spec.srcIp}`] : []),
      ...(spec.unicastPeers.length
        ? [`   Unicast Peer = ${spec.unicastPeers.map((p) => p.address).join(', ')}`]
        : [`   Multicast address ${spec.mcastGroup ?? (spec.family === 6 ? 'ff02::12' : '224.0.0.18')}`]),
      `   Gratuitous ARP delay = ${Math.round(spec.garp.masterDelayMs / 1000)}`,
      `   Gratuitous ARP repeat = ${spec.garp.masterRepeat}`,
      `   Down timer adverts = ${spec.downTimerAdverts}`,
      `   Virtual Router ID = ${spec.vrid}`,
      `   Priority = ${spec.priority}`,
      `   Effective priority = ${v?.effectivePriority ?? spec.priority}`,
      `   Advert interval = ${spec.advertIntMs / 1000} sec`,
      `   Accept = ${spec.accept ? 'enabled' : 'disabled'}`,
      `   Preempt = ${spec.nopreempt ? 'disabled' : 'enabled'}`,
      `   Authentication type = ${['none', 'SIMPLE_PASSWORD', 'IPSEC_AH'][authType(spec)]}`,
      `   Virtual IP (${spec.vips.length}):`,
      ...spec.vips.map((x) => `     ${vipText(x, spec, v?.state === 'MASTER')}`),
    );
    if (spec.excludedVips.length)
      out.push(`   Virtual IP Excluded (${spec.excludedVips.length}):`, ...spec.excludedVips.map((x) => `     ${vipText(x, spec, v?.state === 'MASTER')}`));
  }
  const services = inp.listing?.services ?? [];
  if (services.length) out.push('------< LVS Topology >------', ' System is compiled with LVS v1.2.1');
  for (const s of services) {
    const k = s.spec.key;
    const name = k.kind === 'fwmark' ? `FWM ${k.fwmark}` : `${k.family === 6 ? `[${k.address}]` : k.address}:${k.port}`;
    out.push(
      ` VS = ${name}`,
      `   lb_algo = ${s.spec.scheduler}`,
      ...(k.kind === 'addr' ? [`   protocol = ${k.protocol.toUpperCase()}`] : []),
      ...(s.spec.persistenceTimeoutS ? [`   persistence timeout = ${s.spec.persistenceTimeoutS}`] : []),
    );
    for (const d of s.dests)
      out.push(
        `   RS = ${d.family === 6 ? `[${d.address}]` : d.address}:${d.port}`,
        `     Weight = ${d.weight}`,
        `     Forwarding method = ${({ dr: 'DR', nat: 'NAT', tun: 'TUN' } as Record<string, string>)[d.forward] ?? d.forward}`,
      );
  }
  return out.join('\n') + '\n';
}
