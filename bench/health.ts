/**
 * Health-check benchmark (results in bench/health.md).
 * A. Detection time vs the configured bound per failure kind: real servers in a network namespace, the
 *    health runner in another (root needed); each kind is injected at a random phase of delay_loop.
 * B. Cost of checking 1,000 real servers every second on loopback (TCP_CHECK, HTTP_GET) and 100 with
 *    MISC_CHECK: CPU of the checking process, memory, and how far checks of one server stray from the
 *    1 s cadence (drift) — the listeners run in a separate process.
 * Run: node --expose-gc --import @tapjs/typescript/import bench/health.ts [--part A|B] [--reps N] [--seconds S] [--kinds TCP_CHECK,HTTP_GET,MISC_CHECK]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { performance as perfHooks } from 'node:perf_hooks';
import { run, runOk } from '../src/util/exec.js';
import { HealthManager } from '../src/health/manager.js';
import { PROBES } from '../src/health/checkers/index.js';
import { spawnerPid } from '../src/health/spawner.js';
import { readFileSync } from 'node:fs';
import { detectionBoundMs } from '../src/health/policy/dampener.js';
import type { ResolvedChecker } from '../src/health/resolve.js';
import type { HealthServiceSpec } from '../src/health/types.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const PART = arg('part', 'AB');
const REPS = Number(arg('reps', '3'));
const SECONDS = Number(arg('seconds', '30'));
const KINDS = arg('kinds', 'TCP_CHECK,HTTP_GET,MISC_CHECK').split(',') as Array<'TCP_CHECK' | 'HTTP_GET' | 'MISC_CHECK'>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const SERVER_JS = `
const fs = require('fs'), http = require('http'), net = require('net');
const dir = process.argv[1];
const mode = () => { try { return fs.readFileSync(dir + '/mode', 'utf8').trim(); } catch { return 'ok'; } };
http.createServer((req, res) => {
  const m = mode();
  if (m === '500') { res.writeHead(500); return res.end('e'); }
  if (m === 'slow') { res.writeHead(200, { 'content-length': '8' }); res.write('ulvs'); return setTimeout(() => res.end('body'), 60000); }
  res.writeHead(200); res.end('ulvsbody');
}).listen(80, '0.0.0.0');
net.createServer((s) => { s.on('error', () => {}); s.end(); }).listen(9000, '0.0.0.0');
setTimeout(() => process.stdout.write('ready\\n'), 200);
`;

interface Ev {
  event: string;
  realServer?: string;
  alive?: boolean;
}

async function partA(): Promise<string> {
  const id = `ulvs-hb${randomBytes(2).toString('hex')}`;
  const nsC = `${id}-c`,
    nsR = `${id}-r`,
    vC = `hbc${randomBytes(2).toString('hex')}`,
    vR = `hbr${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-health-bench-'));
  chmodSync(dir, 0o755);
  const kids: ChildProcess[] = [];
  const cleanup = async () => {
    for (const k of kids)
      if (k.exitCode === null && k.pid)
        try {
          process.kill(k.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
    await run(['ip', 'netns', 'del', nsC]);
    await run(['ip', 'netns', 'del', nsR]);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    await runOk(['ip', 'netns', 'add', nsC]);
    await runOk(['ip', 'netns', 'add', nsR]);
    await runOk(['ip', 'link', 'add', vC, 'netns', nsC, 'type', 'veth', 'peer', 'name', vR, 'netns', nsR]);
    await runOk(['ip', 'addr', 'add', '10.78.0.1/24', 'dev', vC], { netns: nsC });
    await runOk(['ip', 'addr', 'add', '10.78.0.2/24', 'dev', vR], { netns: nsR });
    for (const [ns, dev] of [
      [nsC, vC],
      [nsR, vR],
    ]) {
      await runOk(['ip', 'link', 'set', 'lo', 'up'], { netns: ns });
      await runOk(['ip', 'link', 'set', dev, 'up'], { netns: ns });
    }
    writeFileSync(`${dir}/mode`, 'ok');
    let server: ChildProcess | null = null;
    const startServer = async () => {
      const s = spawn('ip', ['netns', 'exec', nsR, process.execPath, '-e', SERVER_JS, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      kids.push(s);
      await new Promise<void>((r) => s.stdout!.once('data', () => r()));
      server = s;
    };
    await startServer();
    const runnerPath = fileURLToPath(new URL('../src/health/runner.ts', import.meta.url));
    const runner = spawn('ip', ['netns', 'exec', nsC, process.execPath, ...process.execArgv, runnerPath], { stdio: ['pipe', 'pipe', 'inherit'] });
    kids.push(runner);
    const events: Array<Ev & { atMs: number }> = [];
    createInterface({ input: runner.stdout! }).on('line', (l) => {
      try {
        events.push({ ...JSON.parse(l), atMs: performance.now() });
      } catch {
        /* ignore */
      }
    });
    const waitFor = async (pred: (e: Ev) => boolean, from: number, timeoutMs: number) => {
      const end = performance.now() + timeoutMs;
      while (performance.now() < end) {
        const e = events.slice(from).find(pred);
        if (e) return e;
        await sleep(5);
      }
      return null;
    };

    const configs = [
      { delayLoopMs: 1000, connectTimeoutMs: 1000, retry: 1, delayBeforeRetryMs: 500 },
      { delayLoopMs: 2000, connectTimeoutMs: 500, retry: 2, delayBeforeRetryMs: 200 },
    ];
    const rows: string[] = [];
    for (const cfg of configs) {
      const spec: HealthServiceSpec = {
        id: 'bench',
        keys: [],
        vips: [],
        ...cfg,
        warmupMs: 0,
        realServers: [
          { address: '10.78.0.2', port: 80, checkers: [{ type: 'HTTP_GET', urls: [{ path: '/' }] }] },
          { address: '10.78.0.2', port: 9000, checkers: [{ type: 'TCP_CHECK' }] },
        ],
      };
      runner.stdin!.write(JSON.stringify({ op: events.length ? 'reload' : 'start', specs: [spec] }) + '\n');
      await waitFor((e) => e.event === 'attempt' && e.realServer === '10.78.0.2:80', events.length, 40_000);
      const ipt = (op: string) => runOk(['iptables', '-w', op, 'INPUT', '-p', 'tcp', '--dport', '9000', '--syn', '-j', 'DROP'], { netns: nsR });
      const kinds: Array<{ name: string; rs: string; timeout: boolean; brk: () => Promise<unknown>; fix: () => Promise<unknown> }> = [
        {
          name: 'TCP_CHECK, server killed (RST)',
          rs: '10.78.0.2:9000',
          timeout: false,
          brk: async () => {
            const s = server!;
            await new Promise((r) => {
              s.once('exit', r);
              process.kill(s.pid!, 'SIGKILL');
            });
          },
          fix: startServer,
        },
        { name: 'TCP_CHECK, SYN black-holed', rs: '10.78.0.2:9000', timeout: true, brk: () => ipt('-A'), fix: () => ipt('-D') },
        {
          name: 'TCP_CHECK, interface down',
          rs: '10.78.0.2:9000',
          timeout: true,
          brk: () => runOk(['ip', 'link', 'set', vR, 'down'], { netns: nsR }),
          fix: () => runOk(['ip', 'link', 'set', vR, 'up'], { netns: nsR }),
        },
        {
          name: 'HTTP_GET, status 500',
          rs: '10.78.0.2:80',
          timeout: false,
          brk: async () => writeFileSync(`${dir}/mode`, '500'),
          fix: async () => writeFileSync(`${dir}/mode`, 'ok'),
        },
        {
          name: 'HTTP_GET, body stalls',
          rs: '10.78.0.2:80',
          timeout: true,
          brk: async () => writeFileSync(`${dir}/mode`, 'slow'),
          fix: async () => writeFileSync(`${dir}/mode`, 'ok'),
        },
      ];
      for (const k of kinds) {
        const det: number[] = [];
        for (let rep = 0; rep < REPS; rep++) {
          // Start from a healthy pool: every real server alive (a previous kind may have taken both down).
          for (const rs of ['10.78.0.2:80', '10.78.0.2:9000']) {
            const last = [...events].reverse().find((e) => e.event === 'change' && e.realServer === rs);
            if (last && last.alive === false)
              await waitFor((e) => e.event === 'change' && e.realServer === rs && e.alive === true, events.indexOf(last), 30_000);
          }
          await sleep(Math.random() * cfg.delayLoopMs);
          const from = events.length;
          // Measured from the end of the injection command (kill/iptables/ip link take tens of ms under load),
          // when the failure is certainly in effect.
          await k.brk();
          const t0 = performance.now();
          const down = await waitFor((e) => e.event === 'change' && e.realServer === k.rs && e.alive === false, from, 30_000);
          if (down) det.push((down as { atMs: number }).atMs - t0);
          const fixFrom = events.length;
          await k.fix();
          await waitFor((e) => e.event === 'change' && e.realServer === k.rs && e.alive === true, fixFrom, 30_000);
        }
        // Configured bound: delay_loop + (retry+1) x connect_timeout + retry x delay_before_retry; a failure
        // that is reported at once (RST, status 500) is expected within delay_loop + retry x delay_before_retry.
        const bound = detectionBoundMs(cfg, cfg.connectTimeoutMs);
        const expect = detectionBoundMs(cfg, k.timeout ? cfg.connectTimeoutMs : 0);
        rows.push(
          `| ${cfg.delayLoopMs / 1000} / ${cfg.connectTimeoutMs / 1000} / ${cfg.retry} / ${cfg.delayBeforeRetryMs / 1000} | ${k.name} | ${det.length ? Math.round(Math.min(...det)) : '-'} | ${det.length ? Math.round(pct(det, 50)) : '-'} | ${det.length ? Math.round(Math.max(...det)) : '-'} | ${expect} | ${bound} | ${det.length}/${REPS} |`,
        );
        console.error(rows[rows.length - 1]);
      }
    }
    runner.stdin!.end();
    return [
      '| delay_loop / connect_timeout / retry / delay_before_retry (s) | failure | min ms | median ms | max ms | expected max ms | configured bound ms | detected |',
      '|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    await cleanup();
  }
}

