/**
 * Resolution of health specs: keepalived's inheritance chain (checker -> real_server -> virtual_server
 * -> checker-type default, keepalived check_data.c) and its config corrections (quorum above the total
 * weight, hysteresis >= quorum), plus validation of values the parser cannot judge alone.
 */
import {
  HEALTH_DEFAULTS,
  realServerId,
  type CheckerSpec,
  type CheckerType,
  type HealthRealServerSpec,
  type HealthServiceSpec,
  type StatusCodeRange,
  type UrlSpec,
} from './types.js';

/** A checker with every timing and target resolved: what the scheduler and the probe functions use. */
export interface ResolvedChecker {
  type: CheckerType;
  /** Identity used to match the checker across reloads (type + target + type-specific settings). */
  key: string;
  /** Address and port probed (connect_ip/connect_port, else the real server's). */
  host: string;
  port: number;
  bindTo?: string;
  bindPort?: number;
  bindIf?: string;
  connectTimeoutMs: number;
  retry: number;
  delayBeforeRetryMs: number;
  delayLoopMs: number;
  warmupMs: number;
  alpha: boolean;
  /** HTTP_GET / SSL_GET: urls with status codes defaulted and the Host header value resolved. */
  urls: Array<Required<Pick<UrlSpec, 'path'>> & { digest?: string; statusCodes: StatusCodeRange[]; host: string }>;
  /** MISC_CHECK timeout (misc_timeout, default the virtual server's delay_loop). */
  miscTimeoutMs: number;
  /** The original spec for type-specific settings. */
  spec: CheckerSpec;
}

/** A real server with resolved policy settings and checkers. */
export interface ResolvedRealServer {
  id: string;
  address: string;
  port: number;
  weight: number;
  inhibitOnFailure: boolean;
  alpha: boolean;
  spec: HealthRealServerSpec;
  checkers: ResolvedChecker[];
}

/** A virtual service with resolved policy settings. */
export interface ResolvedService {
  id: string;
  quorum: number;
  hysteresis: number;
  alpha: boolean;
  omega: boolean;
  haSuspend: boolean;
  sorryServerInhibit: boolean;
  spec: HealthServiceSpec;
  realServers: ResolvedRealServer[];
  /** Corrections keepalived applies with a warning (quorum reduced, hysteresis reduced). */
  warnings: string[];
}

/** One problem found in a health spec: `where` is file:line when the parser gave it. */
export interface HealthDiagnostic {
  severity: 'error' | 'warning';
  where: string;
  message: string;
}

function pick<T>(...vals: Array<T | undefined>): T | undefined {
  for (const v of vals) if (v !== undefined) return v;
  return undefined;
}

/** keepalived's Host header without a virtualhost: `addr:port`, IPv6 as `[addr]:port` (check_http.c http_request_thread). */
function hostHeader(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Resolves one checker of real server rs in service vs. */
export function resolveChecker(vs: HealthServiceSpec, rs: HealthRealServerSpec, c: CheckerSpec): ResolvedChecker {
  const vsDelayLoopMs = vs.delayLoopMs ?? HEALTH_DEFAULTS.delayLoopMs;
  const delayLoopMs = pick(c.delayLoopMs, rs.delayLoopMs, vsDelayLoopMs)!;
  const typeRetry = c.type === 'DNS_CHECK' ? HEALTH_DEFAULTS.retryDns : c.type === 'MISC_CHECK' ? HEALTH_DEFAULTS.retryMisc : HEALTH_DEFAULTS.retry;
  const typeDbr =
    c.type === 'HTTP_GET' || c.type === 'SSL_GET'
      ? HEALTH_DEFAULTS.delayBeforeRetryHttpMs
      : c.type === 'DNS_CHECK'
        ? delayLoopMs
        : HEALTH_DEFAULTS.delayBeforeRetryMs;
  const host = c.connectIp ?? rs.address;
  const port = c.connectPort ?? rs.port;
  const r: ResolvedChecker = {
    type: c.type,
    key: '',
    host,
    port,
    bindTo: c.bindTo,
    bindPort: c.bindPort,
    bindIf: c.bindIf,
    connectTimeoutMs: pick(c.connectTimeoutMs, rs.connectTimeoutMs, vs.connectTimeoutMs, HEALTH_DEFAULTS.connectTimeoutMs)!,
    retry: pick(c.retry, rs.retry, vs.retry, typeRetry)!,
    delayBeforeRetryMs: pick(c.delayBeforeRetryMs, rs.delayBeforeRetryMs, vs.delayBeforeRetryMs, typeDbr)!,
    delayLoopMs,
    warmupMs: pick(c.warmupMs, rs.warmupMs, vs.warmupMs, delayLoopMs)!,
    alpha: pick(c.alpha, rs.alpha, vs.alpha, false)!,
    urls: [],
    miscTimeoutMs: c.type === 'MISC_CHECK' ? (c.miscTimeoutMs ?? vsDelayLoopMs) : 0,
    spec: c,
  };
  if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
    const vhost = pick(c.virtualhost, rs.virtualhost, vs.virtualhost);
    r.urls = c.urls.map((u) => ({
      path: u.path,
      digest: u.digest?.toLowerCase(),
      statusCodes: u.statusCodes && u.statusCodes.length ? u.statusCodes : [{ lo: HEALTH_DEFAULTS.statusLo, hi: HEALTH_DEFAULTS.statusHi }],
      host: u.virtualhost ?? vhost ?? hostHeader(host, port),
    }));
  }
  r.key = checkerKey(r);
  return r;
}

