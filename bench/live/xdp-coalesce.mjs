#!/usr/bin/env node
// Sweep of `--afxdp-coalesce-us` (issue 21: should adaptive moderation be the default?). ulvs DR on
// --backend afxdp, 1 worker, one lab; per value (interleaved, REPS times): UDP RTT p50/p99 with udp-ping
// (1000 round trips) on an idle path and while a paced background stream (udp-gen, --bg-pps) runs, HTTP
// keep-alive through the VIP at low concurrency (wrk --latency, 1 thread, --conns connections, 3 s: req/s and
// latency p50/p99), and the balancer's CPU per packet under unpaced load (udp-gen from the router, pinned to CPU 0,
// the balancer pinned to CPU 1, 5 s; CPU = utime+stime ÷ packets delivered at the real servers). Prints
// progress and every run, then the medians, and writes them into bench/live.md as "## Issue 21: AF_XDP
// moderation sweep" (kept in place on later runs; --no-write: print only).
//   sudo node bench/live/xdp-coalesce.mjs [--reps 3] [--values 0,50,100,250,1000] [--conns 2] [--bg-pps 20000] [--no-write]
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, values: { type: 'string', default: '0,50,100,250,1000' }, conns: { type: 'string', default: '2' }, 'bg-pps': { type: 'string', default: '20000' }, 'no-write': { type: 'boolean', default: false } } });
const REPS = Number(values.reps);
const COS = values.values.split(',').map(Number);
const CONNS = Number(values.conns);
const BG = Number(values['bg-pps']);
const CDIR = new URL('./c/', import.meta.url).pathname;
const OUT = new URL('../live.md', import.meta.url).pathname;
const VIP = LAB_ADDR.vip4;
const log = (s) => process.stderr.write(s + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const load0 = os.loadavg();
const started = new Date();
const lab = await Lab.up({ id: 'xdpco' });
let cleaned;
const cleanup = () => (cleaned ??= lab.down());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
const rss = lab.byRole('realserver');
const extra = [`-A -u ${VIP}:9000 -s rr`, ...rss.map((rs) => `-a -u ${VIP}:9000 -r ${addr4(rs)}:9000 -g -w 1`)].join('\n') + '\n';
const runs = Object.fromEntries(COS.map((c) => [c, []]));
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
// wrk's latency figures ("123.45us", "1.20ms", "1.01s") in µs.
const us = (s) => { const x = /([\d.]+)(us|ms|s)/.exec(s ?? ''); return x ? Number(x[1]) * { us: 1, ms: 1e3, s: 1e6 }[x[2]] : NaN; };
const ping = async () => { const r = await lab.exec('client', [`${CDIR}bin/udp-ping`, VIP, String(LAB_UDP_PORT), '1000'], { timeoutMs: 60000 }); return [Number(/p50_us ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN), Number(/p99_us ([\d.]+)/.exec(r.stdout)?.[1] ?? NaN)]; };
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, 'dr');
  // As in xdp-ab.mjs: the real servers drop the generator's UDP 9000 before routing (no ICMP billed to the balancer).
  for (const rs of rss) await lab.execOk(rs.name, ['iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9000', '-j', 'DROP']);
  const clientGw = await lab.mac('router', 'eth0');
  const lb1Mac = await lab.mac('lb1', 'eth0');
  const rx = async () => (await Promise.all(rss.map((rs) => lab.execOk(rs.name, ['cat', '/sys/class/net/eth0/statistics/rx_packets'])))).reduce((a, x) => a + Number(x), 0);
  for (let rep = 0; rep < REPS; rep++) {
    for (const co of COS) {
      log(`== run ${rep + 1}/${REPS}: --afxdp-coalesce-us ${co}`);
      const d = await m.startLabDirector(lab, { mode: 'dr', backend: 'afxdp', workers: 1, extraRules: extra, extraArgs: ['--afxdp-coalesce-us', String(co)] });
      try {
        await lab.exec('client', ['wrk', '-t1', `-c${CONNS}`, '-d1s', `http://${VIP}/`], { timeoutMs: 30000 }); // warm-up
        const [p50, p99] = await ping();
        const w = await lab.exec('client', ['wrk', '-t1', `-c${CONNS}`, '-d3s', '--latency', `http://${VIP}/`], { timeoutMs: 30000 });
        const reqs = Number(/Requests\/sec:\s+([\d.]+)/.exec(w.stdout)?.[1] ?? NaN);
        const w50 = us(/\s50%\s+(\S+)/.exec(w.stdout)?.[1]), w99 = us(/\s99%\s+(\S+)/.exec(w.stdout)?.[1]);
        // RTT while a paced background stream keeps the worker's wakeups dense (moderation then holds frames).
        const bg = lab.exec('client', [`${CDIR}bin/udp-gen`, 'eth0', clientGw, VIP, '9000', '4', String(BG), '256', '20000'], { timeoutMs: 30000 });
        await sleep(500);
        const [b50, b99] = await ping();
        await bg;
        await lab.execOk('lb1', ['taskset', '-a', '-cp', '1', String(d.child.pid)]);
        const r0 = await rx();
        const c0 = cpu(d.child.pid);
        const g = await lab.exec('router', ['taskset', '-c', '0', `${CDIR}bin/udp-gen`, 'eth1', lb1Mac, VIP, '9000', '5', '0', '1024', '10000'], { timeoutMs: 30000 });
        const c1 = cpu(d.child.pid);
        await sleep(200);
        const r1 = await rx();
        const secs = Number(/secs ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN);
        const row = { p50, p99, b50, b99, reqs: Math.round(reqs), w50, w99, pps: Math.round((r1 - r0) / secs), cpuUs: +(((c1 - c0) * 1e6) / (r1 - r0)).toFixed(2), balPct: Math.round(((c1 - c0) * 100) / secs) };
        runs[co].push(row);
        log(`   ${JSON.stringify(row)}`);
      } finally {
        await d.stop();
      }
    }
  }
  await undo();
} finally {
  await cleanup();
}
const load1 = os.loadavg();
const med = (c, k) => { const xs = runs[c].map((r) => r[k]).filter(Number.isFinite).sort((a, b) => a - b); return xs.length ? xs[Math.floor(xs.length / 2)] : NaN; };
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const TITLE = '## Issue 21: AF_XDP moderation sweep';
const lines = [
  TITLE,
  '',
  `\`sudo node bench/live/xdp-coalesce.mjs --reps ${REPS} --values ${COS.join(',')} --conns ${CONNS} --bg-pps ${BG}\` on ${started.toISOString()} (${os.cpus().length} CPUs, shared with the other engineers: load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end).`,
  `ulvs DR on --backend afxdp, 1 worker, \`--afxdp-coalesce-us N\` per row, interleaved per repetition in one lab; medians of ${REPS}. RTT: udp-ping, 1000 sequential round trips client → VIP → real server (→ client directly, DR), idle and while udp-gen sends a paced ${BG} pps stream through the same worker. HTTP: wrk keep-alive, 1 thread, ${CONNS} connections, 3 s (the real servers' responders are Node: req/s is bounded by them). CPU: 64-byte UDP from udp-gen in the router (pinned to CPU 0, onto the LAN to lb1's MAC) for 5 s with the balancer pinned to CPU 1; balancer utime+stime ÷ packets delivered.`,
  '',
  '| --afxdp-coalesce-us | RTT p50 µs | RTT p99 µs | RTT p50 µs, background stream | RTT p99 µs, background stream | HTTP req/s | HTTP p50 µs | HTTP p99 µs | CPU µs/pkt, udp-gen unpaced | balancer CPU % | pps delivered | runs (µs/pkt) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...COS.map((c) => `| ${c} | ${f(med(c, 'p50'))} | ${f(med(c, 'p99'))} | ${f(med(c, 'b50'))} | ${f(med(c, 'b99'))} | ${f(med(c, 'reqs'))} | ${f(med(c, 'w50'))} | ${f(med(c, 'w99'))} | ${f(med(c, 'cpuUs'), 2)} | ${f(med(c, 'balPct'))} | ${f(med(c, 'pps'))} | ${runs[c].map((r) => r.cpuUs).join(', ')} |`),
  '',
];
const text = lines.join('\n');
process.stdout.write(text + '\n');
if (!values['no-write']) {
  let md = readFileSync(OUT, 'utf8');
  const at = md.indexOf(TITLE + '\n');
  if (at >= 0) {
    const next = md.indexOf('\n## ', at + 5);
    md = md.slice(0, at) + text + (next >= 0 ? md.slice(next + 1) : '');
  } else {
    const notes = md.indexOf('## Notes');
    md = notes >= 0 ? md.slice(0, notes) + text + '\n' + md.slice(notes) : md + '\n' + text;
  }
  writeFileSync(OUT, md);
}
