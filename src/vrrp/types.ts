/**
 * The VRRP contract: what the keepalived.conf parser (src/config) maps `vrrp_instance`, `vrrp_script`,
 * `vrrp_sync_group` and the global vrrp keywords into, and what the daemon hands to VrrpManager.
 * Every field is already defaulted the way keepalived defaults it (see the per-field notes); the
 * manager never re-reads keepalived.conf. Durations are in milliseconds unless named otherwise.
 */

/** VRRP protocol version: 2 = RFC 3768 (keepalived's default, IPv4 only), 3 = RFC 5798. */
export type VrrpVersion = 2 | 3;

/** Address family of an instance (taken from its virtual_ipaddress entries). */
export type VrrpFamily = 4 | 6;

/** The states of RFC 5798 §6.4 plus keepalived's FAULT. */
export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** The state word keepalived passes to `notify` scripts (adds STOP and DELETED). */
export type NotifyState = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP' | 'DELETED';

/** One `virtual_ipaddress` / `virtual_ipaddress_excluded` entry: `ADDR[/LEN] [brd X] [dev IF] [scope S] [label L]`. */
export interface VipSpec {
  /** Canonical address string (dotted quad or compressed IPv6), without prefix. */
  address: string;
  family: VrrpFamily;
  /** Prefix length; keepalived's default is 32 (IPv4) or 128 (IPv6). */
  prefixLen: number;
  /** Device the address goes on; undefined = the instance's interface. */
  dev?: string;
  /** `label IF:tag` (IPv4 only). */
  label?: string;
  /** `scope site|link|host|nowhere|global`; default global (undefined). */
  scope?: 'global' | 'site' | 'link' | 'host' | 'nowhere';
  /** `brd ADDR`, `+` or `-` as ip(8) takes them; undefined = no broadcast (keepalived default). */
  broadcast?: string;
  /** `no_track`: external removal of the address does not knock the instance out of MASTER. */
  noTrack?: boolean;
  /** Where it was written, for diagnostics ("file:line"). */
  source?: string;
}

/**
 * One `virtual_routes` / `static_routes` entry, already translated to ip-route(8) words (keepalived's
 * `gw`, `or`, `priority`, `protocol`... mapped; `proto 18` (keepalived) unless another protocol is given with `no_track`).
 */
export interface IpRouteSpec {
  family: VrrpFamily;
  /** `prepend` (keepalived's default, the kernel's), `add` or `append`. */
  op: 'prepend' | 'add' | 'append';
  /** The words after `ip route <op>`, e.g. ['10.1.0.0/24', 'via', '10.0.0.1', 'dev', 'eth0', 'proto', '18']. */
  args: string[];
  /** Where it was written ("file:line"). */
  source?: string;
}

/** One `virtual_rules` / `static_rules` entry as ip-rule(8) words (with `pref`, keepalived assigns one if absent). */
export interface IpRuleSpec {
  family: VrrpFamily;
  /** The words after `ip rule add`, e.g. ['from', '10.0.0.0/24', 'lookup', '100', 'pref', '100', 'protocol', '18']. */
  args: string[];
  source?: string;
}

/** `authentication { auth_type PASS|AH; auth_pass X }` (VRRPv2 only). */
export interface VrrpAuthSpec {
  type: 'PASS' | 'AH';
  /** The password; only the first 8 bytes are used on the wire. */
  password: string;
}

/** One `unicast_peer { ADDR [min_ttl N] [max_ttl N] }` entry. */
export interface UnicastPeerSpec {
  address: string;
  minTtl?: number;
  maxTtl?: number;
}

/** One `track_interface { IF [weight W [reverse]] }` entry. */
export interface TrackInterfaceSpec {
  name: string;
  /** 0 (default) = interface down → FAULT; >0 added while up; <0 subtracted while down. Range −253..253. */
  weight: number;
  /** `reverse`: the weight applies with the opposite sign/condition. */
  reverse?: boolean;
}

