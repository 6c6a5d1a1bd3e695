#!/usr/bin/env node
// Live benchmark on the lab topology (needs root and a build: npm run build). One command:
//   sudo bench/live/run.sh [--duration-s 5] [--quick] [--only REGEX]
// Per path: HTTP req/s (wrk, keep-alive and Connection: close; p50/p99 latency); 64-byte UDP packets/s
// delivered (bench/live/c/udp-gen: sendmmsg of prebuilt frames from the client, 1024 flows, rate-unlimited;
// counted as rx_packets of the real servers' eth0); CPU per packet of the balancer process (utime+stime
// from /proc/PID/stat over the pps run / packets delivered); UDP round-trip p50/p99 (bench/live/c/udp-ping,
// 2000 sequential request/responses to the real servers' UDP 5300 responder) and what each path adds
// to kernel forwarding. Paths: kernel forwarding, iptables DNAT, HAProxy and nginx stream (TCP only),
// the C AF_PACKET, AF_XDP and NFQUEUE forwarders, ulvs DR/NAT/TUN on each backend with 2 and 1 workers
// (issue 21's head to head with medians of interleaved runs: bench/live/xdp-ab.mjs).
// Writes the tables with ratios to bench/live.md (keeping its "## Notes" section). Everything it creates
// (lab `bench`, processes, temp files) is removed at the end and on Ctrl-C.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';
import { allowPortReuse, removeTemp, startCAfpacket, startCXdp, startDnat, startProxy } from './paths.mjs';

const { values } = parseArgs({ options: { 'duration-s': { type: 'string', default: '5' }, quick: { type: 'boolean', default: false }, only: { type: 'string' }, out: { type: 'string', default: new URL('../live.md', import.meta.url).pathname } } });
const D = Number(values['duration-s']);
const ONLY = values.only ? new RegExp(values.only, 'i') : null;
const VIP = LAB_ADDR.vip4;
const PPS_PORT = 9000;
const PINGS = 2000;
const CDIR = new URL('./c/', import.meta.url).pathname;
const log = (s) => process.stderr.write(s + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load0 = os.loadavg();
const started = new Date();

const lab = await Lab.up({ id: 'bench' });
let cleaned = null;
function cleanup() {
  cleaned ??= (async () => {
    await lab.down();
    removeTemp('bench');
  })();
  return cleaned;
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { log(`\n${sig}: tearing down lab bench`); cleanup().finally(() => process.exit(130)); });
}

const rss = lab.byRole('realserver');
await allowPortReuse(lab);

