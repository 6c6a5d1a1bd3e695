/**
 * The model a keepalived.conf loads into, and the graded diagnostics found on the way.
 * VRRP parts use the VRRP contract (src/vrrp/types.ts), IPVS parts the rule model (src/ipvs/types.ts),
 * checker and pool-policy parts the health contract (src/health/types.ts).
 */
import type { IpvsRules, Family } from '../ipvs/types.js';
import type { VrrpConfig } from '../vrrp/types.js';
import type { HealthServiceSpec } from '../health/types.js';
import type { NotifyFifoConfig } from '../util/notify-fifo.js';

/** How bad a finding is: error refuses the config, warning is logged (an error under --strict), note is informative. */
export type Severity = 'error' | 'warning' | 'note';

/** One finding, always located at a file and line. */
export interface Diagnostic {
  severity: Severity;
  file: string;
  /** 1-based line number; 0 when the problem is the file itself (e.g. missing). */
  line: number;
  /** One sentence saying what is wrong and how to fix it. */
  message: string;
  /** Stable machine code, e.g. 'unknown-keyword', 'missing-value', 'vrid-conflict'. */
  code: string;
  /** True for facts about this host (interfaces) that may legitimately differ elsewhere. */
  host?: boolean;
}

/** One member of a virtual_server_group: an address range (with optional port) or a fwmark. */
export type VirtualServerGroupEntry =
  | { kind: 'addr'; family: Family; first: string; last: string; port: number }
  | { kind: 'fwmark'; fwmark: number; family?: Family };

/** A `virtual_server_group NAME { ... }` block. */
export interface VirtualServerGroupConfig {
  name: string;
  entries: VirtualServerGroupEntry[];
  source: string;
}

/** keepalived's mail alerts (core/smtp.c) resolved: where to send, and who alerts. */
export interface SmtpAlertConfig {
  /** `smtp_server HOST [PORT]` (port default 25). */
  server: string;
  port: number;
  /** `smtp_helo_name`, default the local host name. */
  heloName: string;
  /** `notification_email_from`, default `user@hostname`. */
  from: string;
  /** `notification_email { ... }` addresses. */
  to: string[];
  /** `smtp_connect_timeout` in ms (default 30 s; 0 becomes 1 s). */
  connectTimeoutMs: number;
  /** The `[router_id]` every subject starts with (default the host name). */
  routerId: string;
  /** `no_email_faults`: no mail for FAULT transitions. */
  noEmailFaults: boolean;
  /** `no_checker_emails`: checker mails only when the real server's alive state changes. */
  noCheckerEmails: boolean;
  /** vrrp_instance names that alert (their smtp_alert, else smtp_alert_vrrp, else smtp_alert). */
  instances: string[];
  /** vrrp_sync_group names that alert, with their member instances. */
  groups: Array<{ name: string; instances: string[] }>;
  /** Real servers that alert, as `service id` + newline + real server id (health realServerId()). */
  realServers: string[];
}

/** global_defs values ulvs uses, plus the raw keepalived names of those it only accepts. */
export interface GlobalDefsConfig {
  routerId?: string;
  scriptUser?: string;
  enableScriptSecurity: boolean;
  /** `lvs_timeouts tcp N tcpfin N udp N` merged over the kernel defaults. */
  lvsTimeouts?: { tcpS?: number; tcpFinS?: number; udpS?: number };
  /** `notify_fifo`, `vrrp_notify_fifo`, `lvs_notify_fifo` (with their `_script`s). */
  notifyFifos?: NotifyFifoConfig;
  /** Mail alerts (notification_email, smtp_server, smtp_alert...), present when mail can be sent. */
  smtp?: SmtpAlertConfig;
  /** `lvs_sync_daemon IF INSTANCE [id N] ...` as written. */
  lvsSyncDaemon?: string[];
  /** The same, checked and typed. */
  lvsSync?: LvsSyncDaemonConfig;
}

import type { BfdInstanceSpec } from '../bfd/types.js';
import type { BgpConfig } from '../bgp/types.js';

/** Everything one keepalived.conf (with its includes) describes. */
export interface ConfigModel {
  global: GlobalDefsConfig;
  vrrp: VrrpConfig;
  /** The rule set the virtual_server blocks describe (every real server, before health checks). */
  ipvs: IpvsRules;
  /** One health/policy spec per virtual_server block; `keys` link it to services of `ipvs`. */
  health: HealthServiceSpec[];
  virtualServerGroups: VirtualServerGroupConfig[];
  /** The bfd_instance blocks: sessions track_bfd and BFD_CHECK watch. */
  bfd: BfdInstanceSpec[];
  /** The ulvs_bgp block: announce the VIPs to routers through FRR's bgpd (N directors behind ECMP). */
  bgp?: BgpConfig;
  /** Every file read, main file first (for reload watching). */
  files: string[];
  /** `net_namespace NAME`: the network namespace keepalived runs in (`ulvs keepalived` runs its daemon there; -s overrides). */
  netNamespace?: string;
}

/** Options of loadConfig(). */
export interface LoadOptions {
  /** Config id for `@ID` lines and `${_INSTANCE}`; default: first label of the host name. */
  configId?: string;
  /** Treat warnings as errors. */
  strict?: boolean;
  /** Check host facts (interfaces exist, scripts exist and are safe); default true. */
  hostChecks?: boolean;
  /** Interface names of this host; default: read from /sys/class/net. */
  interfaces?: string[];
  /** Environment for `${_ENV X}` and PATH lookups; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Effective uid deciding script safety; default process.geteuid(). */
  uid?: number;
}

/** What loadConfig() returns: always a model (possibly partial) and the findings. */
export interface LoadResult {
  model: ConfigModel;
  diagnostics: Diagnostic[];
  /** True when no diagnostic is an error (warnings count as errors with opts.strict). */
  ok: boolean;
}

/** keepalived's `lvs_sync_daemon IFACE INSTANCE [id N] [maxlen N] [port N] [ttl N] [group ADDR]`. */
export interface LvsSyncDaemonConfig {
  interface: string;
  /** VRRP instance whose state picks the role (MASTER sends, otherwise receive). */
  instance: string;
  syncId: number;
  maxLen?: number;
  port?: number;
  ttl?: number;
  group?: string;
  /** ulvs: unicast to this director instead of the multicast group. */
  peer?: string;
  /** ulvs: sync_threshold (packets), sync_period, sync_refresh_period (s), sync_retries as the kernel's sysctls. */
  threshold?: number;
  period?: number;
  refreshPeriodS?: number;
  retries?: number;
}
