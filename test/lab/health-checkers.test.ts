/**
 * Lab: health checkers against real servers in their own network namespace. A checker namespace runs the
 * health runner; a real-server namespace runs HTTP, HTTPS (self-signed cert made here with openssl), TCP
 * and UDP servers. Each failure kind must take the real server out after exactly retry+1 failed attempts
 * and bring it back after recovery.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { run, runOk } from '../../src/util/exec.js';
import { HealthManager } from '../../src/health/manager.js';
import type { HealthServiceSpec, RealServerChange } from '../../src/health/types.js';

const notRoot = process.getuid?.() !== 0 && 'needs root (network namespaces, iptables)';
const BODY = 'ulvs real server body\n';
const DIGEST = createHash('md5').update(BODY).digest('hex');

const SERVER_JS = `
const fs = require('fs'), http = require('http'), https = require('https'), net = require('net'), dgram = require('dgram');
const dir = process.argv[1];
const mode = () => { try { return fs.readFileSync(dir + '/mode', 'utf8').trim(); } catch { return 'ok'; } };
const handler = (req, res) => {
  const m = mode();
  if (m === '500') { res.writeHead(500); return res.end('error'); }
  if (m === 'digest') { res.writeHead(200); return res.end('something else'); }
  if (m === 'slow') { res.writeHead(200, { 'content-length': String(${BODY.length}) }); res.write('ulvs'); return setTimeout(() => res.end(${JSON.stringify(BODY.slice(4))}), 4000); }
  res.writeHead(200, { 'content-type': 'text/plain' }); res.end(${JSON.stringify(BODY)});
};
http.createServer(handler).listen(80, '0.0.0.0');
https.createServer({ key: fs.readFileSync(dir + '/key.pem'), cert: fs.readFileSync(dir + '/cert.pem') }, handler).listen(443, '0.0.0.0');
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(9000, '0.0.0.0');
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(Buffer.from('pong'), r.port, r.address)); u.bind(5300, '0.0.0.0');
setTimeout(() => process.stdout.write('ready\\n'), 200);
`;

interface Ev {
  event: string;
  realServer?: string;
  ok?: boolean;
  alive?: boolean;
  inService?: boolean;
  reason?: string;
  type?: string;
}

t.test('checkers in network namespaces', { skip: notRoot, timeout: 120_000 }, async (t) => {
  const id = `ulvs-h${process.pid % 10000}${randomBytes(2).toString('hex')}`;
  const nsC = `${id}-c`;
  const nsR = `${id}-r`;
  const vethC = `hc${randomBytes(3).toString('hex')}`;
  const vethR = `hr${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-health-lab-'));
  chmodSync(dir, 0o755);
  const children: ChildProcess[] = [];
  t.teardown(async () => {
    for (const c of children)
      if (c.exitCode === null && c.pid)
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await run(['ip', 'netns', 'del', nsC]);
    await run(['ip', 'netns', 'del', nsR]);
    rmSync(dir, { recursive: true, force: true });
  });
  await runOk(['ip', 'netns', 'add', nsC]);
  await runOk(['ip', 'netns', 'add', nsR]);
  await runOk(['ip', 'link', 'add', vethC, 'netns', nsC, 'type', 'veth', 'peer', 'name', vethR, 'netns', nsR]);
  await runOk(['ip', 'addr', 'add', '10.77.0.1/24', 'dev', vethC], { netns: nsC });
  await runOk(['ip', 'addr', 'add', '10.77.0.2/24', 'dev', vethR], { netns: nsR });
  for (const [ns, dev] of [
    [nsC, vethC],
    [nsR, vethR],
  ]) {
    await runOk(['ip', 'link', 'set', 'lo', 'up'], { netns: ns });
    await runOk(['ip', 'link', 'set', dev, 'up'], { netns: ns });
  }
  await runOk([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${dir}/key.pem`,
    '-out',
    `${dir}/cert.pem`,
    '-days',
    '1',
    '-subj',
    '/CN=rs.ulvs.test',
  ]);
  const setMode = (m: string) => writeFileSync(`${dir}/mode`, m);
  setMode('ok');

  let server: ChildProcess | null = null;
  const startServer = async () => {
    const s = spawn('ip', ['netns', 'exec', nsR, process.execPath, '-e', SERVER_JS, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(s);
    await new Promise<void>((resolve) => s.stdout!.once('data', () => resolve()));
    server = s;
  };
  const killServer = async () => {
    const s = server!;
    // ip netns exec execs the program, so this PID is the node server itself.
    await new Promise((r) => {
      s.once('exit', r);
      process.kill(s.pid!, 'SIGKILL');
    });
  };
  await startServer();

  // The health runner, inside the checker namespace, with the TypeScript loader this test runs under.
  const runnerPath = fileURLToPath(new URL('../../src/health/runner.ts', import.meta.url));
  const runner = spawn(
    'ip',
    ['netns', 'exec', nsC, process.execPath, ...process.execArgv.filter((a) => a.startsWith('--import') || a.startsWith('--loader')), runnerPath],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(runner);
  const events: Ev[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: runner.stdout! }).on('line', (l) => {
    try {
      events.push(JSON.parse(l));
    } catch {
      return;
    }
    for (const w of waiters.splice(0)) w();
  });
  const waitFor = async (pred: (e: Ev) => boolean, from: number, timeoutMs: number): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = events.findIndex((e, k) => k >= from && pred(e));
      if (i >= 0) return i;
      if (Date.now() > deadline) return -1;
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };

  const timing = { delayLoopMs: 500, connectTimeoutMs: 800, retry: 1, delayBeforeRetryMs: 300, warmupMs: 0 };
  const spec: HealthServiceSpec = {
    id: 'TCP 10.77.0.100:80',
    keys: [{ kind: 'addr', protocol: 'tcp', family: 4, address: '10.77.0.100', port: 80 }],
    vips: ['10.77.0.100'],
    ...timing,
    realServers: [
      { address: '10.77.0.2', port: 80, checkers: [{ type: 'HTTP_GET', urls: [{ path: '/health', digest: DIGEST }] }] },
      { address: '10.77.0.2', port: 443, checkers: [{ type: 'SSL_GET', urls: [{ path: '/health', digest: DIGEST }] }] },
      { address: '10.77.0.2', port: 9000, checkers: [{ type: 'TCP_CHECK' }] },
      { address: '10.77.0.2', port: 5300, checkers: [{ type: 'UDP_CHECK', payload: undefined, requireReply: true }] },
      { address: '10.77.0.2', port: 1, checkers: [{ type: 'PING_CHECK' }] },
    ],
  };
  runner.stdin!.write(JSON.stringify({ op: 'start', specs: [spec] }) + '\n');
  const ALL = ['10.77.0.2:80', '10.77.0.2:443', '10.77.0.2:9000', '10.77.0.2:5300'];
  const PING = '10.77.0.2:1';
  // All pass a first check.
  for (const rs of [...ALL, PING]) {
    // Generous: the runner compiles its TypeScript on start, which is slow on a busy 2-core machine.
    t.ok((await waitFor((e) => e.event === 'attempt' && e.realServer === rs && e.ok === true, 0, 40_000)) >= 0, `${rs} passes a first check`);
  }

  /** Breaks something, expects each listed real server down after exactly retry+1 failed attempts, repairs, expects it back. */
  const scenario = async (
    name: string,
    rss: string[],
    brk: () => Promise<void> | void,
    fix: () => Promise<void> | void,
    reasonRe: RegExp,
    healthy: string[] = [],
  ) => {
    const from = events.length;
    await brk();
    for (const rs of rss) {
      const i = await waitFor((e) => e.event === 'change' && e.realServer === rs && e.alive === false, from, 10_000);
      t.ok(i >= 0, `${name}: ${rs} leaves scheduling`);
      if (i < 0) continue;
      t.equal(events[i].inService, false, `${name}: ${rs} removed (no inhibit_on_failure)`);
      const attempts = events.slice(from, i).filter((e) => e.event === 'attempt' && e.realServer === rs);
      let run = 0;
      for (let k = attempts.length - 1; k >= 0 && attempts[k].ok === false; k--) run++;
      t.equal(run, timing.retry + 1, `${name}: ${rs} went down after retry+1 = ${timing.retry + 1} consecutive failures`);
      t.match(attempts[attempts.length - 1]?.reason ?? '', reasonRe, `${name}: reason`);
    }
    // The other real servers were checked on as usual while this one failed (no head-of-line blocking).
    for (const other of healthy) {
      t.ok(
        events.slice(from).some((e) => e.event === 'attempt' && e.realServer === other && e.ok === true),
        `${name}: ${other} kept passing its checks meanwhile`,
      );
    }
    const fixedAt = events.length;
    await fix();
    for (const rs of rss) {
      t.ok(
        (await waitFor((e) => e.event === 'change' && e.realServer === rs && e.alive === true && e.inService === true, fixedAt, 10_000)) >= 0,
        `${name}: ${rs} rejoins`,
      );
    }
  };

  await scenario(
    'HTTP 500',
    ['10.77.0.2:80', '10.77.0.2:443'],
    () => setMode('500'),
    () => setMode('ok'),
    /status 500/,
  );
  await scenario(
    'wrong digest',
    ['10.77.0.2:80'],
    () => setMode('digest'),
    () => setMode('ok'),
    /digest/,
  );
  await scenario(
    'slow body',
    ['10.77.0.2:80'],
    () => setMode('slow'),
    () => setMode('ok'),
    /not complete/,
  );
  await scenario(
    'SYN black-holed',
    ['10.77.0.2:9000'],
    () => runOk(['iptables', '-w', '-A', 'INPUT', '-p', 'tcp', '--dport', '9000', '--syn', '-j', 'DROP'], { netns: nsR }).then(() => undefined),
    () => runOk(['iptables', '-w', '-D', 'INPUT', '-p', 'tcp', '--dport', '9000', '--syn', '-j', 'DROP'], { netns: nsR }).then(() => undefined),
    /timeout/,
    ['10.77.0.2:80', '10.77.0.2:443', '10.77.0.2:5300', '10.77.0.2:1'],
  );
  await scenario('server killed (RST / ICMP unreachable)', ALL, killServer, startServer, /ECONNREFUSED|refused/);
  await scenario(
    'interface down',
    [...ALL, PING],
    () => runOk(['ip', 'link', 'set', vethR, 'down'], { netns: nsR }).then(() => undefined),
    () => runOk(['ip', 'link', 'set', vethR, 'up'], { netns: nsR }).then(() => undefined),
    /timeout|EHOSTUNREACH|no reply|not complete|ENETUNREACH|no echo reply/,
  );
  runner.stdin!.end();
});

