#!/usr/bin/env node
// AF_XDP head to head on the lab topology (root; needs dist/ and bench/live/c), issue 21's targets in one
// run: ulvs DR on --backend afxdp and on --backend afpacket, the C AF_XDP and C AF_PACKET DR forwarders,
// interleaved REPS times in one lab so every variant sees the same machine. Per run: 64-byte UDP packets/s
// delivered (udp-gen from the client, 5 s, 1024 flows, rate-unlimited; counted at the real servers' eth0),
// the balancer's CPU per packet (utime+stime over the run ÷ packets delivered) and UDP RTT p50 (udp-ping,
// 1000 request/responses). Prints progress and every run, then the medians with the ratios, and writes them
// into bench/live.md as the "## Issue 21: AF_XDP" section (kept in place on later runs; --no-write: print only).
// --workers 1,2 runs each ulvs variant with 1 and with 2 workers (the lab's veths get --queues receive queues,
// default the largest worker count, so worker i owns queue i) and adds the 2-vs-1-worker CPU target;
// --variants picks a subset (xdp, xdpc = afxdp with --afxdp-coalesce-us --coalesce-us [1000], afp, cxdp, cafp).
//   sudo node bench/live/xdp-ab.mjs [--reps 3] [--workers 1[,2]] [--queues N] [--variants xdp,afp,cxdp,cafp] [--duration-s 5] [--no-write]
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';
import { startCAfpacket, startCXdp } from './paths.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, workers: { type: 'string', default: '1' }, queues: { type: 'string' }, variants: { type: 'string', default: 'xdp,afp,cxdp,cafp' }, 'coalesce-us': { type: 'string', default: '1000' }, 'duration-s': { type: 'string', default: '5' }, 'no-write': { type: 'boolean', default: false } } });
const REPS = Number(values.reps);
const WS = values.workers.split(',').map(Number);
const W = WS[0];
const Q = Number(values.queues ?? Math.max(...WS));
const PICK = values.variants.split(',');
const CO = Number(values['coalesce-us']);
const D = Number(values['duration-s']);
const CDIR = new URL('./c/', import.meta.url).pathname;
const OUT = new URL('../live.md', import.meta.url).pathname;
const VIP = LAB_ADDR.vip4;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (s) => process.stderr.write(s + '\n');
const load0 = os.loadavg();
const started = new Date();
const lab = await Lab.up({ id: 'xdpab', queues: Q });
let cleaned;
const cleanup = () => (cleaned ??= lab.down());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
const rss = lab.byRole('realserver');
const extra = [`-A -u ${VIP}:9000 -s rr`, ...rss.map((rs) => `-a -u ${VIP}:9000 -r ${addr4(rs)}:9000 -g -w 1`)].join('\n') + '\n';
const workers = (w) => `${w} worker${w > 1 ? 's' : ''}`;
const NAME = {
  ...Object.fromEntries(PICK.includes('xdp') ? WS.map((w) => [`xdp${w}`, `ulvs DR afxdp, ${workers(w)}`]) : []),
  ...Object.fromEntries(PICK.includes('xdpc') ? WS.map((w) => [`xdpc${w}`, `ulvs DR afxdp --afxdp-coalesce-us ${CO}, ${workers(w)}`]) : []),
  ...Object.fromEntries(PICK.includes('afp') ? WS.map((w) => [`afp${w}`, `ulvs DR afpacket, ${workers(w)}`]) : []),
  ...(PICK.includes('cxdp') ? { cxdp: 'C AF_XDP DR forwarder, 1 thread (rs1 only)' } : {}),
  ...(PICK.includes('cafp') ? { cafp: 'C AF_PACKET DR forwarder, 1 thread (rs1 only)' } : {}),
};
const variants = Object.keys(NAME);
const runs = Object.fromEntries(variants.map((v) => [v, []]));
async function start(v) {
  if (v === 'cxdp') return startCXdp(lab);
  if (v === 'cafp') return startCAfpacket(lab, 1);
  const [, kind, w] = /^([a-z]+)(\d+)$/.exec(v);
  const extraArgs = kind === 'xdpc' ? ['--afxdp-coalesce-us', String(CO)] : [];
  const d = await m.startLabDirector(lab, { mode: 'dr', backend: kind === 'afp' ? 'afpacket' : 'afxdp', workers: Number(w), extraRules: extra, extraArgs });
  return { pid: d.child.pid, stop: () => d.stop() };
}
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, 'dr');
  // The real servers drop the generator's UDP 9000 before routing (after eth0 counted it): otherwise each
  // packet costs a route lookup and an ICMP port unreachable there, and veth runs that receive path in the
  // softirq of whoever sent the frame, i.e. it is billed to the balancer under test (~19 % of its CPU).
  for (const rs of rss) await lab.execOk(rs.name, ['iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9000', '-j', 'DROP']);
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
        // One generator per queue, each pinned to its own CPU (its frames take that CPU's transmit queue) with its share of the 1024 flows.
        const gens = await Promise.all(
          Array.from({ length: Q }, (_, k) =>
            lab.exec('client', [...(Q > 1 ? ['taskset', '-c', String(k % os.cpus().length)] : []), `${CDIR}bin/udp-gen`, 'eth0', routerMac, VIP, '9000', String(D), '0', String(1024 / Q), String(10000 + (k * 1024) / Q)], { timeoutMs: (D + 20) * 1000 }),
          ),
        );
        const c1 = cpu(d.pid);
        await sleep(200);
        const r1 = await rx();
        const secs = Math.max(...gens.map((g) => Number(/secs ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN)));
        const sent = gens.reduce((a, g) => a + Number(/sent (\d+)/.exec(g.stdout)?.[1] ?? NaN), 0);
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
const med = (v, k) => { const xs = (runs[v] ?? []).map((r) => r[k]).filter(Number.isFinite).sort((a, b) => a - b); return xs.length ? xs[Math.floor(xs.length / 2)] : NaN; };
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const verdict = (x, ok) => (Number.isFinite(x) ? `${f(x, 2)}× (**${ok(x) ? 'met' : 'missed'}**)` : 'not measured in this run');
const X = `xdp${W}`, A = `afp${W}`;
const cpuX = med(X, 'cpuUs') / med('cafp', 'cpuUs');
const ppsVsC = med(X, 'pps') / med('cxdp', 'pps');
const ppsVsAfp = med(X, 'pps') / med(A, 'pps');
const genLimited = [X, A].some((v) => med(v, 'pps') >= 0.95 * med(v, 'offered'));
const spread = (v, k) => { const xs = (runs[v] ?? []).map((r) => r[k]).filter(Number.isFinite); return xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : 'n/a'; };
const WN = WS[WS.length - 1];
const scaling =
  WS.length > 1
    ? ['xdp', 'xdpc']
        .filter((k) => runs[`${k}${WN}`])
        .map((k) => `- CPU per packet, ${NAME[`${k}${WN}`]} ÷ ${workers(W)} (${Q} receive queues): ${verdict(med(`${k}${WN}`, 'cpuUs') / med(`${k}${W}`, 'cpuUs'), (x) => x <= 1.1)} (target ≤ 1.1×; runs ${spread(`${k}${WN}`, 'cpuUs')} vs ${spread(`${k}${W}`, 'cpuUs')} µs)`)
    : [];
