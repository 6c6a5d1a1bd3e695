#!/usr/bin/env node
// AF_XDP head to head on the lab topology (root; needs dist/ and bench/live/c), issue 21's targets in one
// run: ulvs DR on --backend afxdp and on --backend afpacket, the C AF_XDP and C AF_PACKET DR forwarders,
// interleaved REPS times in one lab so every variant sees the same machine. Per run: 64-byte UDP packets/s
// delivered (udp-gen from the client, 5 s, 1024 flows, rate-unlimited; counted at the real servers' eth0),
// the balancer's CPU per packet (utime+stime over the run ÷ packets delivered) and UDP RTT p50 (udp-ping,
// 1000 request/responses). Prints progress and every run, then the medians with the ratios, and writes them
// into bench/live.md as the "## Issue 21: AF_XDP" section (kept in place on later runs; --no-write: print only).
//   sudo node bench/live/xdp-ab.mjs [--reps 3] [--workers 1] [--duration-s 5] [--no-write]
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';
import { startCAfpacket, startCXdp } from './paths.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, workers: { type: 'string', default: '1' }, 'duration-s': { type: 'string', default: '5' }, 'no-write': { type: 'boolean', default: false } } });
const REPS = Number(values.reps);
const W = Number(values.workers);
const D = Number(values['duration-s']);
const CDIR = new URL('./c/', import.meta.url).pathname;
const OUT = new URL('../live.md', import.meta.url).pathname;
const VIP = LAB_ADDR.vip4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stderr.write(s + '\n');
const load0 = os.loadavg();
const started = new Date();
const lab = await Lab.up({ id: 'xdpab' });
let cleaned;
const cleanup = () => (cleaned ??= lab.down());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
const rss = lab.byRole('realserver');
const extra = [`-A -u ${VIP}:9000 -s rr`, ...rss.map((rs) => `-a -u ${VIP}:9000 -r ${addr4(rs)}:9000 -g -w 1`)].join('\n') + '\n';
const NAME = {
  xdp: `ulvs DR afxdp, ${W} worker${W > 1 ? 's' : ''}`,
  afp: `ulvs DR afpacket, ${W} worker${W > 1 ? 's' : ''}`,
  cxdp: 'C AF_XDP DR forwarder, 1 thread (rs1 only)',
  cafp: 'C AF_PACKET DR forwarder, 1 thread (rs1 only)',
};
const variants = Object.keys(NAME);
const runs = Object.fromEntries(variants.map((v) => [v, []]));
async function start(v) {
  if (v === 'cxdp') return startCXdp(lab);
  if (v === 'cafp') return startCAfpacket(lab, 1);
  const d = await m.startLabDirector(lab, { mode: 'dr', backend: v === 'xdp' ? 'afxdp' : 'afpacket', workers: W, extraRules: extra });
  return { pid: d.child.pid, stop: () => d.stop() };
}
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, 'dr');
  const routerMac = await lab.mac('router', 'eth0');
  const rx = async () => (await Promise.all(rss.map((rs) => lab.execOk(rs.name, ['cat', '/sys/class/net/eth0/statistics/rx_packets'])))).reduce((a, x) => a + Number(x), 0);
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of variants) {
      log(`== run ${rep + 1}/${REPS}: ${NAME[v]}`);
      const d = await start(v);
      try {
        const pg = await lab.exec('client', [`${CDIR}bin/udp-ping`, VIP, String(LAB_UDP_PORT), '1000'], { timeoutMs: 60000 });
        const r0 = await rx();
        const c0 = cpu(d.pid);
        const g = await lab.exec('client', [`${CDIR}bin/udp-gen`, 'eth0', routerMac, VIP, '9000', String(D), '0', '1024'], { timeoutMs: (D + 20) * 1000 });
        const c1 = cpu(d.pid);
        await sleep(200);
        const r1 = await rx();
        const secs = Number(/secs ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN);
        const sent = Number(/sent (\d+)/.exec(g.stdout)?.[1] ?? NaN);
        const row = { pps: Math.round((r1 - r0) / secs), offered: Math.round(sent / secs), cpuUs: +(((c1 - c0) * 1e6) / (r1 - r0)).toFixed(2), rttP50Us: Number(/p50_us ([\d.]+)/.exec(pg.stdout)?.[1] ?? NaN) };
        runs[v].push(row);
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
const med = (v, k) => { const xs = runs[v].map((r) => r[k]).filter(Number.isFinite).sort((a, b) => a - b); return xs.length ? xs[Math.floor(xs.length / 2)] : NaN; };
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const verdict = (x, ok) => `${f(x, 2)}× (**${Number.isFinite(x) && ok(x) ? 'met' : 'missed'}**)`;
const cpuX = med('xdp', 'cpuUs') / med('cafp', 'cpuUs');
const ppsVsC = med('xdp', 'pps') / med('cxdp', 'pps');
const ppsVsAfp = med('xdp', 'pps') / med('afp', 'pps');
const genLimited = ['xdp', 'afp'].some((v) => med(v, 'pps') >= 0.95 * med(v, 'offered'));
const lines = [
  '## Issue 21: AF_XDP',
  '',
  `\`sudo node bench/live/xdp-ab.mjs --reps ${REPS} --workers ${W}\` on ${started.toISOString()} (${os.cpus().length} CPUs, shared with the other engineers: load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end).`,
  `DR, 64-byte UDP from the client's udp-gen (1024 flows, ${D} s, rate-unlimited), the four variants interleaved per repetition in one lab; medians of ${REPS}.`,
  'ulvs balances over rs1..rs3, the C forwarders send everything to rs1. veth runs AF_XDP in copy mode (no zero-copy) with the XDP program in the driver (native XDP).',
  '',
  '| path | pps delivered | pps offered | CPU µs/pkt | RTT p50 µs | runs (pps) |',
  '|---|---:|---:|---:|---:|---|',
  ...variants.map((v) => `| ${NAME[v]} | ${f(med(v, 'pps'))} | ${f(med(v, 'offered'))} | ${f(med(v, 'cpuUs'), 2)} | ${f(med(v, 'rttP50Us'))} | ${runs[v].map((r) => r.pps).join(', ')} |`),
  '',
  'Targets (this run):',
  '',
  `- CPU per packet, ulvs afxdp ÷ C AF_PACKET forwarder: ${verdict(cpuX, (x) => x <= 0.7)} (target ≤ 0.7×)`,
  `- packets/s, ulvs afxdp ÷ C AF_XDP forwarder: ${verdict(ppsVsC, (x) => x >= 0.8)} (target ≥ 0.8×)`,
  `- packets/s, ulvs afxdp ÷ ulvs afpacket: ${verdict(ppsVsAfp, (x) => x >= 1.5)} (target ≥ 1.5× where the generator is not the limit${genLimited ? '; here a ulvs variant delivered ≥ 95 % of what was offered, so the generator was the limit' : ''})`,
  '',
];
const text = lines.join('\n');
process.stdout.write(text + '\n');
if (!values['no-write']) {
  let md = readFileSync(OUT, 'utf8');
  const at = md.indexOf('## Issue 21: AF_XDP');
  if (at >= 0) {
    const next = md.indexOf('\n## ', at + 5);
    md = md.slice(0, at) + text + (next >= 0 ? md.slice(next + 1) : '');
  } else {
    const notes = md.indexOf('## Notes');
    md = notes >= 0 ? md.slice(0, notes) + text + '\n' + md.slice(notes) : md + '\n' + text;
  }
  writeFileSync(OUT, md);
}
