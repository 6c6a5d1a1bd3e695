/**
 * Checker blocks (TCP_CHECK, HTTP_GET/SSL_GET with url blocks, MISC_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK,
 * SMTP_CHECK with host blocks) -> the health contract's CheckerSpec. Absent keywords stay undefined: src/health/resolve.ts applies
 * keepalived's inheritance checker -> real_server -> virtual_server -> type default.
 */
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import {
  bfdCheckTable,
  dnsCheckTable,
  fileCheckTable,
  httpTable,
  miscCheckTable,
  smtpCheckTable,
  tcpCheckTable,
  udpCheckTable,
  urlTable,
} from './keywords/checkers.js';
import { at, type BlockTable, type FieldName, fieldsOf, type RawBlock, type ScriptValue } from './keywords/table.js';
import type { ScriptUse } from './script-use.js';
import type { CheckerSpec, ScriptSpec, UrlSpec } from '../health/types.js';

/** Copies the fields of `raw` (made with `table`) named in `fields` onto `out` when present (undefined = inherit, per the health contract). */
export function copy<T extends BlockTable>(table: T, out: Record<string, unknown>, raw: RawBlock, fields: readonly FieldName<T>[]): void {
  for (const f of fields) {
    const v = raw.fields[f];
    if (v !== undefined) out[f] = v;
  }
}

const COMMON_FIELDS = [
  'connectIp',
  'connectPort',
  'bindTo',
  'bindPort',
  'bindIf',
  'fwmark',
  'connectTimeoutMs',
  'retry',
  'delayBeforeRetryMs',
  'delayLoopMs',
  'warmupMs',
  'alpha',
  'logAllFailures',
] as const;

function hexBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Builds one checker of a real server whose port is rsPort; undefined when unusable (reported). */
export function buildChecker(raw: RawBlock, rsPort: number, sink: DiagnosticSink, uses: ScriptUse[]): CheckerSpec | undefined {
  const type = raw.table as CheckerSpec['type'];
  const common: Record<string, unknown> = { type, where: posString(raw.pos) };
  copy(tcpCheckTable, common, raw, COMMON_FIELDS);
  if (type === 'BFD_CHECK' || type === 'FILE_CHECK') return eventChecker(raw, common, sink);
  if (type === 'HTTP_GET' || type === 'SSL_GET') {
    const urls: UrlSpec[] = [];
    for (const u of fieldsOf(httpTable, raw).urls ?? []) {
      const path = fieldsOf(urlTable, u).path;
      if (!path) {
        sink.error(u.pos, 'missing-path', `url block of ${type} has no 'path'; keepalived drops it — add 'path /'.`);
        continue;
      }
      const url: UrlSpec = { path };
      const codes = fieldsOf(urlTable, u).statusCodes;
      if (codes) url.statusCodes = codes.map(([lo, hi]) => ({ lo, hi }));
      const digest = fieldsOf(urlTable, u).digest;
      if (digest !== undefined) {
        if (!/^[0-9a-fA-F]{32}$/.test(digest))
          sink.error(at(u, 'digest'), 'bad-value', `digest '${digest}' is not 32 hex digits (an MD5 sum; genhash prints it).`);
        else url.digest = digest.toLowerCase();
      }
      const vh = fieldsOf(urlTable, u).virtualhost;
      if (vh !== undefined) url.virtualhost = vh;
      if (fieldsOf(urlTable, u).regex !== undefined)
        sink.warn(
          at(u, 'regex'),
          'not-implemented',
          "'regex' is accepted but has no effect in ulvs: response bodies are not matched against it (use 'digest', or a MISC_CHECK with curl | grep).",
        );
      urls.push(url);
    }
    if (urls.length === 0) sink.error(raw.pos, 'missing-url', `${type} needs at least one url { path ... } block; without one it checks nothing.`);
    copy(httpTable, common, raw, ['virtualhost', 'httpProtocol', 'enableSni', 'fastRecovery']);
    common.urls = urls;
  } else if (type === 'MISC_CHECK') {
    const script = fieldsOf(miscCheckTable, raw).miscPath;
    if (!script) {
      sink.error(raw.pos, 'missing-script', 'MISC_CHECK needs \'misc_path "/path/to/check args"\'; the checker is skipped.');
      return undefined;
    }
    uses.push({ script, keyword: 'misc_path' });
    const misc = scriptSpec(script)!;
    const user = fieldsOf(miscCheckTable, raw).user;
    if (user?.length) {
      misc.user = user[0]!;
      if (user[1]) misc.group = user[1];
    }
    common.misc = misc;
    copy(miscCheckTable, common, raw, ['miscTimeoutMs', 'miscDynamic']);
  } else if (type === 'SMTP_CHECK') {
    copy(smtpCheckTable, common, raw, ['heloName']);
  } else if (type === 'DNS_CHECK') {
    copy(dnsCheckTable, common, raw, ['dnsType']);
    const name = fieldsOf(dnsCheckTable, raw).dnsName;
    if (name !== undefined) common.name = name;
  } else if (type === 'UDP_CHECK') {
    copy(udpCheckTable, common, raw, ['minReplyLength', 'maxReplyLength']);
    const payload = fieldsOf(udpCheckTable, raw).payload;
    if (payload !== undefined) {
      if (!/^([0-9a-fA-F]{2})+$/.test(payload)) sink.error(at(raw, 'payload'), 'bad-value', `payload '${payload}' is not an even number of hex digits.`);
      else common.payload = hexBytes(payload);
    }
    const reply = fieldsOf(udpCheckTable, raw).requireReply;
    if (reply !== undefined) {
      common.requireReply = true;
      if (reply !== '') {
        if (!/^([0-9a-fA-FxX]{2})+$/.test(reply))
          sink.error(at(raw, 'requireReply'), 'bad-value', `require_reply '${reply}' is not an even number of hex digits (X = any nibble).`);
        else common.requireReplyPattern = reply;
      }
    }
    const min = fieldsOf(udpCheckTable, raw).minReplyLength ?? 0;
    const max = fieldsOf(udpCheckTable, raw).maxReplyLength ?? 255;
    if (min > max) sink.error(raw.pos, 'bad-value', `min_reply_length ${min} exceeds max_reply_length ${max}.`);
  }
  const port = fieldsOf(tcpCheckTable, raw).connectPort ?? rsPort;
  if (type !== 'PING_CHECK' && type !== 'MISC_CHECK' && port === 0) {
    sink.error(raw.pos, 'missing-port', `${type} has no port to connect to (the real server has none); add 'connect_port N'.`);
  }
  return common as unknown as CheckerSpec;
}