async function wrk(host, close) {
  const argv = ['wrk', '-t2', '-c32', `-d${D}s`, '--latency', ...(close ? ['-H', 'Connection: close'] : []), `http://${host}/`];
  const r = await lab.exec('client', argv, { timeoutMs: (D + 20) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const lat = (p) => { const x = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(r.stdout); if (!x) return NaN; return Number(x[1]) * (x[2] === 'us' ? 0.001 : x[2] === 's' ? 1000 : 1); };
  return { rps, p50: lat(50), p99: lat(99) };
}

/** Sum of the real servers' eth0 rx_packets (every frame the paths deliver, whatever its shape: DR, NAT, IPIP). */
async function rxPackets() {
  const v = await Promise.all(rss.map((rs) => lab.execOk(rs.name, ['cat', '/sys/class/net/eth0/statistics/rx_packets'])));
  return v.reduce((s, x) => s + Number(x), 0);
}

/** utime+stime (all threads) of a process, in seconds; NaN when it is gone. */
function cpuS(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // fields 14, 15 (clock ticks; USER_HZ is 100 on Linux)
  } catch { return NaN; }
}

const routerMac = await lab.mac('router', 'eth0');
async function pps(host, pid) {
  const before = await rxPackets();
  const cpu0 = pid ? cpuS(pid) : NaN;
  const r = await lab.exec('client', [`${CDIR}bin/udp-gen`, 'eth0', routerMac, host, String(PPS_PORT), String(D), '0', '1024'], { timeoutMs: (D + 10) * 1000 });
  const cpu1 = pid ? cpuS(pid) : NaN;
  await sleep(200); // let queued packets drain
  const after = await rxPackets();
  const x = /sent (\d+) secs ([\d.]+)/.exec(r.stdout);
  if (!x) { log(`udp-gen failed: ${r.stdout} ${r.stderr}`); return { pps: NaN, sent: NaN, cpuUs: NaN }; }
  const secs = Number(x[2]);
  const delivered = after - before;
  return { pps: Math.round(delivered / secs), sent: Math.round(Number(x[1]) / secs), cpuUs: delivered > 0 ? ((cpu1 - cpu0) * 1e6) / delivered : NaN };
}

async function ping(host) {
  const r = await lab.exec('client', [`${CDIR}bin/udp-ping`, host, String(LAB_UDP_PORT), String(PINGS)], { timeoutMs: 120000 });
  const x = /p50_us ([\d.-]+) p99_us ([\d.-]+) lost (\d+) ok (\d+)/.exec(r.stdout);
  if (!x || Number(x[4]) === 0) return { p50: NaN, p99: NaN, lost: x ? Number(x[3]) : NaN };
  return { p50: Number(x[1]), p99: Number(x[2]), lost: Number(x[3]) };
}

const results = [];
const want = (name) => !ONLY || ONLY.test(name) || name.startsWith('kernel forwarding');
async function measure(name, host, opts = {}) {
  log(`== ${name}`);
  const ka = await wrk(host, false);
  const cl = await wrk(host, true);
  const udp = opts.udp === false ? { pps: NaN, sent: NaN, cpuUs: NaN } : await pps(host, opts.pid);
  const pg = opts.udp === false ? { p50: NaN, p99: NaN, lost: NaN } : await ping(host);
  const row = { name, kind: opts.kind ?? '', workers: opts.workers ?? 0, rpsKa: ka.rps, rpsClose: cl.rps, p50: ka.p50, p99: ka.p99, ...udp, rttP50: pg.p50, rttP99: pg.p99, lost: pg.lost, note: opts.note ?? '' };
  log(JSON.stringify(row));
  results.push(row);
  return row;
}

const extra = [`-A -u ${VIP}:${PPS_PORT} -s rr`, ...rss.map((rs) => `-a -u ${VIP}:${PPS_PORT} -r ${addr4(rs)}:${PPS_PORT} MODE -w 1`)].join('\n') + '\n';
const FLAG = { dr: '-g', nat: '-m', tun: '-i' };

try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  await measure('kernel forwarding (client -> router -> rs1, no balancer)', addr4(rss[0]), { kind: 'kernel', note: 'ceiling; one real server; CPU is softirq, not sampled' });

  // iptables DNAT on lb1 (NAT topology: real servers route via the NAT gateway on lb1).
  if (want('iptables DNAT')) {
    const dnat = await startDnat(lab, [PPS_PORT, LAB_UDP_PORT]);
    await measure('iptables DNAT (conntrack, nth over 3 real servers)', VIP, { kind: 'dnat', note: 'CPU is softirq, not sampled' });
    await dnat.stop();
  }

  // HAProxy and nginx stream, TCP proxies on lb1 (2 threads / 2 worker processes).
  const proxies = [['haproxy', 'HAProxy', 'HAProxy 2 threads, mode tcp, roundrobin'], ['nginx', 'nginx', 'nginx stream, 2 workers, round robin']];
  for (const [kind, key, name] of proxies) {
    if (!want(key)) continue;
    let proxy;
    try {
      proxy = await startProxy(lab, kind, 'bench');
    } catch (e) {
      results.push({ name, kind, rpsKa: NaN, rpsClose: NaN, p50: NaN, p99: NaN, pps: NaN, note: `not measured: ${e.message}` });
      continue;
    }
    await measure(name, VIP, { udp: false, kind, note: 'TCP only' });
    await proxy.stop();
  }

  // Minimal C forwarders (bench/live/c): the ceilings of each I/O path, one real server, one thread.
  const rs1 = rss[0];
  for (const threads of [1, 2]) {
    const th = `${threads} thread${threads > 1 ? 's' : ''}`;
    if (want(`C AF_PACKET ${th}`)) {
      const undoDr = await m.prepareRealServers(lab, 'dr');
      const afp = await startCAfpacket(lab, threads);
      await measure(`C AF_PACKET DR forwarder, ${th} (TPACKET_V3 + fanout + sendmmsg, rs1 only)`, VIP, { pid: afp.pid, kind: 'c-afpacket', workers: threads });
      await afp.stop();
      await undoDr();
    }
    if (want(`C NFQUEUE ${th}`)) {
      const undoNat = await m.prepareRealServers(lab, 'nat');
      const q = threads > 1 ? `--queue-balance 0:${threads - 1}` : '--queue-num 0';
      const setup = [`ip addr add ${VIP}/32 dev eth0`, `ip addr add ${LAB_ADDR.natGateway4}/24 dev eth0`, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1 net.ipv4.conf.eth0.accept_local=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0',
        `iptables -t raw -A PREROUTING -d ${VIP} -j CT --notrack`, `iptables -t raw -A PREROUTING -s ${addr4(rs1)} -j CT --notrack`,
        `iptables -t mangle -A PREROUTING -d ${VIP} -j NFQUEUE ${q}`, `iptables -t mangle -A PREROUTING -s ${addr4(rs1)} -j NFQUEUE ${q}`];
      for (const c of setup) await lab.execOk('lb1', ['sh', '-c', c]);
      const nfq = lab.spawn('lb1', [`${CDIR}bin/nfq-fwd`, VIP, addr4(rs1), String(threads)]);
      await sleep(500);
      await measure(`C NFQUEUE NAT forwarder, ${th} (verdict per packet, rs1 only)`, VIP, { pid: nfq.pid, kind: 'c-nfqueue', workers: threads });
      nfq.kill('SIGTERM');
      await lab.exec('lb1', ['sh', '-c', `iptables -t mangle -F PREROUTING; iptables -t raw -F PREROUTING; ip addr del ${VIP}/32 dev eth0; ip addr del ${LAB_ADDR.natGateway4}/24 dev eth0; sysctl -qw net.ipv4.ip_forward=0`]);
      await undoNat();
    }
  }

  // The C AF_XDP forwarder: one socket on the one queue a veth has, so one thread.
  if (want('C AF_XDP 1 thread')) {
    const undoDr = await m.prepareRealServers(lab, 'dr');
    const xdp = await startCXdp(lab);
    await measure('C AF_XDP DR forwarder, 1 thread (XDP redirect + copy-mode AF_XDP, rs1 only)', VIP, { pid: xdp.pid, kind: 'c-afxdp', workers: 1 });
    await xdp.stop();
    await undoDr();
  }

  const configs = [];
  for (const workers of [2, 1]) {
    for (const backend of ['afpacket', 'afxdp', 'nfqueue']) for (const mode of ['dr', 'nat', 'tun']) if (workers === 2 || !values.quick || mode === 'dr') configs.push({ backend, mode, workers });
  }
  // The block-batching ring (--afp-ring 3): what the default TPACKET_V2 ring trades for its latency.
  configs.push({ backend: 'afpacket', mode: 'dr', workers: 2, ring: 3 });
  for (const c of configs) {
    const name = `ulvs ${c.mode.toUpperCase()} ${c.backend}${c.ring ? ` (TPACKET_V${c.ring} ring)` : ''}, ${c.workers} worker${c.workers > 1 ? 's' : ''}`;
    if (!want(name)) continue;
    const undo = await m.prepareRealServers(lab, c.mode);
    const d = await m.startLabDirector(lab, { mode: c.mode, backend: c.backend, workers: c.workers, extraRules: extra.replaceAll('MODE', FLAG[c.mode]), extraArgs: c.ring ? ['--afp-ring', String(c.ring)] : [] });
    try {
      await measure(name, VIP, { pid: d.child.pid, kind: `ulvs-${c.backend}`, workers: c.workers });
    } finally {
      await d.stop();
      await undo();
    }
  }
} finally {
  await cleanup();
}

