/**
 * Health-check contract: the checker and policy specs the keepalived.conf parser (src/config) fills,
 * and the events the health manager emits to the control plane.
 *
 * Mapping rules for the config engineer:
 * - keepalived keywords map 1:1 to the camelCase fields named in each doc comment; durations are
 *   converted from keepalived's decimal seconds to milliseconds (`delay_loop 1.5` -> `delayLoopMs: 1500`).
 * - Leave a field `undefined` when the keyword is absent. The health module (src/health/resolve.ts)
 *   applies keepalived's inheritance chain checker -> real_server -> virtual_server -> checker-type
 *   default, so the parser never writes defaults itself. The defaults are in HEALTH_DEFAULTS below.
 * - Scripts (`notify_up`, `notify_down`, `quorum_up`, `quorum_down`, `misc_path`) are given as
 *   ScriptSpec (argv already split the keepalived way); validate them with `checkScriptSecurity()`
 *   from src/health/script-security.ts at config load.
 */
import type { ServiceKey } from '../ipvs/types.js';

/** A command run by the health module: argv split as keepalived's notify_script_init does, no shell. */
export interface ScriptSpec {
  /** argv[0] is the program (absolute path, or resolved via PATH as keepalived does); the rest are its arguments. */
  argv: string[];
  /** Optional `user` (and `group`) words given after the command on the keyword line. */
  user?: string;
  group?: string;
  /** Where it was configured, `file:line`, for diagnostics. */
  where?: string;
}

/** Checker types keepalived's checker process offers that ulvs implements. */
export type CheckerType =
  | 'TCP_CHECK'
  | 'HTTP_GET'
  | 'SSL_GET'
  | 'MISC_CHECK'
  | 'UDP_CHECK'
  | 'DNS_CHECK'
  | 'PING_CHECK'
  | 'SMTP_CHECK'
  | 'BFD_CHECK'
  | 'FILE_CHECK';

/** Keywords common to all checkers (keepalived check_api.c); undefined = inherit (see HEALTH_DEFAULTS). */
export interface CheckerCommonSpec {
  /** `connect_ip`: address to check; default the real server's address. */
  connectIp?: string;
  /** `connect_port`: port to check; default the real server's port (not used by MISC/PING). */
  connectPort?: number;
  /** `bindto`: local source address of checker traffic. */
  bindTo?: string;
  /** `bind_port`: local source port of checker traffic. */
  bindPort?: number;
  /** `bind_if`: interface for link-local connect_ip (IPv6). */
  bindIf?: string;
  /** `fwmark`: SO_MARK set on checker sockets. */
  fwmark?: number;
  /** `connect_timeout` in ms: one attempt's budget (connect, and for HTTP the whole response). */
  connectTimeoutMs?: number;
  /** `retry` (HTTP/SSL alias `nb_get_retry`): extra attempts before an UP checker goes DOWN. */
  retry?: number;
  /** `delay_before_retry` in ms: pause between a failed attempt and the retry. */
  delayBeforeRetryMs?: number;
  /** `delay_loop` in ms: period of checks while nothing fails. */
  delayLoopMs?: number;
  /** `warmup` in ms: first check at a random time in [0, warmup]; 0 disables the spread. */
  warmupMs?: number;
  /** `alpha`: the checker starts DOWN and needs one success to come UP. */
  alpha?: boolean;
  /** `log_all_failures`: log every failed attempt, not only state changes. */
  logAllFailures?: boolean;
  /** Where the checker block starts, `file:line`, for diagnostics. */
  where?: string;
}

/** TCP_CHECK: a completed TCP connect is a success. */
export interface TcpCheckSpec extends CheckerCommonSpec {
  type: 'TCP_CHECK';
}

/** One inclusive range of HTTP status codes (a single code has lo === hi). */
export interface StatusCodeRange {
  lo: number;
  hi: number;
}

/** HTTP_GET / SSL_GET `url { }` block: every url of a checker must pass for the check to pass. */
export interface UrlSpec {
  /** `path`: request path, e.g. `/health`. */
  path: string;
  /** `digest`: lowercase hex MD5 of the response body (keepalived genhash); undefined = not checked. */
  digest?: string;
  /** `status_code 200 300-399 ...`: accepted codes; undefined = keepalived's default 200-299. */
  statusCodes?: StatusCodeRange[];
  /** `virtualhost` inside url: Host header for this url (overrides the checker's). */
  virtualhost?: string;
}

