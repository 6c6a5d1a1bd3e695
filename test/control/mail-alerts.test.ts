// Mail alerts: keepalived's subjects and bodies, the bounded queue that never blocks, and real delivery to an
// SMTP server (aiosmtpd) through nodemailer — the received message compared header by header.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MailAlerts, nodemailerSender, formatVs, type AlertMail } from '../../src/control/mail-alerts.js';
import type { SmtpAlertConfig } from '../../src/config/types.js';
import type { HealthServiceSpec, RealServerChange } from '../../src/health/types.js';

const PY = '/usr/bin/python3';
const haveAiosmtpd = spawnSync(PY, ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status === 0;

const cfg = (over: Partial<SmtpAlertConfig> = {}): SmtpAlertConfig => ({
  server: '127.0.0.1',
  port: 25,
  heloName: 'lb1',
  from: 'lb1@example.net',
  to: ['ops@example.net', 'noc@example.net'],
  connectTimeoutMs: 1000,
  routerId: 'LB1',
  noEmailFaults: false,
  noCheckerEmails: false,
  instances: ['VI_1'],
  groups: [{ name: 'G', instances: ['VI_1', 'VI_2'] }],
  realServers: ['TCP 192.0.2.10:80\n10.0.0.1:80'],
  ...over,
});
const vs: HealthServiceSpec = {
  id: 'TCP 192.0.2.10:80',
  keys: [{ kind: 'addr', protocol: 'tcp', family: 4, address: '192.0.2.10', port: 80 }],
  vips: [],
  realServers: [],
};
const change = (alive: boolean, reason: string): RealServerChange => ({
  service: vs.id,
  realServer: '10.0.0.1:80',
  address: '10.0.0.1',
  port: 80,
  alive,
  inService: alive,
  weight: 1,
  reason,
});

function recorder(fail = false) {
  const got: AlertMail[] = [];
  const m = new MailAlerts(async (_c, mail) => {
    got.push(mail);
    if (fail) throw new Error('connection refused');
  });
  m.log = () => {};
  return { m, got };
}

t.test("VRRP instance and sync group mails in keepalived's words; repeats and unalerting instances send nothing", async (t) => {
  const { m, got } = recorder();
  m.configure(cfg(), [vs]);
  m.vrrp('VI_1', 'BACKUP');
  m.vrrp('VI_1', 'BACKUP');
  m.vrrp('VI_2', 'MASTER');
  m.vrrp('VI_1', 'MASTER');
  await m.idle();
  t.same(got, [
    { subject: '[LB1] VRRP Instance VI_1 - Entering BACKUP state', body: '=> VRRP Instance is no longer owning VRRP VIPs <=' },
    { subject: '[LB1] VRRP Instance VI_1 - Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=' },
    { subject: '[LB1] VRRP Group G - Entering MASTER state', body: '=> All VRRP group instances are now in MASTER state <=' },
  ]);
  const f = recorder();
  f.m.configure(cfg({ noEmailFaults: true }), [vs]);
  f.m.vrrp('VI_1', 'FAULT');
  await f.m.idle();
  t.same(f.got, [], 'no_email_faults');
});

t.test('real server mails name the real and virtual server as keepalived formats them', async (t) => {
  const { m, got } = recorder();
  m.configure(cfg(), [vs]);
  m.realServer(change(false, 'TCP_CHECK down: connect failed: ECONNREFUSED'));
  m.realServer(change(true, 'SMTP_CHECK up: SMTP HELO answered 250'));
  m.realServer({ ...change(false, 'TCP_CHECK down: x'), realServer: '10.0.0.2:80', address: '10.0.0.2' });
  await m.idle();
  t.same(got, [
    { subject: '[LB1] Realserver [10.0.0.1]:tcp:80 of virtual server [192.0.2.10]:tcp:80 - DOWN', body: '=> TCP CHECK failed on service <=' },
    { subject: '[LB1] Realserver [10.0.0.1]:tcp:80 of virtual server [192.0.2.10]:tcp:80 - UP', body: '=> CHECK succeed on service <=' },
  ]);
  t.equal(formatVs({ ...vs, id: 'FWM 5', keys: [{ kind: 'fwmark', fwmark: 5, family: 4 }] }), 'FWM 5');
});

t.test('a dead server never blocks: failures are counted, the queue is bounded', async (t) => {
  const { m } = recorder(true);
  m.configure(cfg(), [vs]);
  for (let i = 0; i < 3; i++) {
    m.vrrp('VI_1', 'MASTER');
    m.vrrp('VI_1', 'BACKUP');
  }
  await m.idle();
  t.match(m.stats(), { sent: 0, failed: 6, queued: 0 });
  let release: () => void = () => {};
  const slow = new MailAlerts(
    () =>
      new Promise<void>((r) => {
        release = r;
      }),
    4,
  );
  slow.log = () => {};
  slow.configure(cfg(), [vs]);
  for (let i = 0; i < 10; i++) slow.vrrp('VI_1', i % 2 ? 'MASTER' : 'BACKUP');
  t.match(slow.stats(), { queued: 4, dropped: 5 }, 'one in flight, 4 queued, the rest dropped');
  slow.close();
  release();
});

t.test('delivered to a real SMTP server (aiosmtpd): envelope, headers and body', { skip: !haveAiosmtpd && 'python3-aiosmtpd is not installed' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ulvs-mail-'));
  const port = 21000 + (process.pid % 20000);
  const p = spawn(PY, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'mbox')], { stdio: 'ignore' });
  t.teardown(() => {
    p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const c = cfg({ port });
  let err: unknown;
  for (let i = 0; i < 50; i++) {
    try {
      await nodemailerSender(c, { subject: '[LB1] VRRP Instance VI_1 - Entering MASTER state', body: '=> VRRP Instance is now owning VRRP VIPs <=' });
      err = undefined;
      break;
    } catch (e) {
      err = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  t.equal(err, undefined, 'sent');
  const files = readdirSync(join(dir, 'mbox', 'new'));
  t.equal(files.length, 1, 'one message in the mailbox');
  const msg = readFileSync(join(dir, 'mbox', 'new', files[0]!), 'utf8');
  t.match(msg, /^Subject: \[LB1\] VRRP Instance VI_1 - Entering MASTER state$/m);
  t.match(msg, /^From: lb1@example\.net$/m);
  t.match(msg, /^To: ops@example\.net, noc@example\.net$/m);
  t.match(msg, /^X-Mailer: Keepalived$/m);
  t.match(msg, /^Date: /m);
  t.match(msg, /^X-RcptTo: ops@example\.net, noc@example\.net$/m);
  t.match(msg, /=> VRRP Instance is now owning VRRP VIPs <=/);
});