const load1 = os.loadavg();
const base = results[0];
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const ratio = (x, b) => (Number.isFinite(x) && Number.isFinite(b) && b ? (x / b).toFixed(2) + '×' : 'n/a');
const added = (x, b) => (Number.isFinite(x) && Number.isFinite(b) ? (x - b >= 0 ? '+' : '') + (x - b).toFixed(0) : 'n/a');
const REF = { 'c-afpacket': 'C AF_PACKET', 'c-afxdp': 'C AF_XDP', 'c-nfqueue': 'C NFQUEUE', dnat: 'iptables DNAT' };
const target = (r, refKind, min) => {
  const ref = results.find((x) => x.kind === refKind && (refKind === 'dnat' || refKind === 'c-afxdp' || x.workers === r.workers));
  const label = REF[refKind] + (refKind === 'dnat' ? '' : ` ${refKind === 'c-afxdp' ? 1 : r.workers} thread${refKind !== 'c-afxdp' && r.workers > 1 ? 's' : ''}`);
  if (!ref || !Number.isFinite(r.pps) || !Number.isFinite(ref.pps)) return `n/a vs ${label}`;
  const x = r.pps / ref.pps;
  return `${x.toFixed(2)}× ${label} (target ≥ ${min}: **${x >= min ? 'met' : 'missed'}**)`;
};
const targetLines = results.filter((r) => r.kind.startsWith('ulvs-')).map((r) => `- ${r.name}: ${f(r.pps)} pps = ` + (r.kind === 'ulvs-afpacket'
  ? `${target(r, 'c-afpacket', 0.8)}, ${target(r, 'dnat', 1.0)}`
  : r.kind === 'ulvs-afxdp' ? target(r, 'c-afxdp', 0.8) : target(r, 'c-nfqueue', 0.85)));
