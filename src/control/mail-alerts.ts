/**
 * keepalived's mail alerts (core/smtp.c smtp_alert, vrrp/vrrp_notify.c vrrp_smtp_notifier, the checkers'
 * smtp_alert calls): a mail per VRRP instance / sync group transition and per real server up/down, with
 * keepalived's subject and body lines and its headers (From, To, Subject, Date, X-Mailer: Keepalived),
 * sent through nodemailer to smtp_server without STARTTLS or auth, as keepalived does. Sending never
 * blocks or throws: mails wait in a bounded queue (oldest dropped when full), one connection at a time,
 * every step bounded by smtp_connect_timeout, and failures are counted and logged.
 */
import nodemailer from 'nodemailer';
import type { SmtpAlertConfig } from '../config/types.js';
import type { HealthServiceSpec, RealServerChange } from '../health/types.js';

/** One mail as keepalived composes it. */
export interface AlertMail {
  subject: string;
  body: string;
}

/** Sends one mail; rejects on failure. */
export type MailSender = (cfg: SmtpAlertConfig, mail: AlertMail) => Promise<void>;

/** Counters of the alert queue. */
export interface MailAlertStats {
  sent: number;
  failed: number;
  /** Dropped because the queue was full. */
  dropped: number;
  queued: number;
}

/** Most mails waiting at once; a flapping service cannot grow memory without bound. */
export const MAIL_QUEUE_MAX = 32;

/** keepalived's VRRP instance subject tail and body per state (vrrp_smtp_notifier). */
const INSTANCE_TEXT: Record<string, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> VRRP Instance is now owning VRRP VIPs <='],
  BACKUP: ['Entering BACKUP state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
  FAULT: ['Entering FAULT state', '=> VRRP Instance is no longer owning VRRP VIPs <='],
};

/** keepalived's sync group subject tail and body per state (vrrp_sync_smtp_notifier). */
const GROUP_TEXT: Record<string, [string, string]> = {
  MASTER: ['Entering MASTER state', '=> All VRRP group instances are now in MASTER state <='],
  BACKUP: ['Entering BACKUP state', '=> All VRRP group instances are now in BACKUP state <='],
  FAULT: ['Entering FAULT state', '=> All VRRP group instances are now in FAULT state <='],
};

/** The mail of a VRRP instance entering `state`, or undefined when keepalived sends none. */
export function instanceMail(cfg: SmtpAlertConfig, instance: string, state: string): AlertMail | undefined {
  const text = INSTANCE_TEXT[state];
  if (!text || (state === 'FAULT' && cfg.noEmailFaults)) return undefined;
  return { subject: `[${cfg.routerId}] VRRP Instance ${instance} - ${text[0]}`, body: text[1] };
}

/** The mail of a sync group entering `state`, or undefined. */
export function groupMail(cfg: SmtpAlertConfig, group: string, state: string): AlertMail | undefined {
  const text = GROUP_TEXT[state];
  if (!text || (state === 'FAULT' && cfg.noEmailFaults)) return undefined;
  return { subject: `[${cfg.routerId}] VRRP Group ${group} - ${text[0]}`, body: text[1] };
}

/** keepalived's inet_sockaddrtotrio: `[addr]:proto:port`. */
function trio(address: string, protocol: string, port: number): string {
  return `[${address}]:${protocol}:${port}`;
}