/** The identity of a checker for reload matching: same type, target and type-specific settings (keepalived *_compare). */
export function checkerKey(c: ResolvedChecker): string {
  const s = c.spec;
  const specific: unknown[] = [];
  switch (s.type) {
    case 'HTTP_GET':
    case 'SSL_GET':
      specific.push(c.urls, s.httpProtocol, s.enableSni, s.sniName);
      break;
    case 'MISC_CHECK':
      specific.push(s.misc.argv, s.miscDynamic);
      break;
    case 'BFD_CHECK':
      specific.push(s.name);
      break;
    case 'FILE_CHECK':
      specific.push(s.path, s.weight, s.reverse);
      break;
    case 'UDP_CHECK':
      specific.push(s.payload ? Buffer.from(s.payload).toString('hex') : '', s.requireReply, s.requireReplyPattern);
      break;
    case 'DNS_CHECK':
      specific.push(s.dnsType, s.name);
      break;
    case 'SMTP_CHECK':
      specific.push(s.heloName);
      break;
    default:
      break;
  }
  return JSON.stringify([c.type, c.host, c.port, c.bindTo ?? '', c.bindPort ?? 0, specific]);
}

/** Resolves a whole virtual service, applying keepalived's quorum/hysteresis corrections (as warnings). */
export function resolveService(vs: HealthServiceSpec): ResolvedService {
  const warnings: string[] = [];
  const realServers = vs.realServers.map(
    (rs): ResolvedRealServer => ({
      id: realServerId(rs.address, rs.port),
      address: rs.address,
      port: rs.port,
      weight: rs.weight ?? HEALTH_DEFAULTS.weight,
      inhibitOnFailure: pick(rs.inhibitOnFailure, vs.inhibitOnFailure, false)!,
      alpha: pick(rs.alpha, vs.alpha, false)!,
      spec: rs,
      checkers: rs.checkers.map((c) => resolveChecker(vs, rs, c)),
    }),
  );
  let quorum = vs.quorum ?? HEALTH_DEFAULTS.quorum;
  let hysteresis = vs.hysteresis ?? HEALTH_DEFAULTS.hysteresis;
  const total = realServers.reduce((s, r) => s + r.weight, 0);
  if (quorum > total) {
    warnings.push(`quorum ${quorum} for ${vs.id} exceeds total weight of real servers ${total}, reducing quorum to ${total}`);
    quorum = total;
  }
  if (hysteresis >= quorum && hysteresis > 0) {
    const h = Math.max(0, quorum - 1);
    warnings.push(`${vs.id}: hysteresis ${hysteresis} >= quorum ${quorum}; setting hysteresis to ${h}`);
    hysteresis = h;
  }
  return {
    id: vs.id,
    quorum,
    hysteresis,
    alpha: vs.alpha ?? false,
    omega: vs.omega ?? false,
    haSuspend: vs.haSuspend ?? false,
    sorryServerInhibit: vs.sorryServerInhibit ?? false,
    spec: vs,
    realServers,
    warnings,
  };
}

function checkDuration(out: HealthDiagnostic[], where: string, name: string, v: number | undefined, allowZero: boolean): void {
  if (v === undefined) return;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    out.push({ severity: 'error', where, message: `${name} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds (got ${v / 1000})` });
  }
}

function checkCount(out: HealthDiagnostic[], where: string, name: string, v: number | undefined): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < 0) out.push({ severity: 'error', where, message: `${name} must be a non-negative integer (got ${v})` });
}