// HTTP target: in every mode, ulvs on that mode's best backend (and worker count) ahead of HAProxy and nginx stream.
const httpLines = ['dr', 'nat', 'tun'].flatMap((mode) => {
  const rows = results.filter((r) => r.kind.startsWith('ulvs-') && r.name.startsWith(`ulvs ${mode.toUpperCase()} `));
  return [['rpsKa', 'keep-alive'], ['rpsClose', 'Connection: close']].map(([k, label]) => {
    const best = rows.reduce((a, r) => (Number.isFinite(r[k]) && (!a || r[k] > a[k]) ? r : a), null);
    if (!best) return `- ${mode.toUpperCase()} ${label}: not measured`;
    const vs = ['haproxy', 'nginx'].map((kind) => results.find((r) => r.kind === kind)).filter((r) => r && Number.isFinite(r[k]));
    const ahead = vs.every((r) => best[k] > r[k]);
    return `- ${mode.toUpperCase()} ${label}: best ulvs ${f(best[k])} req/s (${best.name}) vs ${vs.map((r) => `${r.kind} ${f(r[k])}`).join(', ')}: **${ahead ? 'ahead' : 'behind'}**`;
  });
});
const lines = [
  '# Live data-plane benchmark',
  '',
  `Generated by \`sudo bench/live/run.sh\` on ${started.toISOString()} (${os.cpus().length} CPUs, ${process.version}); load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start,`,
  `${load1.map((x) => x.toFixed(2)).join(' ')} at the end. Lab topology client — router — LAN`,
  "(lb1, rs1..rs3), veth pairs with the kernel's default offloads. Everything (client, wrk/udp-gen, router, balancer, real servers)",
  'shares the same CPUs, so absolute numbers are low and ratios are what matter.',
  '',
  '## HTTP (wrk: 2 threads, 32 connections, ' + D + ' s; latency from the keep-alive run)',
  '',
  '| path | req/s keep-alive | ×kernel | req/s close | ×kernel | p50 ms | p99 ms | note |',
  '|---|---:|---:|---:|---:|---:|---:|---|',
  ...results.map((r) => `| ${r.name} | ${f(r.rpsKa)} | ${ratio(r.rpsKa, base.rpsKa)} | ${f(r.rpsClose)} | ${ratio(r.rpsClose, base.rpsClose)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${r.note} |`),
  '',
  `## UDP: 64-byte packets/s, CPU per packet, latency added`,
  '',
  `pps: \`bench/live/c/bin/udp-gen\` in the client (AF_PACKET sendmmsg of prebuilt 64-byte frames, 1024 source ports, rate-unlimited, 1 thread) for ${D} s;`,
  'delivered = rx_packets of the real servers\' eth0. CPU: utime+stime of the balancer process (all threads) over the pps run ÷ packets delivered.',
  `RTT: \`bench/live/c/bin/udp-ping\`, ${PINGS} sequential 1-byte request/responses to UDP ${LAB_UDP_PORT} (one flow); "added" = this path minus kernel forwarding.`,
  '',
  '| path | pps delivered | ×kernel | pps offered | CPU µs/pkt | RTT p50 µs | RTT p99 µs | added p50 µs | added p99 µs | lost |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...results.filter((r) => Number.isFinite(r.pps)).map((r) => `| ${r.name} | ${f(r.pps)} | ${ratio(r.pps, base.pps)} | ${f(r.sent)} | ${f(r.cpuUs, 2)} | ${f(r.rttP50)} | ${f(r.rttP99)} | ${added(r.rttP50, base.rttP50)} | ${added(r.rttP99, base.rttP99)} | ${f(r.lost)} |`),
  '',
  '## Issue 5 packet-rate targets (this run)',
  '',
  ...targetLines,
  '',
  '## Issue 5 HTTP target (this run): ahead of HAProxy and nginx stream in every mode, on its best backend',
  '',
  ...httpLines,
  '',
];
const prev = (() => { try { return readFileSync(values.out, 'utf8'); } catch { return ''; } })();
// Sections other scripts write (offload-ab's "## Issue 13", xdp-ab's "## Issue 21") stay, before the notes.
const kept = [...prev.matchAll(/^## Issue (?!5 )[\s\S]*?(?=^## )/gm)].map((x) => x[0]).join('');
const notes = kept + (prev.includes('## Notes') ? prev.slice(prev.indexOf('## Notes')) : '');
if (ONLY) process.stdout.write('(--only: bench/live.md not rewritten)\n');
else writeFileSync(values.out, lines.join('\n') + (notes ? '\n' + notes : ''));
if (!ONLY && values.out === new URL('../live.md', import.meta.url).pathname) await import('./chart.mjs');
process.stdout.write(lines.join('\n') + '\n');