/** One `track_script { NAME [weight W [reverse]] }` entry of an instance or sync group. */
export interface TrackScriptRef {
  /** Name of a `vrrp_script` block. */
  name: string;
  /** Overrides the script's own weight when given. */
  weight?: number;
  reverse?: boolean;
}

/** A `vrrp_script NAME { script; interval; timeout; weight; rise; fall; user; init_fail }` block. */
export interface VrrpScriptSpec {
  name: string;
  /** The command line (`script "..."`), run without a shell after keepalived-style word splitting. */
  script: string;
  /** Run period; keepalived default 1000. */
  intervalMs: number;
  /** Kill after this; keepalived default = interval. */
  timeoutMs: number;
  /** 0 (default) = FAULT while failed; >0 added while OK; <0 subtracted while failed. Range −253..253. */
  weight: number;
  reverse?: boolean;
  /** Consecutive successes to become OK; default 1. */
  rise: number;
  /** Consecutive failures to become failed; default 1. */
  fall: number;
  /** `init_fail`: start in the failed state. */
  initFail?: boolean;
  /** `user USER [GROUP]`; undefined = run as the daemon's user. */
  user?: string;
  source?: string;
}

/** A `track_file NAME { file; weight; init_file }` block (keepalived's default weight 1). */
export interface VrrpTrackFileSpec {
  name: string;
  /** The file holding a number (missing or unreadable = 0). */
  path: string;
  weight: number;
  reverse?: boolean;
  /** `init_file [VALUE] [overwrite]`: write VALUE at start if the file is missing (or always with overwrite). */
  init?: { value: number; overwrite: boolean };
  source?: string;
}

/** A `vrrp_track_process NAME { ... }` block (defaults: weight 1, quorum 1, no quorum_max, no delays). */
export interface VrrpTrackProcessSpec {
  name: string;
  /** The process name (matched against /proc/PID/comm, or argv[0] with full_command). */
  process: string;
  /** Parameters that must follow (matched against /proc/PID/cmdline). */
  params: string[];
  /** `param_match`: exact (bare keyword), initial (last parameter may be longer) or partial (the first N match). */
  paramMatch?: 'exact' | 'initial' | 'partial';
  fullCommand?: boolean;
  weight: number;
  reverse?: boolean;
  quorum: number;
  /** Most matching processes that still count as OK (undefined = no limit). */
  quorumMax?: number;
  /** `fork_delay`: quorum must hold this long before the process counts as up. */
  forkDelayMs: number;
  /** `terminate_delay`: quorum must be lost this long before the process counts as down. */
  terminateDelayMs: number;
  source?: string;
}

/** A notify script line: `"path args…" [user [group]]` as written, args already split keepalived-style. */
export interface NotifyScriptSpec {
  /** argv[0] and its configured arguments; keepalived appends nothing for notify_master/backup/fault/stop. */
  argv: string[];
  user?: string;
}

/** The notify_* keywords of an instance or sync group. */
export interface NotifySpec {
  master?: NotifyScriptSpec;
  backup?: NotifyScriptSpec;
  fault?: NotifyScriptSpec;
  stop?: NotifyScriptSpec;
  deleted?: NotifyScriptSpec;
  /** `notify`: run after the specific script with `INSTANCE|GROUP name STATE priority` appended. */
  generic?: NotifyScriptSpec;
  /** `notify_master_rx_lower_pri`. */
  masterRxLowerPri?: NotifyScriptSpec;
}

/** Gratuitous ARP / unsolicited NA settings (instance value, else the vrrp_garp_* global, else default). */
export interface GarpSpec {
  /** `garp_master_delay` seconds → ms; delay before the second burst, 0 = none. Default 5000. */
  masterDelayMs: number;
  /** `garp_master_repeat`: messages per burst. Default 5. */
  masterRepeat: number;
  /** `garp_master_refresh` → ms; periodic re-send while MASTER, 0 = off (default). */
  masterRefreshMs: number;
  /** `garp_master_refresh_repeat`. Default 1. */
  masterRefreshRepeat: number;
  /** `garp_lower_prio_delay` → ms (defaults to masterDelayMs). */
  lowerPrioDelayMs: number;
  /** `garp_lower_prio_repeat` (defaults to masterRepeat). */
  lowerPrioRepeat: number;
  /** `vrrp_garp_interval` / `vrrp_gna_interval` → ms; pacing between messages. Default 0. */
  intervalMs: number;
}