/**
 * Validates values of a health spec that make it unusable: zero/negative timeouts, status_code ranges out
 * of order, malformed digests, HTTP checkers without url, MISC_CHECK without a command. Errors mean the
 * configuration must be rejected as a whole; warnings are keepalived's automatic corrections.
 */
export function validateHealthService(vs: HealthServiceSpec): HealthDiagnostic[] {
  const out: HealthDiagnostic[] = [];
  const vw = vs.where ?? vs.id;
  checkDuration(out, vw, 'delay_loop', vs.delayLoopMs, false);
  checkDuration(out, vw, 'connect_timeout', vs.connectTimeoutMs, false);
  checkDuration(out, vw, 'delay_before_retry', vs.delayBeforeRetryMs, true);
  checkDuration(out, vw, 'warmup', vs.warmupMs, true);
  checkCount(out, vw, 'retry', vs.retry);
  checkCount(out, vw, 'quorum', vs.quorum);
  checkCount(out, vw, 'hysteresis', vs.hysteresis);
  for (const rs of vs.realServers) {
    const rw = rs.where ?? vw;
    checkDuration(out, rw, 'delay_loop', rs.delayLoopMs, false);
    checkDuration(out, rw, 'connect_timeout', rs.connectTimeoutMs, false);
    checkDuration(out, rw, 'delay_before_retry', rs.delayBeforeRetryMs, true);
    checkDuration(out, rw, 'warmup', rs.warmupMs, true);
    checkCount(out, rw, 'retry', rs.retry);
    if (rs.weight !== undefined && (!Number.isInteger(rs.weight) || rs.weight < 0 || rs.weight > 2147483647)) {
      out.push({ severity: 'error', where: rw, message: `weight must be an integer 0..2147483647 (got ${rs.weight})` });
    }
    for (const c of rs.checkers) {
      const cw = c.where ?? rw;
      checkDuration(out, cw, 'delay_loop', c.delayLoopMs, false);
      checkDuration(out, cw, 'connect_timeout', c.connectTimeoutMs, false);
      checkDuration(out, cw, 'delay_before_retry', c.delayBeforeRetryMs, true);
      checkDuration(out, cw, 'warmup', c.warmupMs, true);
      checkCount(out, cw, 'retry', c.retry);
      if (c.connectPort !== undefined && (!Number.isInteger(c.connectPort) || c.connectPort < 1 || c.connectPort > 65535)) {
        out.push({ severity: 'error', where: cw, message: `connect_port must be 1..65535 (got ${c.connectPort})` });
      }
      if (c.type === 'HTTP_GET' || c.type === 'SSL_GET') {
        if (c.urls.length === 0) out.push({ severity: 'error', where: cw, message: `${c.type} needs at least one url { path ... } block` });
        for (const u of c.urls) {
          if (!u.path) out.push({ severity: 'error', where: cw, message: `${c.type} url block without path` });
          if (u.digest !== undefined && !/^[0-9a-fA-F]{32}$/.test(u.digest)) {
            out.push({ severity: 'error', where: cw, message: `digest must be 32 hex digits (MD5 as printed by genhash), got '${u.digest}'` });
          }
          for (const r of u.statusCodes ?? []) {
            if (!Number.isInteger(r.lo) || !Number.isInteger(r.hi) || r.lo < 100 || r.hi > 599) {
              out.push({ severity: 'error', where: cw, message: `status_code ${r.lo}-${r.hi} is outside 100-599` });
            } else if (r.lo > r.hi) {
              out.push({ severity: 'error', where: cw, message: `status_code range ${r.lo}-${r.hi} is out of order; write ${r.hi}-${r.lo}` });
            }
          }
        }
      }
      if (c.type === 'MISC_CHECK') {
        if (!c.misc.argv.length || !c.misc.argv[0]) out.push({ severity: 'error', where: cw, message: 'MISC_CHECK needs misc_path' });
        checkDuration(out, cw, 'misc_timeout', c.miscTimeoutMs, false);
      }
      if (c.type === 'UDP_CHECK' && c.minReplyLength !== undefined && c.maxReplyLength !== undefined && c.minReplyLength > c.maxReplyLength) {
        out.push({ severity: 'error', where: cw, message: `min_reply_length ${c.minReplyLength} > max_reply_length ${c.maxReplyLength}` });
      }
    }
  }
  for (const w of resolveService(vs).warnings) out.push({ severity: 'warning', where: vw, message: w });
  return out;
}