const coalesced = runs[`xdpc${W}`] && runs.cafp && runs.cxdp ? [`- CPU per packet, ulvs afxdp --afxdp-coalesce-us ${CO} ÷ C AF_PACKET forwarder: ${verdict(med(`xdpc${W}`, 'cpuUs') / med('cafp', 'cpuUs'), (x) => x <= 0.7)}; ÷ C AF_XDP forwarder: ${f(med(`xdpc${W}`, 'cpuUs') / med('cxdp', 'cpuUs'), 2)}×`] : [];
const TITLE = WS.length > 1 ? `## Issue 21: AF_XDP, ${WS.join(' vs ')} workers` : '## Issue 21: AF_XDP';
const lines = [
  TITLE,
  '',
  `\`sudo node bench/live/xdp-ab.mjs --reps ${REPS} --workers ${WS.join(',')} --queues ${Q} --variants ${PICK.join(',')}\` on ${started.toISOString()} (${os.cpus().length} CPUs, shared with the other engineers: load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end).`,
  `DR, 64-byte UDP from the client's udp-gen (1024 flows, ${Q > 1 ? `${Q} generators pinned to CPUs 0..${Q - 1}, ` : ''}${D} s, rate-unlimited), the ${variants.length} variants interleaved per repetition in one lab; medians of ${REPS}.`,
  'ulvs balances over rs1..rs3, the C forwarders send everything to rs1. veth runs AF_XDP in copy mode (no zero-copy) with the XDP program in the driver (native XDP).',
  'The real servers drop UDP 9000 in raw PREROUTING (counted at eth0 first), so no ICMP port unreachable is built in the sender\'s softirq and billed to the balancer.',
  '',
  `Every veth has ${Q} receive/transmit queue${Q > 1 ? 's' : ''}${Q > 1 ? `: one generator per queue, each pinned to a CPU with its share of the flows, so frames reach lb1 on both receive queues (the hops between keep or hash the queue), and ulvs worker i owns queue i` : ''}.`,
  '',
  '| path | pps delivered | pps offered | CPU µs/pkt | CPU runs µs/pkt | RTT p50 µs | runs (pps) |',
  '|---|---:|---:|---:|---|---:|---|',
  ...variants.map((v) => `| ${NAME[v]} | ${f(med(v, 'pps'))} | ${f(med(v, 'offered'))} | ${f(med(v, 'cpuUs'), 2)} | ${runs[v].map((r) => r.cpuUs).join(', ')} | ${f(med(v, 'rttP50Us'))} | ${runs[v].map((r) => r.pps).join(', ')} |`),
  '',
  'Targets (this run):',
  '',
  `- CPU per packet, ulvs afxdp ÷ C AF_PACKET forwarder: ${verdict(cpuX, (x) => x <= 0.7)} (target ≤ 0.7×)`,
  `- packets/s, ulvs afxdp ÷ C AF_XDP forwarder: ${verdict(ppsVsC, (x) => x >= 0.8)} (target ≥ 0.8×)`,
  `- packets/s, ulvs afxdp ÷ ulvs afpacket: ${verdict(ppsVsAfp, (x) => x >= 1.5)} (target ≥ 1.5× where the generator is not the limit${genLimited ? '; here a ulvs variant delivered ≥ 95 % of what was offered, so the generator was the limit' : ''})`,
  ...coalesced,
  ...scaling,
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
