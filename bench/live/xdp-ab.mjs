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
// --variants picks a subset (xdp = afxdp with --afxdp-coalesce-us 0, xdpc = with --afxdp-coalesce-us --coalesce-us [250, the default], afp, cxdp, cafp).
// --pin (one queue, 1 worker): the generator runs on CPU 0 and the balancer (every thread) on CPU 1, and each
// run prints both sides' CPU % (and the ksoftirqd threads'), so the table says which side saturated.
// --gen-from router: udp-gen runs in the router, onto the LAN to lb1's MAC (no IP forwarding on the way).
//   sudo node bench/live/xdp-ab.mjs [--pin] [--gen-from client|router]  [--reps 3] [--workers 1[,2]] [--queues N] [--variants xdp,afp,cxdp,cafp] [--duration-s 5] [--no-write]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';
import { startCAfpacket, startCXdp } from './paths.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, workers: { type: 'string', default: '1' }, queues: { type: 'string' }, variants: { type: 'string', default: 'xdp,afp,cxdp,cafp' }, 'coalesce-us': { type: 'string', default: '250' }, 'duration-s': { type: 'string', default: '5' }, 'no-write': { type: 'boolean', default: false }, pin: { type: 'boolean', default: false }, 'gen-from': { type: 'string', default: 'client' } } });
const REPS = Number(values.reps);
const WS = values.workers.split(',').map(Number);
const W = WS[0];
const Q = Number(values.queues ?? Math.max(...WS));
const PICK = values.variants.split(',');
const CO = Number(values['coalesce-us']);
const D = Number(values['duration-s']);
const PIN = values.pin;
// Where udp-gen runs: the client (through the router, which forwards every frame) or the router itself
// (onto the LAN towards lb1's MAC, as the router would forward them: the generator's side then costs no
// IP forwarding, so it can out-run a balancer).
const GEN = values['gen-from'];
if (GEN !== 'client' && GEN !== 'router') throw new Error('--gen-from takes client or router');
if (PIN && (Q > 1 || WS.some((w) => w > 1))) throw new Error('--pin takes one queue and 1 worker (the generator gets CPU 0, the balancer CPU 1)');
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
  ...Object.fromEntries(PICK.includes('xdp') ? WS.map((w) => [`xdp${w}`, `ulvs DR afxdp --afxdp-coalesce-us 0, ${workers(w)}`]) : []),
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
  // 'xdp' is plain AF_XDP (moderation off; its default is 250 µs since the third pass), 'xdpc' moderated with CO.
  const extraArgs = kind === 'xdpc' ? ['--afxdp-coalesce-us', String(CO)] : kind === 'xdp' ? ['--afxdp-coalesce-us', '0'] : [];
  const d = await m.startLabDirector(lab, { mode: 'dr', backend: kind === 'afp' ? 'afpacket' : 'afxdp', workers: Number(w), extraRules: extra, extraArgs });
  return { pid: d.child.pid, stop: () => d.stop() };
}
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
// ksoftirqd/N's CPU seconds (softirq work the kernel deferred to a thread is billed there, not to the sender).
const ksoftirqdPids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((p) => { try { return [p, readFileSync(`/proc/${p}/comm`, 'utf8').trim()]; } catch { return [p, '']; } }).filter(([, c]) => /^ksoftirqd\/\d+$/.test(c)).sort((a, b) => Number(a[1].split('/')[1]) - Number(b[1].split('/')[1])).map(([p]) => p);
const softirqd = () => ksoftirqdPids.map((p) => cpu(p));
// Per CPU: ticks busy (every task, the other engineers' included) and in all, from /proc/stat.
const cpuStat = () => readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).map((l) => { const x = l.split(/\s+/).slice(1).map(Number); const idle = x[3] + x[4]; const all = x.slice(0, 8).reduce((a, b) => a + b, 0); return { busy: all - idle, all }; });
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, 'dr');
  // The real servers drop the generator's UDP 9000 before routing (after eth0 counted it): otherwise each
  // packet costs a route lookup and an ICMP port unreachable there, and veth runs that receive path in the
  // softirq of whoever sent the frame, i.e. it is billed to the balancer under test (~19 % of its CPU).
  for (const rs of rss) await lab.execOk(rs.name, ['iptables', '-t', 'raw', '-A', 'PREROUTING', '-p', 'udp', '--dport', '9000', '-j', 'DROP']);
  const genIf = GEN === 'router' ? 'eth1' : 'eth0';
  const genDstMac = GEN === 'router' ? await lab.mac('lb1', 'eth0') : await lab.mac('router', 'eth0');
  const rx = async () => (await Promise.all(rss.map((rs) => lab.execOk(rs.name, ['cat', '/sys/class/net/eth0/statistics/rx_packets'])))).reduce((a, x) => a + Number(x), 0);
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of variants) {
      log(`== run ${rep + 1}/${REPS}: ${NAME[v]}`);
      const d = await start(v);
      try {
        if (PIN) await lab.execOk('lb1', ['taskset', '-a', '-cp', '1', String(d.pid)]);
        const pg = await lab.exec('client', [`${CDIR}bin/udp-ping`, VIP, String(LAB_UDP_PORT), '1000'], { timeoutMs: 60000 });
        const r0 = await rx();
        const k0 = softirqd();
        const s0 = cpuStat();
        const c0 = cpu(d.pid);
        // One generator per queue, each pinned to its own CPU (its frames take that CPU's transmit queue) with its share of the 1024 flows.
        const gens = await Promise.all(
          Array.from({ length: Q }, (_, k) =>
            lab.exec(GEN, [...(Q > 1 || PIN ? ['taskset', '-c', String(k % os.cpus().length)] : []), `${CDIR}bin/udp-gen`, genIf, genDstMac, VIP, '9000', String(D), '0', String(1024 / Q), String(10000 + (k * 1024) / Q)], { timeoutMs: (D + 20) * 1000 }),
          ),
        );
        const c1 = cpu(d.pid);
        const k1 = softirqd();
        const s1 = cpuStat();
        await sleep(200);
        const r1 = await rx();
        const secs = Math.max(...gens.map((g) => Number(/secs ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN)));
        const sent = gens.reduce((a, g) => a + Number(/sent (\d+)/.exec(g.stdout)?.[1] ?? NaN), 0);
        const genCpu = gens.reduce((a, g) => a + Number(/cpu ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN), 0);
        const pct = (x) => Math.round((x * 100) / secs);
        const row = {
          pps: Math.round((r1 - r0) / secs), offered: Math.round(sent / secs), cpuUs: +(((c1 - c0) * 1e6) / (r1 - r0)).toFixed(2), rttP50Us: Number(/p50_us ([\d.]+)/.exec(pg.stdout)?.[1] ?? NaN),
          balPct: pct(c1 - c0), genPct: pct(genCpu), genUs: +((genCpu * 1e6) / sent).toFixed(2), bothUs: +(((genCpu + c1 - c0) * 1e6) / (r1 - r0)).toFixed(2), ksoftirqdPct: k1.map((x, i) => pct(x - k0[i])), cpuBusyPct: s1.map((x, i) => Math.round((100 * (x.busy - s0[i].busy)) / (x.all - s0[i].all))),
        };
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
// A run is balancer-limited when the balancer used ≥ 90 % of its CPU and delivered less than 95 % of what was offered.
const saturated = (v) => med(v, 'balPct') >= 90 && med(v, 'pps') < 0.95 * med(v, 'offered');
const medArr = (v, k, i) => med2((runs[v] ?? []).map((r) => r[k]?.[i]));
const med2 = (a) => { const xs = a.filter(Number.isFinite).sort((p, q) => p - q); return xs.length ? xs[Math.floor(xs.length / 2)] : NaN; };
const spread = (v, k) => { const xs = (runs[v] ?? []).map((r) => r[k]).filter(Number.isFinite); return xs.length ? `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}` : 'n/a'; };
const WN = WS[WS.length - 1];
const scaling =
  WS.length > 1
    ? ['xdp', 'xdpc']
        .filter((k) => runs[`${k}${WN}`])
        .map((k) => `- CPU per packet, ${NAME[`${k}${WN}`]} ÷ ${workers(W)} (${Q} receive queues): ${verdict(med(`${k}${WN}`, 'cpuUs') / med(`${k}${W}`, 'cpuUs'), (x) => x <= 1.1)} (target ≤ 1.1×; runs ${spread(`${k}${WN}`, 'cpuUs')} vs ${spread(`${k}${W}`, 'cpuUs')} µs)`)
    : [];
const coalesced = runs[`xdpc${W}`] && runs.cafp && runs.cxdp ? [`- CPU per packet, ulvs afxdp --afxdp-coalesce-us ${CO} ÷ C AF_PACKET forwarder: ${verdict(med(`xdpc${W}`, 'cpuUs') / med('cafp', 'cpuUs'), (x) => x <= 0.7)}; ÷ C AF_XDP forwarder: ${f(med(`xdpc${W}`, 'cpuUs') / med('cxdp', 'cpuUs'), 2)}×`] : [];
const TITLE = WS.length > 1 ? `## Issue 21: AF_XDP, ${WS.join(' vs ')} workers` : PIN ? '## Issue 21: AF_XDP at saturation (generator and balancer pinned)' : '## Issue 21: AF_XDP';
const lines = [
  TITLE,
  '',
  `\`sudo node bench/live/xdp-ab.mjs${PIN ? ' --pin' : ''}${GEN === 'router' ? ' --gen-from router' : ''} --reps ${REPS} --workers ${WS.join(',')} --queues ${Q} --variants ${PICK.join(',')}\` on ${started.toISOString()} (${os.cpus().length} CPUs, shared with the other engineers: load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end).`,
  `DR, 64-byte UDP from the ${GEN === 'router' ? "router's udp-gen (sent onto the LAN to lb1's MAC, no IP forwarding before lb1)" : "client's udp-gen"} (1024 flows, ${Q > 1 ? `${Q} generators pinned to CPUs 0..${Q - 1}, ` : ''}${D} s, rate-unlimited), the ${variants.length} variants interleaved per repetition in one lab; medians of ${REPS}.`,
  'ulvs balances over rs1..rs3, the C forwarders send everything to rs1. veth runs AF_XDP in copy mode (no zero-copy) with the XDP program in the driver (native XDP).',
  'The real servers drop UDP 9000 in raw PREROUTING (counted at eth0 first), so no ICMP port unreachable is built in the sender\'s softirq and billed to the balancer.',
  '',
  `Every veth has ${Q} receive/transmit queue${Q > 1 ? 's' : ''}${Q > 1 ? `: one generator per queue, each pinned to a CPU with its share of the flows, so frames reach lb1 on both receive queues (the hops between keep or hash the queue), and ulvs worker i owns queue i` : ''}.`,
  '',
  ...(PIN
    ? [
        `Pinned: udp-gen on CPU 0, the balancer (all its threads) on CPU 1. CPU % = CPU seconds ÷ the run's seconds, medians. The generator's CPU includes the softirq work run in its context: veth runs the receiver's side in the sender's softirq, so ${GEN === 'router' ? '' : "the router's forwarding, "}the bridge and lb1's XDP program with its copy into the UMEM (AF_XDP) or lb1's stack up to AF_PACKET's ring copy are billed to the generator; the balancer's CPU includes its transmit and the bridge and real server up to their raw DROP. "CPU busy" is every task on that CPU (the other engineers' included).`,
        '',
        '| path | pps delivered | pps offered | balancer CPU % | balancer µs/pkt | pps one CPU could forward (10⁶ ÷ µs/pkt) | generator CPU % | generator µs/pkt sent | both sides µs/pkt | ksoftirqd/0, /1 % | CPU 0, 1 busy % | limit | runs (pps) |',
        '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|',
        ...variants.map((v) => `| ${NAME[v]} | ${f(med(v, 'pps'))} | ${f(med(v, 'offered'))} | ${f(med(v, 'balPct'))} | ${f(med(v, 'cpuUs'), 2)} | ${f(1e6 / med(v, 'cpuUs'))} | ${f(med(v, 'genPct'))} | ${f(med(v, 'genUs'), 2)} | ${f(med(v, 'bothUs'), 2)} | ${f(medArr(v, 'ksoftirqdPct', 0))}, ${f(medArr(v, 'ksoftirqdPct', 1))} | ${f(medArr(v, 'cpuBusyPct', 0))}, ${f(medArr(v, 'cpuBusyPct', 1))} | ${saturated(v) ? 'balancer' : med(v, 'genPct') >= 90 ? 'generator' : 'neither (the CPUs\' other tasks)'} | ${runs[v].map((r) => r.pps).join(', ')} |`),
      ]
    : [
        '| path | pps delivered | pps offered | CPU µs/pkt | CPU runs µs/pkt | RTT p50 µs | runs (pps) |',
        '|---|---:|---:|---:|---|---:|---|',
        ...variants.map((v) => `| ${NAME[v]} | ${f(med(v, 'pps'))} | ${f(med(v, 'offered'))} | ${f(med(v, 'cpuUs'), 2)} | ${runs[v].map((r) => r.cpuUs).join(', ')} | ${f(med(v, 'rttP50Us'))} | ${runs[v].map((r) => r.pps).join(', ')} |`),
      ]),
  '',
  'Targets (this run):',
  '',
  `- CPU per packet, ulvs afxdp ÷ C AF_PACKET forwarder: ${verdict(cpuX, (x) => x <= 0.7)} (target ≤ 0.7×)`,
  `- packets/s, ulvs afxdp ÷ C AF_XDP forwarder: ${verdict(ppsVsC, (x) => x >= 0.8)} (target ≥ 0.8×)`,
  PIN
    ? [
        `- packets/s at saturation, ulvs afxdp ÷ ulvs afpacket: ${saturated(X) && saturated(A) ? verdict(ppsVsAfp, (x) => x >= 1.5) : `${f(ppsVsAfp, 2)}× delivered (not judged: ${[X, A].filter((v) => !saturated(v)).map((v) => NAME[v]).join(' and ')} not balancer-limited)`} (target ≥ 1.5× where the generator is not the limit); ÷ C AF_XDP ${f(ppsVsC, 2)}×, ÷ C AF_PACKET ${f(med(X, 'pps') / med('cafp', 'pps'), 2)}×`,
        `- pps one CPU could forward (10⁶ ÷ the balancer's µs/pkt), ulvs afxdp ÷ ulvs afpacket: ${verdict(med(A, 'cpuUs') / med(X, 'cpuUs'), (x) => x >= 1.5)}${runs[`xdpc${W}`] ? `; with --afxdp-coalesce-us ${CO}: ${verdict(med(A, 'cpuUs') / med(`xdpc${W}`, 'cpuUs'), (x) => x >= 1.5)}` : ''}; both sides' µs/pkt (generator + balancer), afpacket ÷ afxdp: ${f(med(A, 'bothUs') / med(X, 'bothUs'), 2)}×`,
      ].join('\n')
    : `- packets/s, ulvs afxdp ÷ ulvs afpacket: ${verdict(ppsVsAfp, (x) => x >= 1.5)} (target ≥ 1.5× where the generator is not the limit${genLimited ? '; here a ulvs variant delivered ≥ 95 % of what was offered, so the generator was the limit' : ''})`,
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