/** One `vrrp_instance NAME { ... }`, fully defaulted. */
export interface VrrpInstanceSpec {
  name: string;
  /** `virtual_router_id` 1..255 (required). */
  vrid: number;
  /** 2 (default; global `vrrp_version`) or 3; IPv6 instances must be 3. */
  version: VrrpVersion;
  /** Family of the virtual_ipaddress list (all entries share it). */
  family: VrrpFamily;
  /** `interface` (required for multicast). */
  interface: string;
  /** Configured `state`: keepalived's initial state wish. Default BACKUP (MASTER if priority 255). */
  initialState: 'MASTER' | 'BACKUP';
  /** `priority` 1..255 (default 100, or 255 when `state MASTER` and no priority given). */
  priority: number;
  /** `advert_int` in ms: v2 rounded to whole seconds (1000..255000), v3 to 10 ms (10..40950). Default 1000. */
  advertIntMs: number;
  /** `nopreempt` (ignored by the engine when priority is 255). */
  nopreempt: boolean;
  /** `preempt_delay` → ms, 0..1000000. */
  preemptDelayMs: number;
  /** `down_timer_adverts` (1..100, default 3). */
  downTimerAdverts: number;
  /** `mcast_src_ip` / `unicast_src_ip`; undefined = primary address of the interface (IPv6: link-local). */
  srcIp?: string;
  /** `unicast_peer` entries; empty = multicast. */
  unicastPeers: UnicastPeerSpec[];
  /** `mcast_dst_ip` or global `vrrp_mcast_group4/6`; undefined = 224.0.0.18 / ff02::12. */
  mcastGroup?: string;
  /** `unicast_ttl` (default 255). */
  unicastTtl: number;
  /** `check_unicast_src` (or global vrrp_check_unicast_src, or implied by a peer min/max_ttl). */
  checkUnicastSrc: boolean;
  /** `unicast_fault_no_peer`. */
  unicastFaultNoPeer?: boolean;
  authentication?: VrrpAuthSpec;
  /** `virtual_ipaddress` (carried in adverts). */
  vips: VipSpec[];
  /** `virtual_ipaddress_excluded` (not carried in adverts, may mix families). */
  excludedVips: VipSpec[];
  /** `virtual_routes`: installed after the VIPs on becoming MASTER, removed before them on leaving. */
  virtualRoutes?: IpRouteSpec[];
  /** `virtual_rules`: installed after the routes on becoming MASTER, removed first on leaving. */
  virtualRules?: IpRuleSpec[];
  trackInterfaces: TrackInterfaceSpec[];
  trackScripts: TrackScriptRef[];
  /** `track_file { NAME [weight W [reverse]] }`: names of track_file blocks. */
  trackFiles?: TrackScriptRef[];
  /** `track_process { NAME [weight W [reverse]] }`: names of vrrp_track_process blocks. */
  trackProcesses?: TrackScriptRef[];
  /** `track_bfd { NAME [weight W [reverse]] }`: names of bfd_instance blocks. */
  trackBfds?: TrackScriptRef[];
  /** `dont_track_primary`. */
  dontTrackPrimary?: boolean;
  notify: NotifySpec;
  /** Kill a notify script after this long (global `script_timeout`-like; default 10000). */
  notifyTimeoutMs?: number;
  garp: GarpSpec;
  /** `use_vmac [NAME]`: true or the macvlan's name (default `vrrp.VRID`). */
  useVmac?: boolean | string;
  /** `vmac_xmit_base`. */
  vmacXmitBase?: boolean;
  /** `accept` (true, keepalived default unless strict) / `no_accept` (false). */
  accept: boolean;
  /** `vrrp_strict` / `strict_mode`. */
  strict: boolean;
  /** `lower_prio_no_advert` (instance or global). */
  lowerPrioNoAdvert?: boolean;
  /** `higher_prio_send_advert` (instance or global). */
  higherPrioSendAdvert?: boolean;
  /** Where the block starts ("file:line"), for diagnostics. */
  source?: string;
}