/** keepalived's format_vs: `[addr]:proto:port`, `FWM n` or `[group]:port`. */
export function formatVs(vs: HealthServiceSpec): string {
  const k = vs.keys[0];
  if (vs.id.startsWith('group ')) return `[${vs.id.slice(6)}]:0`;
  if (!k) return vs.id;
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}`;
  return trio(k.address, k.protocol, k.port);
}

/** The body line a checker type sends (check_tcp.c, check_http.c, check_udp.c, check_dns.c, check_ping.c, check_misc.c, check_smtp.c). */
export function checkerBody(type: string, up: boolean, reason: string): string {
  switch (type) {
    case 'TCP_CHECK':
      return `=> TCP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'UDP_CHECK':
      return `=> UDP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'PING_CHECK':
      return `=> ICMP CHECK ${up ? 'succeed' : 'failed'} on service <=`;
    case 'DNS_CHECK':
      return `=> DNS_CHECK: ${up ? 'succeed' : 'failed'} on service <=`;
    case 'MISC_CHECK':
      return `=> MISC CHECK ${up ? 'succeeded' : 'failed'} on service <=`;
    default:
      return up ? '=> CHECK succeed on service <=' : `=> CHECK failed on service : ${reason} <=`;
  }
}

/** The mail of a real server change, or undefined when it does not alert. */
export function realServerMail(cfg: SmtpAlertConfig, vs: HealthServiceSpec | undefined, e: RealServerChange): AlertMail | undefined {
  if (!vs || !cfg.realServers.includes(`${e.service}\n${e.realServer}`)) return undefined;
  const k = vs.keys[0];
  const protocol = k?.kind === 'addr' ? k.protocol : 'tcp';
  const removed = e.reason === 'removed from configuration';
  const m = /^([A-Z_]+) (?:up|down)(?:: (.*))?$/.exec(e.reason);
  const body = removed ? '=> Removing <=' : checkerBody(m?.[1] ?? '', e.alive, m?.[2] ?? e.reason);
  return { subject: `[${cfg.routerId}] Realserver ${trio(e.address, protocol, e.port)} of virtual server ${formatVs(vs)} - ${e.alive ? 'UP' : 'DOWN'}`, body };
}

/** Sends with nodemailer: plain SMTP (no STARTTLS, no auth), HELO name and timeouts from the config. */
export const nodemailerSender: MailSender = async (cfg, mail) => {
  const transport = nodemailer.createTransport({
    host: cfg.server,
    port: cfg.port,
    secure: false,
    ignoreTLS: true,
    name: cfg.heloName,
    connectionTimeout: cfg.connectTimeoutMs,
    greetingTimeout: cfg.connectTimeoutMs,
    socketTimeout: cfg.connectTimeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    await transport.sendMail({
      from: cfg.from,
      to: cfg.to.join(', '),
      subject: mail.subject,
      text: mail.body,
      date: new Date(),
      headers: { 'X-Mailer': 'Keepalived' },
      envelope: { from: cfg.from, to: cfg.to },
    });
  } finally {
    transport.close();
  }
};

/** The daemon's alert mailer: configure() on start and reload; vrrp()/realServer() queue mails. */
export class MailAlerts {
  private cfg: SmtpAlertConfig | undefined;
  private services = new Map<string, HealthServiceSpec>();
  private queue: Array<{ cfg: SmtpAlertConfig; mail: AlertMail }> = [];
  private sending = false;
  private lastInstance = new Map<string, string>();
  private instanceState = new Map<string, string>();
  private lastGroup = new Map<string, string>();
  private counts = { sent: 0, failed: 0, dropped: 0 };

  /** Where failures and drops are reported (the daemon sets its logger's warn). */
  log: (m: string) => void = (m) => process.stderr.write(`ulvs: ${m}\n`);

  constructor(
    private readonly send: MailSender = nodemailerSender,
    private readonly max = MAIL_QUEUE_MAX,
  ) {}

  /** Takes the config's mail settings (undefined: alerts off) and its virtual services (for subjects). */
  configure(cfg: SmtpAlertConfig | undefined, health: readonly HealthServiceSpec[] = []): void {
    this.cfg = cfg;
    this.services = new Map(health.map((s) => [s.id, s]));
  }

  /** A VRRP instance changed state: its mail (keepalived skips repeats of the last mailed state), and its groups'. */
  vrrp(instance: string, state: string): void {
    const cfg = this.cfg;
    this.instanceState.set(instance, state);
    if (!cfg) return;
    if (cfg.instances.includes(instance) && this.lastInstance.get(instance) !== state) {
      const mail = instanceMail(cfg, instance, state);
      if (mail) {
        this.lastInstance.set(instance, state);
        this.enqueue(cfg, mail);
      }
    }
    for (const g of cfg.groups) {
      if (!g.instances.includes(instance) || !g.instances.every((i) => this.instanceState.get(i) === state)) continue;
      if (this.lastGroup.get(g.name) === state) continue;
      const mail = groupMail(cfg, g.name, state);
      if (mail) {
        this.lastGroup.set(g.name, state);
        this.enqueue(cfg, mail);
      }
    }
  }

  /** A real server went up or down (or was removed). */
  realServer(e: RealServerChange): void {
    const cfg = this.cfg;
    if (!cfg) return;
    const mail = realServerMail(cfg, this.services.get(e.service), e);
    if (mail) this.enqueue(cfg, mail);
  }

  /** Counters for logs and tests. */
  stats(): MailAlertStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /** Resolves when the queue is empty and nothing is being sent (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.sending || this.queue.length) await new Promise((r) => setTimeout(r, 20));
  }

  /** Drops what is still queued (the daemon is stopping). */
  close(): void {
    this.queue = [];
  }

  private enqueue(cfg: SmtpAlertConfig, mail: AlertMail): void {
    if (this.queue.length >= this.max) {
      this.queue.shift();
      this.counts.dropped++;
      this.log(`mail alert queue full (${this.max}); the oldest alert is dropped (${this.counts.dropped} so far)`);
    }
    this.queue.push({ cfg, mail });
    if (!this.sending) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        try {
          await this.send(next.cfg, next.mail);
          this.counts.sent++;
        } catch (e) {
          this.counts.failed++;
          this.log(`mail alert "${next.mail.subject}" to ${next.cfg.server}:${next.cfg.port} failed (${this.counts.failed} so far): ${(e as Error).message}`);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}

let shared: MailAlerts | undefined;

/** The process's mailer (one daemon per process), fed by the VRRP and health adapters. */
export function mailAlerts(): MailAlerts {
  shared ??= new MailAlerts();
  return shared;
}