/** HTTP_GET (plain) and SSL_GET (TLS, certificate not verified, as keepalived). */
export interface HttpCheckSpec extends CheckerCommonSpec {
  type: 'HTTP_GET' | 'SSL_GET';
  /** `url { }` blocks; keepalived requires at least one. */
  urls: UrlSpec[];
  /** `virtualhost` on the checker: Host header; inherits real_server then virtual_server `virtualhost`, else the connect address. */
  virtualhost?: string;
  /** `http_protocol`: 1.0 (default), 1.0C (1.0 + Connection: close), 1.1 (+ Connection: close), 1.0K (1.0 + keep-alive). */
  httpProtocol?: '1.0' | '1.0C' | '1.0K' | '1.1';
  /** `enable_sni`: send SNI (the Host / sni_name) in the TLS ClientHello. Default off in keepalived. */
  enableSni?: boolean;
  /** `sni_name`: name sent as SNI (implies enable_sni). */
  sniName?: string;
  /** `fast_recovery`: when recovering, check all urls in one pass instead of one url per delay_loop. */
  fastRecovery?: boolean;
}

/** MISC_CHECK: run a program; exit 0 = up, 1 = down, 2..255 with misc_dynamic = up with weight exit-2. */
export interface MiscCheckSpec extends CheckerCommonSpec {
  type: 'MISC_CHECK';
  /** `misc_path "cmd args"` (argv split as keepalived). */
  misc: ScriptSpec;
  /** `misc_timeout` in ms: kill (SIGKILL) and count as failure after this; default = delay_loop. */
  miscTimeoutMs?: number;
  /** `misc_dynamic`: exit codes 2..255 set the real server weight to code - 2. */
  miscDynamic?: boolean;
}

/** UDP_CHECK: send a datagram; success unless an ICMP error arrives (or, with require_reply, no matching reply). */
export interface UdpCheckSpec extends CheckerCommonSpec {
  type: 'UDP_CHECK';
  /** `payload HEX`: datagram content (bytes); undefined = a small default probe (see check-udp.ts). */
  payload?: Uint8Array;
  /** `require_reply [HEX]`: a reply is required; if a pattern is given (hex, X = any nibble) it must match the reply start. */
  requireReply?: boolean;
  requireReplyPattern?: string;
  /** `min_reply_length` (default 0) and `max_reply_length` (default 255) bytes. */
  minReplyLength?: number;
  maxReplyLength?: number;
}

/** DNS record types DNS_CHECK can query. */
export type DnsQueryType = 'A' | 'NS' | 'CNAME' | 'SOA' | 'MX' | 'TXT' | 'AAAA';

/** DNS_CHECK: a UDP DNS query; success when a well-formed response to our query id arrives (see check-dns.ts). */
export interface DnsCheckSpec extends CheckerCommonSpec {
  type: 'DNS_CHECK';
  /** `type`: default SOA. */
  dnsType?: DnsQueryType;
  /** `name`: default `.`. */
  name?: string;
}

/** PING_CHECK: ICMP echo request/reply. */
export interface PingCheckSpec extends CheckerCommonSpec {
  type: 'PING_CHECK';
}

/** One checker block of a real server. */
/** SMTP_CHECK (keepalived check_smtp.c): banner 220, `HELO helo_name` answered 250, then QUIT. */
export interface SmtpCheckSpec extends CheckerCommonSpec {
  type: 'SMTP_CHECK';
  /** `helo_name`: default `smtpchecker.keepalived.org`. */
  heloName?: string;
}

/** BFD_CHECK (keepalived check_bfd.c): the real server follows bfd_instance `name`'s session. */
export interface BfdCheckSpec extends CheckerCommonSpec {
  type: 'BFD_CHECK';
  /** `name`: the bfd_instance. */
  name: string;
}