async function partB(): Promise<string> {
  // Listeners in a separate process so their CPU does not count as checking cost.
  const srv = spawn(
    process.execPath,
    [
      '-e',
      `
    const http = require('http'), net = require('net');
    const h = http.createServer((q, s) => { s.writeHead(200); s.end('ok'); }); h.listen(0, '127.0.0.1', () => {
      const t = net.createServer((s) => { s.on('error', () => {}); s.end(); }); t.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ http: h.address().port, tcp: t.address().port }) + '\\n'));
    });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const ports = await new Promise<{ http: number; tcp: number }>((r) => srv.stdout!.once('data', (d) => r(JSON.parse(String(d)))));
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-health-bench-'));
  chmodSync(dir, 0o755);
  writeFileSync(`${dir}/ok.sh`, '#!/bin/sh\nexit 0\n');
  chmodSync(`${dir}/ok.sh`, 0o755);
  const rows: string[] = [];
  try {
    for (const kind of KINDS) {
      const n = kind === 'MISC_CHECK' ? 100 : 1000;
      const starts = new Map<object, number[]>();
      let fails = 0;
      const probe = async (c: ResolvedChecker) => {
        const key = c.spec; // one spec object per real server
        let a = starts.get(key);
        if (!a) starts.set(key, (a = []));
        a.push(performance.now());
        const o = await PROBES[c.type](c);
        if (!o.ok) fails++;
        return o;
      };
      const m = new HealthManager({ probe });
      const realServers = Array.from({ length: n }, (_, i) => {
        // Distinct real servers 127.0.0.1:(10000+i), all probed on the one listener via connect_port.
        const address = '127.0.0.1';
        const checker =
          kind === 'TCP_CHECK'
            ? { type: 'TCP_CHECK' as const, connectPort: ports.tcp }
            : kind === 'HTTP_GET'
              ? { type: 'HTTP_GET' as const, connectPort: ports.http, urls: [{ path: '/' }] }
              : { type: 'MISC_CHECK' as const, misc: { argv: [`${dir}/ok.sh`, String(i)] } };
        return { address, port: 10000 + i, checkers: [checker] };
      });
      (globalThis as { gc?: () => void }).gc?.();
      const rss0 = process.memoryUsage().rss;
      const heap0 = process.memoryUsage().heapUsed;
      m.start([{ id: `bench-${kind}`, keys: [], vips: [], delayLoopMs: 1000, connectTimeoutMs: 2000, realServers }]);
      await sleep(2000); // warmup spreads the first round over delay_loop
      const helperCpu = () => {
        const pid = spawnerPid();
        if (!pid) return 0;
        try {
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          return (Number(f[11]) + Number(f[12])) * 10;
        } catch {
          return 0;
        }
      };
      const helper0 = helperCpu();
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const elu0 = perfHooks.eventLoopUtilization();
      await sleep(SECONDS * 1000);
      const cpu = process.cpuUsage(cpu0);
      const helperMs = helperCpu() - helper0;
      const wall = performance.now() - wall0;
      const elu = perfHooks.eventLoopUtilization(elu0);
      const mem = process.memoryUsage();
      (globalThis as { gc?: () => void }).gc?.();
      const heapAfterGc = process.memoryUsage().heapUsed;
      await m.stop();
      const gaps: number[] = [];
      const drift: number[] = [];
      for (const a of starts.values()) {
        const w = a.filter((x) => x >= wall0 - 1000);
        for (let i = 1; i < w.length; i++) gaps.push(Math.abs(w[i] - w[i - 1] - 1000));
        if (w.length > 2) drift.push(Math.abs((w[w.length - 1] - w[0]) / (w.length - 1) - 1000));
      }
      const checks = [...starts.values()].reduce((s, a) => s + a.filter((x) => x >= wall0 && x < wall0 + wall).length, 0);
      rows.push(
        `| ${kind} | ${n} | ${Math.round(checks / (wall / 1000))} | ${fails} | ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1)} %${helperMs ? ` + helper ${((helperMs / wall) * 100).toFixed(1)} %` : ''} | ${Math.round((cpu.user + cpu.system) / Math.max(1, checks))}${helperMs ? ` + ${Math.round((helperMs * 1000) / Math.max(1, checks))}` : ''} | ${(elu.utilization * 100).toFixed(1)} % | ${Math.round((mem.rss - rss0) / 1048576)} MiB / ${((heapAfterGc - heap0) / 1048576).toFixed(1)} MiB | ${pct(gaps, 50).toFixed(1)} / ${pct(gaps, 99).toFixed(1)} / ${Math.max(...gaps).toFixed(1)} | ${Math.max(...drift).toFixed(2)} |`,
      );
      console.error(rows[rows.length - 1]);
      await sleep(1000);
    }
  } finally {
    if (srv.pid) process.kill(srv.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    `| checker | real servers | checks/s | failed | CPU of the checking process (one core = 100 %) | CPU µs per check | event-loop busy | RSS growth / live heap growth (after GC) | cadence error p50 / p99 / max ms | worst mean-period drift ms |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

const out: string[] = [
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${new Date().toISOString()}, load average at start ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
];
if (PART.includes('A')) {
  if (process.getuid?.() !== 0) out.push('Part A skipped: needs root (network namespaces).');
  else out.push('## A. Detection time vs configured bound', '', await partA());
}
if (PART.includes('B')) out.push('', `## B. Checking cost, delay_loop 1 s, ${SECONDS} s measured`, '', await partB());
out.push(
  '',
  `Load average at end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
console.log(out.join('\n'));
