/**
 * Failover benchmark (results in bench/failover.md): time from a master failure to the first
 * answer of the new master, seen by a client probing the VIP every 10 ms (UDP echo). ulvs pairs and
 * keepalived 2.2.7 pairs measured in the same run, for master kill -9 and clean stop (SIGTERM),
 * VRRPv2 advert_int 1 s and VRRPv3 advert_int 0.1 s; master priority 200, backup 100.
 * The failure also stops the master's echo responder at the same instant (a crashed host).
 * Run (root): npx tsc -p tsconfig.build.json && node --import @tapjs/typescript/import bench/failover.ts [--reps N]
 */
import { VrrpBed, bedId, ensureDist, keepalivedInstance, stopProc, type BedProc } from './failover-lab.js';
import { run } from '../src/util/exec.js';
import { instanceSpec, vip, vrrpConfig } from '../src/vrrp/spec.js';
import { masterDownIntervalMs, skewTimeMs } from '../src/vrrp/timers.js';

const VIP = '10.66.0.100';
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 3) || 3;
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Impl = 'ulvs' | 'keepalived';
interface Case {
  version: 2 | 3;
  advertIntMs: number;
  failure: 'kill -9' | 'stop';
}
interface Result {
  impl: Impl;
  c: Case;
  failoverMs: number[];
}

const RESPONDER = `import dgram from 'node:dgram'; const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(Buffer.concat([m, Buffer.from(' ' + process.argv[2])]), r.port, r.address)); s.bind(7777);`;
const PROBER = `import dgram from 'node:dgram'; const s = dgram.createSocket('udp4'); const out = [];
const dur = Number(process.argv[3]); const t0 = performance.timeOrigin + performance.now(); let seq = 0;
s.on('message', (m) => { const [q, from] = m.toString().split(' '); out.push([performance.timeOrigin + performance.now(), Number(q), from]); });
const iv = setInterval(() => { s.send(String(seq++), 7777, process.argv[2]); if (performance.timeOrigin + performance.now() - t0 > dur) { clearInterval(iv); setTimeout(() => { process.stdout.write(JSON.stringify(out)); s.close(); }, 200); } }, 10);`;

async function trial(
  bed: VrrpBed,
  impl: Impl,
  c: Case,
  start: () => BedProc,
  master: { p: BedProc; resp: BedProc },
): Promise<{ ms: number; master: { p: BedProc; resp: BedProc } }> {
  // The master must hold the VIP alone and the client must be reaching it.
  const ok = await bed.until(async () => (await bed.holds('a', VIP)) && !(await bed.holds('b', VIP)), 15000);
  if (!ok) throw new Error(`${impl}: node a did not become master`);
  await sleep(c.version === 2 ? 1500 : 500);
  const dur = c.failure === 'kill -9' ? c.advertIntMs * 4 + 1500 : 2000;
  const probe = bed.spawn('client', [process.execPath, `${bed.dir}/prober.mjs`, VIP, String(dur)]);
  await sleep(700);
  const tFail = now();
  // Both at once: the master's responder dies with it (a crashed or stopped host).
  process.kill(master.resp.pid, 'SIGKILL');
  if (c.failure === 'kill -9') {
    if (impl === 'keepalived') {
      const child = bed.keepalivedChildPid('a');
      if (child) process.kill(child, 'SIGKILL');
    }
    await stopProc(master.p, 'SIGKILL');
  } else await stopProc(master.p, 'SIGTERM');
  await master.resp.exited;
  await probe.exited;
  const replies = JSON.parse(probe.out.join('')) as [number, number, string][];
  const firstB = replies.find((r) => r[2] === 'b' && r[0] > tFail);
  if (!firstB) throw new Error(`${impl}: no answer from the backup after the failure`);
  // Restart the old master (it removes its stale VIP, then preempts).
  if (impl === 'keepalived') await run(['rm', '-f', `${bed.dir}/a.pid`, `${bed.dir}/a-vrrp.pid`]);
  const resp = bed.spawn('a', [process.execPath, `${bed.dir}/responder.mjs`, 'a']);
  const p = start();
  return { ms: firstB[0] - tFail, master: { p, resp } };
}

async function runImpl(impl: Impl, c: Case): Promise<Result> {
  const bed = await VrrpBed.up(bedId('fo'), [
    { name: 'a', addrs: ['10.66.0.1/24'] },
    { name: 'b', addrs: ['10.66.0.2/24'] },
    { name: 'client', addrs: ['10.66.0.10/24'] },
  ]);
  try {
    // Linux ignores a gratuitous ARP arriving within `locktime` (1 s) of the entry's last update, which
    // would add up to seconds of ARP noise to the protocol's own timing; the client takes every GARP.
    await run(['sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.locktime=0'], { netns: bed.ns('client') });
    bed.file('responder.mjs', RESPONDER);
    bed.file('prober.mjs', PROBER);
    const spec = (prio: number) =>
      vrrpConfig([instanceSpec({ version: c.version, vrid: 66, priority: prio, advertIntMs: c.advertIntMs, vips: [vip(`${VIP}/24`)] })]);
    const kconf = (prio: number) => keepalivedInstance({ vrid: 66, priority: prio, advertInt: c.advertIntMs / 1000, version: c.version, vips: [`${VIP}/24`] });
    const start = (n: 'a' | 'b', prio: number): BedProc => (impl === 'ulvs' ? bed.ulvs(n, spec(prio)) : bed.keepalived(n, kconf(prio)));
    const respB = bed.spawn('b', [process.execPath, `${bed.dir}/responder.mjs`, 'b']);
    const backup = start('b', 100);
    let master = { p: start('a', 200), resp: bed.spawn('a', [process.execPath, `${bed.dir}/responder.mjs`, 'a']) };
    const out: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await trial(bed, impl, c, () => start('a', 200), master);
      out.push(r.ms);
      master = r.master;
    }
    await stopProc(master.p);
    await stopProc(backup);
    await stopProc(respB);
    await stopProc(master.resp);
    return { impl, c, failoverMs: out };
  } finally {
    await bed.down();
  }
}

function bound(c: Case): string {
  const skew = skewTimeMs(c.version, 100, c.advertIntMs);
  if (c.failure === 'stop') return `skew ${skew.toFixed(0)} ms`;
  return `${(masterDownIntervalMs(c.version, 100, c.advertIntMs) - c.advertIntMs).toFixed(0)}–${masterDownIntervalMs(c.version, 100, c.advertIntMs).toFixed(0)} ms`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('failover bench needs root (network namespaces)');
    process.exit(2);
  }
  await ensureDist();
  const cases: Case[] = [
    { version: 2, advertIntMs: 1000, failure: 'kill -9' },
    { version: 2, advertIntMs: 1000, failure: 'stop' },
    { version: 3, advertIntMs: 100, failure: 'kill -9' },
    { version: 3, advertIntMs: 100, failure: 'stop' },
  ];
  console.log(`| case | protocol bound | ulvs (ms, ${reps} runs) | keepalived 2.2.7 (ms, ${reps} runs) |`);
  console.log('|---|---|---|---|');
  for (const c of cases) {
    const u = await runImpl('ulvs', c);
    const k = await runImpl('keepalived', c);
    const fmt = (r: Result): string => `${r.failoverMs.map((x) => x.toFixed(0)).join(', ')} (max ${Math.max(...r.failoverMs).toFixed(0)})`;
    console.log(`| v${c.version} advert_int ${c.advertIntMs / 1000} s, master ${c.failure} | ${bound(c)} | ${fmt(u)} | ${fmt(k)} |`);
  }
}

await main();