/** FILE_CHECK (keepalived check_file.c): a track_file's number sets the real server's weight or takes it down. */
export interface FileCheckSpec extends CheckerCommonSpec {
  type: 'FILE_CHECK';
  /** `track_file NAME`, and that block's file. */
  trackFile: string;
  path: string;
  /** `weight W [reverse]` (default the track_file block's): 0 = down while the value is non-zero; else value × W is added to the weight. */
  weight: number;
  reverse: boolean;
  /** The track_file's `init_file [VALUE] [overwrite]`: written before the first read if the file is missing (always with overwrite). */
  init?: { value: number; overwrite: boolean };
}

/** Any checker block of a real server. */
export type CheckerSpec =
  | TcpCheckSpec
  | HttpCheckSpec
  | MiscCheckSpec
  | UdpCheckSpec
  | DnsCheckSpec
  | PingCheckSpec
  | SmtpCheckSpec
  | BfdCheckSpec
  | FileCheckSpec;

/** A `real_server IP PORT { }` block as far as health checking is concerned. */
export interface HealthRealServerSpec {
  /** Canonical address string (same as RealServerSpec.address). */
  address: string;
  port: number;
  /** `weight`: configured weight, default 1. */
  weight?: number;
  /** `inhibit_on_failure`: on failure set weight 0 instead of removing; inherits the virtual server's. */
  inhibitOnFailure?: boolean;
  /** `notify_up` / `notify_down` scripts. */
  notifyUp?: ScriptSpec;
  notifyDown?: ScriptSpec;
  /** Per-real-server overrides inherited by its checkers. */
  alpha?: boolean;
  retry?: number;
  delayBeforeRetryMs?: number;
  delayLoopMs?: number;
  warmupMs?: number;
  connectTimeoutMs?: number;
  virtualhost?: string;
  /** Checker blocks; none = the real server is always alive (keepalived). */
  checkers: CheckerSpec[];
  /** `smtp_alert` on the real server; undefined = the virtual server's. */
  smtpAlert?: boolean;
  where?: string;
}

/** `sorry_server IP PORT`: used, alone, while quorum is lost. */
export interface SorryServerSpec {
  address: string;
  port: number;
  /** `sorry_server_lvs_method`, default the virtual server's method (left to the control plane). */
  forward?: 'dr' | 'nat' | 'tun';
}

/** A `virtual_server` (or `virtual_server group`) block as far as health checking is concerned. */
export interface HealthServiceSpec {
  /**
   * Stable identity chosen by the parser, used in events and to match services across reloads,
   * e.g. `TCP 10.0.0.1:80`, `FWM 1`, `group web`; any unique string works.
   */
  id: string;
  /** The IPVS services the policy applies to: one, or the members of a virtual_server_group. */
  keys: ServiceKey[];
  /** VIP addresses used by `ha_suspend` (checkers pause while none is configured locally). */
  vips: string[];
  /** `delay_loop` in ms, default 60 000. */
  delayLoopMs?: number;
  /** `alpha`: real servers start down. */
  alpha?: boolean;
  /** `omega`: on stop (shutdown / service removed on reload) run notify_down and quorum_down. */
  omega?: boolean;
  /** `quorum`: minimum sum of weights of alive real servers, default 1. */
  quorum?: number;
  /** `hysteresis`: default 0 (see policy/quorum.ts for the exact thresholds). */
  hysteresis?: number;
  /** `quorum_up` / `quorum_down` scripts. */
  quorumUp?: ScriptSpec;
  quorumDown?: ScriptSpec;
  sorryServer?: SorryServerSpec;
  /** `sorry_server_inhibit`: the sorry server is kept with weight 0 instead of removed while not in use. */
  sorryServerInhibit?: boolean;
  /** `inhibit_on_failure` default of its real servers. */
  inhibitOnFailure?: boolean;
  /** `ha_suspend`: suspend checkers while no VIP is present locally. */
  haSuspend?: boolean;
  /** `virtualhost` default for HTTP/SSL checkers. */
  virtualhost?: string;
  /** Defaults inherited by real servers then checkers. */
  connectTimeoutMs?: number;
  retry?: number;
  delayBeforeRetryMs?: number;
  warmupMs?: number;
  /** `smtp_alert` on the virtual server; undefined = global_defs smtp_alert_checker, then smtp_alert. */
  smtpAlert?: boolean;
  realServers: HealthRealServerSpec[];
  where?: string;
}

