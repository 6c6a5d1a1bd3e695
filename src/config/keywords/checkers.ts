/**
 * Keyword tables of the real_server checkers (keepalived/check/check_*.c): the common connection and
 * retry keywords, HTTP_GET/SSL_GET with url blocks, MISC_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK,
 * TCP_CHECK, SMTP_CHECK (with its deprecated host blocks), BFD_CHECK and FILE_CHECK.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { defineKeywords, defineTable, ignored, refused, type BlockTable, type KeywordSpec } from './table.js';

/** `status_code 200 300-399 ...` -> [[200,200],[300,399]]. */
function statusCodes(node: ConfNode, sink: DiagnosticSink): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = [];
  for (const w of node.args) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] ? Number(m[2]) : lo;
    if (!m || lo < 100 || hi > 599 || hi < lo) {
      sink.error(node, 'bad-value', `status_code '${w}' is not a code or range within 100-599 (e.g. 200 or 200-299).`);
      return undefined;
    }
    out.push([lo, hi]);
  }
  if (out.length === 0) {
    sink.error(node, 'missing-value', "'status_code' needs at least one code or range, e.g. 'status_code 200-299'.");
    return undefined;
  }
  return out;
}

/** Keywords every checker accepts (install_checker_common_keywords). */
const commonKeywords = defineKeywords({
  retry: { field: 'retry', kind: 'uint', min: 0 },
  delay_before_retry: { field: 'delayBeforeRetryMs', kind: 'timerMs', min: 0 },
  warmup: { field: 'warmupMs', kind: 'timerMs', min: 0 },
  delay_loop: { field: 'delayLoopMs', kind: 'timerMs', min: 0.001 },
  alpha: { field: 'alpha', kind: 'flag' },
  log_all_failures: { field: 'logAllFailures', kind: 'flag' },
});

/** The common keywords plus those of checkers that connect (connect_ip, bindto, connect_timeout ...). */
const connectionKeywords = defineKeywords({
  ...commonKeywords,
  connect_ip: { field: 'connectIp', kind: 'ip' },
  connect_port: { field: 'connectPort', kind: 'uint', min: 1, max: 65535 },
  bindto: { field: 'bindTo', kind: 'ip' },
  bind_port: { field: 'bindPort', kind: 'uint', min: 1, max: 65535 },
  bind_if: { field: 'bindIf', kind: 'string' },
  connect_timeout: { field: 'connectTimeoutMs', kind: 'timerMs', min: 0.001 },
  fwmark: { field: 'fwmark', kind: 'uint', min: 1, max: 0xffffffff },
});

/** url { path; digest; status_code; virtualhost; regex ... }. */
export const urlTable = defineTable('url', {
  path: { field: 'path', kind: 'string' },
  digest: { field: 'digest', kind: 'string' },
  status_code: { field: 'statusCodes', kind: 'custom', parse: statusCodes },
  virtualhost: { field: 'virtualhost', kind: 'string' },
  regex: { field: 'regex', kind: 'string' },
  regex_no_match: ignored('response bodies are not matched against regex'),
  regex_options: ignored('regex options are not applied'),
  regex_min_offset: ignored(),
  regex_max_offset: ignored(),
  regex_stack: ignored(),
});

export const httpTable = defineTable('HTTP_GET', {
  ...connectionKeywords,
  nb_get_retry: { field: 'retry', kind: 'uint', min: 0, preferred: 'retry' },
  virtualhost: { field: 'virtualhost', kind: 'string' },
  http_protocol: { field: 'httpProtocol', kind: 'enum', values: ['1.0', '1.0C', '1.0K', '1.1'] },
  sni_name: refused("it comes from a later keepalived release — 'enable_sni' sends the virtualhost as SNI"),
  tls_compliant: refused('it comes from a later keepalived release — remove it'),
  enable_sni: { field: 'enableSni', kind: 'flag' },
  fast_recovery: { field: 'fastRecovery', kind: 'flag' },
  url: { field: 'urls', kind: 'block', block: urlTable, multiple: true },
});

/** TCP_CHECK (and PING_CHECK): the connection keywords alone. */
export const tcpCheckTable = defineTable('TCP_CHECK', connectionKeywords);

