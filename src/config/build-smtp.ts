/**
 * Mail alert settings (keepalived core/global_parser.c, global_data.c, vrrp.c and check_data.c): the server,
 * the addresses, and which VRRP instances, sync groups and real servers alert. keepalived's defaults:
 * smtp_alert of an instance or group falls back to smtp_alert_vrrp then smtp_alert (else off); of a
 * virtual server to smtp_alert_checker then smtp_alert; a real server takes its virtual server's. Mail
 * goes out only with both notification_email and smtp_server; what is set without them is warned about.
 */
import { hostname, userInfo } from 'node:os';
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { globalDefsTable } from './keywords/root.js';
import { at, fieldsOf, type RawBlock } from './keywords/table.js';
import { vrrpInstanceTable, vrrpSyncGroupTable } from './keywords/vrrp.js';
import { canonicalIp } from './values.js';
import { realServerId, type HealthServiceSpec } from '../health/types.js';
import type { SmtpAlertConfig } from './types.js';

/** keepalived's DEFAULT_SMTP_CONNECTION_TIMEOUT (30 s). */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** A host name as keepalived's domain_stosockaddr takes it (letters, digits, dots, hyphens). */
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

function localName(): string {
  return hostname();
}

function defaultFrom(): string {
  let user = 'root';
  try {
    user = userInfo().username;
  } catch {
    /* keep root */
  }
  return `${user}@${localName()}`;
}

/** `smtp_server HOST [PORT]` -> host and port, or undefined (reported). */
function smtpServer(words: string[], pos: Pos, sink: DiagnosticSink): { server: string; port: number } | undefined {
  const [host, portWord, ...rest] = words;
  if (!host) {
    sink.error(pos, 'missing-value', "'smtp_server' needs an address or host name and optionally a port: smtp_server 192.0.2.25 25.");
    return undefined;
  }
  const port = portWord === undefined ? 25 : Number(portWord);
  if (!Number.isInteger(port) || port < 1 || port > 65535 || rest.length > 0) {
    sink.error(
      pos,
      'bad-value',
      `'smtp_server ${words.join(' ')}' is not HOST [PORT] with a port 1-65535; keepalived reports "Invalid smtp server" — fix the port.`,
    );
    return undefined;
  }
  const ip = canonicalIp(host);
  if (!ip && !HOSTNAME.test(host)) {
    sink.error(pos, 'bad-value', `smtp_server '${host}' is neither an IP address nor a host name; keepalived reports "Invalid smtp server" — fix it.`);
    return undefined;
  }
  return { server: ip ? ip.address : host, port };
}

/** Input of buildSmtp(): the merged global_defs and the built blocks that may alert. */
export interface SmtpInputs {
  global: RawBlock | undefined;
  instances: RawBlock[];
  groups: RawBlock[];
  health: HealthServiceSpec[];
  routerId?: string;
}

/** Resolves the mail alert settings; undefined when no mail can be sent (with a warning when alerts were asked for). */
export function buildSmtp(inp: SmtpInputs, sink: DiagnosticSink): SmtpAlertConfig | undefined {
  const g = inp.global;
  const globalAlert = fieldsOf(globalDefsTable, g).smtpAlert;
  const vrrpDefault = fieldsOf(globalDefsTable, g).smtpAlertVrrp ?? globalAlert ?? false;
  const checkerDefault = fieldsOf(globalDefsTable, g).smtpAlertChecker ?? globalAlert ?? false;
  const instances = inp.instances.filter((r) => r.args[0] && (fieldsOf(vrrpInstanceTable, r).smtpAlert ?? vrrpDefault)).map((r) => r.args[0]!);
  const groups = inp.groups
    .filter((r) => r.args[0] && (fieldsOf(vrrpSyncGroupTable, r).smtpAlert ?? vrrpDefault))
    .map((r) => ({ name: r.args[0]!, instances: (fieldsOf(vrrpSyncGroupTable, r).group ?? []).map((l) => l.words[0]!).filter(Boolean) }));
  const realServers: string[] = [];
  for (const vs of inp.health) {
    const vsAlert = vs.smtpAlert ?? checkerDefault;
    for (const rs of vs.realServers) if (rs.smtpAlert ?? vsAlert) realServers.push(`${vs.id}\n${realServerId(rs.address, rs.port)}`);
  }
  const alerting = instances.length + groups.length + realServers.length > 0;
  const to = (fieldsOf(globalDefsTable, g).notificationEmail ?? []).map((l) => l.words[0]!).filter(Boolean);
  const serverWords = fieldsOf(globalDefsTable, g).smtpServer;
  const server = g && serverWords ? smtpServer(serverWords, at(g, 'smtpServer'), sink) : undefined;
  const where = (field: string): Pos | undefined => (g?.at[field] ? g.at[field] : undefined);
  const emailPos = where('notificationEmail');
  if (emailPos && to.length === 0)
    sink.warn(
      emailPos,
      'not-implemented',
      '\'notification_email\' is empty, so no mail is sent (keepalived: "empty notification_email block"); add an address.',
    );
  if (!server || to.length === 0) {
    if ((alerting || serverWords || to.length) && !(serverWords && !server)) {
      const missing = !serverWords ? "'smtp_server'" : "'notification_email { ADDRESS }'";
      const pos = where('smtpServer') ?? emailPos ?? where('smtpAlert') ?? inp.instances.find((r) => r.at.smtpAlert)?.at.smtpAlert ?? g?.pos;
      if (pos) sink.warn(pos, 'not-implemented', `mail alerts have no effect: global_defs has no ${missing}, so keepalived and ulvs send no mail — add it.`);
    }
    return undefined;
  }
  if (!alerting) {
    sink.warn(
      where('smtpServer')!,
      'not-implemented',
      "'smtp_server' and 'notification_email' are set but nothing has smtp_alert on, so no mail is sent (keepalived's default is off) — add 'smtp_alert' to global_defs, a vrrp_instance or a virtual_server.",
    );
    return undefined;
  }
  const timeoutS = fieldsOf(globalDefsTable, g).smtpConnectTimeoutS;
  return {
    ...server,
    heloName: fieldsOf(globalDefsTable, g).smtpHeloName ?? localName(),
    from: fieldsOf(globalDefsTable, g).notificationEmailFrom ?? defaultFrom(),
    to,
    connectTimeoutMs: timeoutS === undefined ? DEFAULT_CONNECT_TIMEOUT_MS : Math.max(1, timeoutS) * 1000,
    routerId: inp.routerId ?? localName(),
    noEmailFaults: fieldsOf(globalDefsTable, g).noEmailFaults ?? false,
    noCheckerEmails: fieldsOf(globalDefsTable, g).noCheckerEmails ?? false,
    instances,
    groups,
    realServers,
  };
}
