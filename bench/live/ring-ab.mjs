#!/usr/bin/env node
// AF_PACKET head to head on the lab topology (root; needs dist/ and bench/live/c): ulvs with --afp-ring 2
// (TPACKET_V2, the default) and --afp-ring 3 (TPACKET_V3), and with --refs the references (the C
// AF_PACKET forwarder with as many threads as workers, and iptables DNAT), interleaved REPS times in one
// lab so all of them see the same machine. Per run: wrk keep-alive req/s (2 threads, 32 connections, 4 s), UDP RTT p50
// (udp-ping, 1000 request/responses), 64-byte UDP pps delivered (udp-gen, 5 s, 1024 flows) and the
// director's CPU per packet. Prints every run and the medians.
//   node bench/live/ring-ab.mjs [--mode dr|nat|tun] [--workers 2] [--reps 3] [--refs]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_UDP_PORT } from '../../dist/lab/topology.js';
import { startCAfpacket, startDnat } from './paths.mjs';

const { values } = parseArgs({ options: { mode: { type: 'string', default: 'dr' }, workers: { type: 'string', default: '2' }, reps: { type: 'string', default: '3' }, refs: { type: 'boolean', default: false } } });
const mode = values.mode;
// The C forwarder is a DR forwarder (real servers hold the VIP on lo): the references need DR.
if (values.refs && mode !== 'dr') { process.stderr.write('ring-ab: --refs needs --mode dr\n'); process.exit(2); }
const CDIR = new URL('./c/', import.meta.url).pathname;
const VIP = LAB_ADDR.vip4;
const FLAG = { dr: '-g', nat: '-m', tun: '-i' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lab = await Lab.up({ id: 'ringab' });
let cleaned;
const cleanup = () => (cleaned ??= lab.down());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
const rss = lab.byRole('realserver');
const extra = [`-A -u ${VIP}:9000 -s rr`, ...rss.map((rs) => `-a -u ${VIP}:9000 -r ${addr4(rs)}:9000 ${FLAG[mode]} -w 1`)].join('\n') + '\n';
const variants = ['V2', 'V3', ...(values.refs ? ['C', 'DNAT'] : [])];
const runs = Object.fromEntries(variants.map((v) => [v, []]));
/** Starts one variant on lb1; resolves to { pid, stop }. */
async function start(v) {
  if (v === 'V2' || v === 'V3') {
    const d = await m.startLabDirector(lab, { mode, backend: 'afpacket', workers: Number(values.workers), extraRules: extra, extraArgs: ['--afp-ring', v === 'V2' ? '2' : '3'] });
    return { pid: d.child.pid, stop: () => d.stop() };
  }
  if (v === 'C') return startCAfpacket(lab, values.workers);
  // iptables DNAT over the 3 real servers (their replies come back through lb1's NAT gateway address).
  return startDnat(lab, [9000, LAB_UDP_PORT]);
}
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, mode);
  const routerMac = await lab.mac('router', 'eth0');
  const rx = async () => (await Promise.all(rss.map((rs) => lab.execOk(rs.name, ['cat', '/sys/class/net/eth0/statistics/rx_packets'])))).reduce((a, x) => a + Number(x), 0);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const v of variants) {
      const d = await start(v);
      try {
        const cpu = () => { if (!d.pid) return NaN; const f = readFileSync(`/proc/${d.pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
        const wk = await lab.exec('client', ['wrk', '-t2', '-c32', '-d4s', `http://${VIP}/`], { timeoutMs: 30000 });
        const pg = await lab.exec('client', [`${CDIR}bin/udp-ping`, VIP, String(LAB_UDP_PORT), '1000'], { timeoutMs: 60000 });
        const r0 = await rx(); const c0 = cpu();
        const g = await lab.exec('client', [`${CDIR}bin/udp-gen`, 'eth0', routerMac, VIP, '9000', '5', '0', '1024'], { timeoutMs: 30000 });
        const c1 = cpu(); await sleep(200); const r1 = await rx();
        const secs = Number(/secs ([\d.]+)/.exec(g.stdout)?.[1] ?? NaN);
        const row = { rps: Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(wk.stdout)?.[1] ?? NaN)), pps: Math.round((r1 - r0) / secs), cpuUs: +(((c1 - c0) * 1e6) / (r1 - r0)).toFixed(2), rttP50Us: Number(/p50_us ([\d.]+)/.exec(pg.stdout)?.[1] ?? NaN) };
        runs[v].push(row);
        process.stdout.write(`${v} run ${rep + 1}: ${JSON.stringify(row)}\n`);
      } finally {
        await d.stop();
      }
    }
  }
  await undo();
} finally {
  await cleanup();
}
const med = (rows, k) => rows.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(rows.length / 2)];
const NAME = { V2: `ulvs ${mode.toUpperCase()}, TPACKET_V2 (default)`, V3: `ulvs ${mode.toUpperCase()}, TPACKET_V3`, C: `C AF_PACKET forwarder, ${values.workers} threads (rs1 only)`, DNAT: 'iptables DNAT (3 real servers)' };
const ref = (v, k) => (runs[v]?.length ? med(runs[v], k) : NaN);
process.stdout.write(`\n| ${values.workers} workers/threads, median of ${values.reps} | req/s keep-alive | pps | ×C pps | ×DNAT pps | CPU µs/pkt | RTT p50 µs |\n|---|---:|---:|---:|---:|---:|---:|\n`);
for (const v of variants) {
  const pps = med(runs[v], 'pps');
  const x = (r) => (Number.isFinite(r) ? (pps / r).toFixed(2) + '×' : 'n/a');
  process.stdout.write(`| ${NAME[v]} | ${med(runs[v], 'rps')} | ${pps} | ${x(ref('C', 'pps'))} | ${x(ref('DNAT', 'pps'))} | ${Number.isFinite(med(runs[v], 'cpuUs')) ? med(runs[v], 'cpuUs') : 'n/a'} | ${med(runs[v], 'rttP50Us')} |\n`);
}