/** A `vrrp_sync_group NAME { group { I1 I2 } track_* notify_* }`. */
export interface VrrpSyncGroupSpec {
  name: string;
  /** Instance names. */
  instances: string[];
  trackInterfaces: TrackInterfaceSpec[];
  trackScripts: TrackScriptRef[];
  trackFiles?: TrackScriptRef[];
  trackProcesses?: TrackScriptRef[];
  trackBfds?: TrackScriptRef[];
  notify: NotifySpec;
  source?: string;
}

/** Everything the VRRP side needs from one keepalived.conf. */
export interface VrrpConfig {
  instances: VrrpInstanceSpec[];
  scripts: VrrpScriptSpec[];
  syncGroups: VrrpSyncGroupSpec[];
  /** global_defs `router_id` (informational). */
  routerId?: string;
  /** `track_file` / `vrrp_track_file` blocks. */
  trackFiles?: VrrpTrackFileSpec[];
  /** `vrrp_track_process` blocks. */
  trackProcesses?: VrrpTrackProcessSpec[];
  /** `bfd_instance` blocks (name and default weight; the sessions run in src/bfd). */
  bfdInstances?: Array<{ name: string; weight: number }>;
  /** global_defs `fifo_write_vrrp_states_on_reload`: after a reload, every instance's and group's state goes to the FIFOs. */
  fifoWriteStatesOnReload?: boolean;
  /** `static_ipaddress`: added at start, removed at stop (never moved by VRRP). */
  staticAddresses?: VipSpec[];
  /** `static_routes`: installed at start (after the static addresses), removed at stop. */
  staticRoutes?: IpRouteSpec[];
  /** `static_rules`: installed at start (after the static routes), removed at stop. */
  staticRules?: IpRuleSpec[];
  /** global_defs `enable_script_security` / `script_user` are not enforced; kept for diagnostics. */
  scriptUser?: string;
}

/** A problem found by validate(): `index` points into config.instances (or scripts/syncGroups per `kind`). */
export interface VrrpProblem {
  kind: 'instance' | 'script' | 'syncGroup';
  index: number;
  /** The offending keyword, e.g. 'virtual_router_id'. */
  keyword?: string;
  /** One sentence naming the problem and the fix. */
  message: string;
  /** 'error' refuses the config; 'warning' is logged. */
  severity: 'error' | 'warning';
}

/** A state change reported by VrrpManager's 'state' event. */
export interface VrrpStateEvent {
  instance: string;
  vrid: number;
  interface: string;
  from: VrrpState;
  to: VrrpState;
  /** Effective priority at the time of the change. */
  priority: number;
  /** VIPs (incl. excluded) this instance now serves (non-empty only when to === 'MASTER'). */
  vips: VipSpec[];
  reason: string;
  atMs: number;
}

/** Defaults keepalived applies; the config engineer uses these when a keyword is absent. */
export const VRRP_DEFAULTS = {
  version: 2 as VrrpVersion,
  priority: 100,
  advertIntMs: 1000,
  downTimerAdverts: 3,
  unicastTtl: 255,
  notifyTimeoutMs: 10000,
  garp: {
    masterDelayMs: 5000,
    masterRepeat: 5,
    masterRefreshMs: 0,
    masterRefreshRepeat: 1,
    lowerPrioDelayMs: 5000,
    lowerPrioRepeat: 5,
    intervalMs: 0,
  } satisfies GarpSpec,
  script: { intervalMs: 1000, weight: 0, rise: 1, fall: 1 },
} as const;