/**
 * BFD_CHECK / FILE_CHECK: keepalived drives them by events (BFD state changes, inotify); ulvs looks at
 * the session / the file every 500 ms / 1 s without retries. The names are resolved in load-config.ts
 * (resolveEventCheckers), where the bfd_instance and track_file blocks are known.
 */
function eventChecker(raw: RawBlock, common: Record<string, unknown>, sink: DiagnosticSink): CheckerSpec | undefined {
  const bfd = raw.table === 'BFD_CHECK';
  const name = bfd ? fieldsOf(bfdCheckTable, raw).bfdName : fieldsOf(fileCheckTable, raw).trackFile;
  if (!name) {
    sink.warn(
      raw.pos,
      'missing-name',
      bfd
        ? "BFD_CHECK has no 'name'; keepalived skips it, as ulvs does — add 'name BFD_INSTANCE'."
        : "FILE_CHECK has no track_file specified; keepalived ignores it, as ulvs does — add 'track_file NAME'.",
    );
    return undefined;
  }
  Object.assign(common, { delayLoopMs: bfd ? 500 : 1000, retry: 0, delayBeforeRetryMs: 0, warmupMs: 0 });
  if (bfd) common.name = name;
  else {
    common.trackFile = name;
    const w = fieldsOf(fileCheckTable, raw).fileWeight;
    if (w) {
      common.weight = w.weight;
      common.reverse = w.reverse;
    }
  }
  return common as unknown as CheckerSpec;
}

const CONNECTION_FIELDS = ['connectIp', 'connectPort', 'bindTo', 'bindPort', 'bindIf', 'fwmark', 'connectTimeoutMs'] as const;

/**
 * Builds the checkers of one checker block: one, or for SMTP_CHECK one per (deprecated) `host` block plus the
 * block's own unless it has hosts and no connection keyword of its own (keepalived smtp_check_end_handler).
 */
export function buildCheckers(raw: RawBlock, rsPort: number, sink: DiagnosticSink, uses: ScriptUse[]): CheckerSpec[] {
  const main = buildChecker(raw, rsPort, sink, uses);
  if (!main) return [];
  const hosts = fieldsOf(smtpCheckTable, raw).hosts ?? [];
  if (raw.table !== 'SMTP_CHECK' || hosts.length === 0) return [main];
  sink.note(hosts[0]!.pos, 'deprecated', 'the SMTP_CHECK host block is deprecated (keepalived says so too); define one SMTP_CHECK per host instead.');
  const own = CONNECTION_FIELDS.some((f) => raw.fields[f] !== undefined);
  const out: CheckerSpec[] = own ? [main] : [];
  for (const h of hosts) {
    const c: Record<string, unknown> = { ...main, where: posString(h.pos) };
    for (const f of CONNECTION_FIELDS) delete c[f];
    copy(tcpCheckTable, c, h, COMMON_FIELDS);
    out.push(c as unknown as CheckerSpec);
  }
  return out;
}

/** Converts a parsed script line to the health contract's ScriptSpec. */
export function scriptSpec(s: ScriptValue | undefined): ScriptSpec | undefined {
  if (!s) return undefined;
  const out: ScriptSpec = { argv: s.argv, where: posString(s.pos) };
  if (s.user) out.user = s.user;
  if (s.group) out.group = s.group;
  return out;
}