/**
 * keepalived's defaults (acassen/keepalived keepalived/check/check_data.c, check_api.c, check_http.c,
 * check_misc.c, check_dns.c, check_udp.c), applied by src/health/resolve.ts.
 */
export const HEALTH_DEFAULTS = Object.freeze({
  /** virtual_server delay_loop: 60 s. */
  delayLoopMs: 60_000,
  /** connect_timeout: 5 s. */
  connectTimeoutMs: 5_000,
  /** retry: 1 for TCP/HTTP/SSL/UDP/PING, 3 for DNS_CHECK, 0 for MISC_CHECK. */
  retry: 1,
  retryDns: 3,
  retryMisc: 0,
  /** delay_before_retry: 1 s; 3 s for HTTP_GET/SSL_GET; DNS_CHECK uses the delay_loop. */
  delayBeforeRetryMs: 1_000,
  delayBeforeRetryHttpMs: 3_000,
  /**
   * Not constants (derived in resolve.ts): warmup defaults to the checker's delay_loop (first check at a
   * random time in [0, warmup]); misc_timeout defaults to the virtual server's delay_loop; DNS_CHECK's
   * delay_before_retry defaults to its delay_loop; alpha defaults to off.
   */
  /** real server weight: 1. */
  weight: 1,
  /** quorum 1, hysteresis 0. */
  quorum: 1,
  hysteresis: 0,
  /** HTTP status_code default range 200-299; http_protocol 1.0. */
  statusLo: 200,
  statusHi: 299,
  httpProtocol: '1.0' as const,
  /** DNS_CHECK type SOA, name ".". */
  dnsType: 'SOA' as const,
  dnsName: '.',
  /** UDP_CHECK reply length bounds. */
  minReplyLength: 0,
  maxReplyLength: 255,
});

/** Emitted when a real server's desired IPVS state changes (the control plane applies it to the rules). */
export interface RealServerChange {
  /** HealthServiceSpec.id. */
  service: string;
  /** `address:port` (IPv6 as `[addr]:port`), see realServerId(). */
  realServer: string;
  address: string;
  port: number;
  /** All checkers up (what keepalived calls "alive"). */
  alive: boolean;
  /**
   * Whether the real server must be in the IPVS service now. False when dead without inhibit, and for
   * every real server while the sorry server is in use (keepalived removes them all).
   */
  inService: boolean;
  /** Weight to apply when inService: configured weight, the misc_dynamic weight, or 0 (inhibit). */
  weight: number;
  /** Short human reason of the last transition, e.g. `TCP_CHECK connect timeout`. */
  reason: string;
}

/** Emitted when a virtual service gains or loses quorum. */
export interface QuorumChange {
  service: string;
  up: boolean;
  /** Sum of the weights of alive real servers at the transition. */
  aliveWeight: number;
}

/** Emitted when the sorry server is put in (quorum lost) or taken out (quorum regained). */
export interface SorryServerChange {
  service: string;
  active: boolean;
  address: string;
  port: number;
  /** Weight to apply: 1 when active; when inactive 0 with sorry_server_inhibit, else it is removed. */
  inService: boolean;
  weight: number;
}

/** Live view of one real server for `ulvsadm -L` / the API. */
export interface RealServerHealthView {
  realServer: string;
  alive: boolean;
  inService: boolean;
  weight: number;
  /** Each checker; `checked` = it has run at least once (before that it waits out its random warmup, up to delay_loop). */
  checkers: Array<{ type: CheckerType; up: boolean; failures: number; lastError: string; lastCheckMs: number; checked: boolean }>;
}

/** Live view of one virtual service. */
export interface ServiceHealthView {
  service: string;
  quorumUp: boolean;
  sorryActive: boolean;
  suspended: boolean;
  aliveWeight: number;
  realServers: RealServerHealthView[];
}

/** The id of a real server in events and views: `addr:port`, IPv6 as `[addr]:port`. */
export function realServerId(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