/** MISC_CHECK { misc_path; misc_timeout; misc_dynamic; user } with the common keywords. */
export const miscCheckTable = defineTable('MISC_CHECK', {
  ...commonKeywords,
  misc_path: { field: 'miscPath', kind: 'script' },
  misc_timeout: { field: 'miscTimeoutMs', kind: 'timerMs', min: 0.001 },
  misc_dynamic: { field: 'miscDynamic', kind: 'flag' },
  user: { field: 'user', kind: 'words' },
});

/** DNS_CHECK { type; name } with the connection keywords. */
export const dnsCheckTable = defineTable('DNS_CHECK', {
  ...connectionKeywords,
  type: { field: 'dnsType', kind: 'enum', values: ['A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'] },
  name: { field: 'dnsName', kind: 'string' },
});

/** UDP_CHECK { payload; require_reply; min/max_reply_length } with the connection keywords. */
export const udpCheckTable = defineTable('UDP_CHECK', {
  ...connectionKeywords,
  payload: { field: 'payload', kind: 'string' },
  require_reply: { field: 'requireReply', kind: 'string', bare: '' },
  min_reply_length: { field: 'minReplyLength', kind: 'uint', min: 0, max: 65535 },
  max_reply_length: { field: 'maxReplyLength', kind: 'uint', min: 0, max: 65535 },
});

/** SMTP_CHECK { helo_name; host { ... } } with the connection keywords. */
export const smtpCheckTable = defineTable('SMTP_CHECK', {
  ...connectionKeywords,
  helo_name: { field: 'heloName', kind: 'string', default: 'smtpchecker.keepalived.org' },
  host: { field: 'hosts', kind: 'block', block: { name: 'host', keywords: connectionKeywords }, multiple: true },
});

/** The tables of every checker block, by its keepalived keyword. */
export const checkerTables = {
  TCP_CHECK: tcpCheckTable,
  HTTP_GET: httpTable,
  SSL_GET: { ...httpTable, name: 'SSL_GET' },
  MISC_CHECK: miscCheckTable,
  DNS_CHECK: dnsCheckTable,
  UDP_CHECK: udpCheckTable,
  PING_CHECK: { name: 'PING_CHECK', keywords: connectionKeywords },
  SMTP_CHECK: smtpCheckTable,
} satisfies Record<string, BlockTable>;

/** `weight W [reverse|noreverse]` of FILE_CHECK (keepalived's track_file_weight_handler, any int32). */
function fileWeight(node: ConfNode, sink: DiagnosticSink): { weight: number; reverse: boolean } | undefined {
  const w = /^[-+]?\d+$/.test(node.args[0] ?? '') ? Number(node.args[0]) : NaN;
  const opt = node.args[1];
  if (!Number.isSafeInteger(w) || Math.abs(w) > 2147483647 || (opt !== undefined && opt !== 'reverse' && opt !== 'noreverse')) {
    sink.error(
      node,
      'bad-value',
      `FILE_CHECK 'weight' takes an integer and optionally 'reverse' (got '${node.args.join(' ')}'); keepalived ignores it — write e.g. 'weight -10 reverse'.`,
    );
    return undefined;
  }
  return { weight: w, reverse: opt === 'reverse' };
}

/** BFD_CHECK { name; alpha }: no common keywords. */
export const bfdCheckTable = defineTable('BFD_CHECK', { name: { field: 'bfdName', kind: 'string' }, alpha: { field: 'alpha', kind: 'bool', bare: true } });

/** FILE_CHECK { track_file; weight }: no common keywords. */
export const fileCheckTable = defineTable('FILE_CHECK', {
  track_file: { field: 'trackFile', kind: 'string' },
  weight: { field: 'fileWeight', kind: 'custom', parse: fileWeight },
});

/** Checkers without the common keywords: BFD_CHECK and FILE_CHECK. */
export const eventCheckerTables = { BFD_CHECK: bfdCheckTable, FILE_CHECK: fileCheckTable } satisfies Record<string, BlockTable>;

/** Checker keywords keepalived knows that ulvs accepts without running them (none left). */
export const ignoredCheckers: Record<string, KeywordSpec> = {};