t.test('MISC_CHECK exit codes drive the real server (misc_dynamic weights)', { skip: notRoot }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-health-misc-'));
  chmodSync(dir, 0o755);
  const m = new HealthManager();
  t.teardown(async () => {
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const script = path.join(dir, 'check.sh');
  writeFileSync(script, `#!/bin/sh\nexit $(cat ${dir}/code)\n`);
  chmodSync(script, 0o755);
  const setCode = (c: number) => writeFileSync(`${dir}/code`, String(c));
  setCode(0);
  const changes: RealServerChange[] = [];
  const attempts: Array<{ ok: boolean }> = [];
  m.on('change', (e) => changes.push(e));
  m.on('attempt', (e) => attempts.push(e));
  m.start([
    {
      id: 'misc',
      keys: [],
      vips: [],
      delayLoopMs: 300,
      warmupMs: 0,
      realServers: [
        {
          address: '10.77.1.2',
          port: 80,
          weight: 3,
          checkers: [{ type: 'MISC_CHECK', misc: { argv: [script] }, miscDynamic: true, retry: 2, delayBeforeRetryMs: 100 }],
        },
      ],
    },
  ]);
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 100));
    return pred();
  };
  t.ok(await until(() => attempts.length > 0 && attempts.every((a) => a.ok)));
  setCode(12);
  t.ok(await until(() => changes.some((c) => c.weight === 10)), 'exit 12 => weight 10');
  const from = attempts.length;
  setCode(1);
  t.ok(await until(() => changes.some((c) => !c.alive)), 'exit 1 => down');
  const failed = attempts.slice(from).filter((a) => !a.ok).length;
  t.equal(failed, 3, 'retry 2 => down after 3 failed runs');
  setCode(0);
  t.ok(
    await until(() => {
      const c = changes[changes.length - 1];
      return c.alive && c.weight === 3;
    }),
    'exit 0 => up with the configured weight',
  );
});
