#!/usr/bin/env node
// AF_PACKET with a NIC's default offloads vs offloads off, interleaved in one lab (root; needs dist/ and
// bench/live/c). "off": every veth with checksumming, TSO, GSO and GRO off (what the lab did before
// issue 13: frames arrive as a wire carries them, nothing to finish). "on": the veths' defaults, so the
// director completes CHECKSUM_PARTIAL checksums, cuts TSO super-frames into segments and resolves every
// next hop actively (ARP/ND via the kernel, `ip monitor neigh`). With --before DIR (a built checkout of
// the code before issue 13: `git archive cc59cef | tar -x -C DIR`, node_modules linked, `npx tsc -p
// tsconfig.build.json`, `node scripts/build-native.mjs`), a third variant "before": that code with
// offloads off, the only way it forwarded (no completion, no segmentation, passive neighbours).
// ulvs NAT, 1 worker, on lb1; per run and
// workload a fresh director: bulk upload and download of 16 MiB through the VIP (socat / curl), wrk
// keep-alive (2 threads, 32 connections, 4 s), 64-byte UDP (udp-gen, 3 s). CPU per packet = utime+stime
// of the director process over the workload ÷ packets its pipeline handled (a super-frame counts as
// the segments it was cut into, so both variants count the same wire packets). Prints every run, the
// medians and the on/off ratios (markdown), for bench/live.md.
//   node bench/live/offload-ab.mjs [--reps 3] [--workers 1] [--mib 16] [--before DIR]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import { run } from '../../dist/util/exec.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR, LAB_HTTP_PORT } from '../../dist/lab/topology.js';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' }, workers: { type: 'string', default: '1' }, mib: { type: 'string', default: '16' }, before: { type: 'string' } } });
const mBefore = values.before ? await import(`${values.before}/dist/lab/modes.js`) : undefined;
const CDIR = new URL('./c/', import.meta.url).pathname;
const VIP = LAB_ADDR.vip4;
const MIB = Number(values.mib);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The reference variants only: every veth end with checksumming, TSO and GSO 'off', or back 'on' (a new
// veth's defaults; GRO stays off as on a new veth). The lab itself never changes offloads.
const setOffloads = (v) => Promise.all(lab.vethEnds().map(([ns, dev]) => run(['ethtool', '-K', dev, 'tx', v, 'rx', v, 'tso', v, 'gso', v, 'gro', 'off'], { netns: ns })));
const lab = await Lab.up({ id: 'offab' });
let cleaned;
const cleanup = () => (cleaned ??= lab.down());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
const rss = lab.byRole('realserver');
const extra = [`-A -t ${VIP}:9000 -s rr`, ...rss.map((rs) => `-a -t ${VIP}:9000 -r ${addr4(rs)}:9000 -m -w 1`),
  `-A -u ${VIP}:9001 -s rr`, ...rss.map((rs) => `-a -u ${VIP}:9001 -r ${addr4(rs)}:9001 -m -w 1`)].join('\n') + '\n';
const cpu = (pid) => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8'); const g = f.slice(f.lastIndexOf(')') + 2).split(' '); return (Number(g[11]) + Number(g[12])) / 100; };
const counter = (out, name) => [...out.matchAll(new RegExp(`"${name}":(\\d+)`, 'g'))].reduce((a, x) => a + Number(x[1]), 0);
const WORKLOADS = {
  upload: () => lab.exec('client', ['sh', '-c', `head -c ${MIB << 20} /dev/zero | socat -t 20 -u - TCP:${VIP}:9000`], { timeoutMs: 60000 }),
  download: () => lab.exec('client', ['sh', '-c', `curl -s -m 30 -o /dev/null http://${VIP}:${LAB_HTTP_PORT}/bytes/${MIB << 20}`], { timeoutMs: 60000 }),
  http: () => lab.exec('client', ['wrk', '-t2', '-c32', '-d4s', `http://${VIP}/`], { timeoutMs: 30000 }),
  udp: async () => lab.exec('client', [`${CDIR}bin/udp-gen`, 'eth0', await lab.mac('router', 'eth0'), VIP, '9001', '3', '0', '1024'], { timeoutMs: 30000 }),
};
const VARIANTS = [...(mBefore ? ['before'] : []), 'off', 'on'];
const runs = Object.fromEntries(VARIANTS.map((v) => [v, []]));
const load0 = (await import('node:os')).loadavg();
try {
  const built = await lab.exec('lb1', ['sh', '-c', `${CDIR}build.sh`]);
  if (built.code !== 0) throw new Error(`bench/live/c not built: ${built.stderr}`);
  const undo = await m.prepareRealServers(lab, 'nat');
  for (const rs of rss) lab.spawn(rs.name, ['socat', '-u', 'TCP-LISTEN:9000,reuseaddr,fork', 'OPEN:/dev/null'], { stdio: 'ignore' });
  await sleep(300);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const v of VARIANTS) {
      await setOffloads(v === 'on' ? 'on' : 'off');
      const mm = v === 'before' ? mBefore : m;
      const row = {};
      for (const [name, work] of Object.entries(WORKLOADS)) {
        const d = await mm.startLabDirector(lab, { mode: 'nat', backend: 'afpacket', workers: Number(values.workers), extraRules: extra });
        let out = '';
        try {
          const c0 = cpu(d.child.pid);
          const t0 = Date.now();
          const r = await work();
          const c1 = cpu(d.child.pid);
          if (r.code !== 0) throw new Error(`${name} failed: ${r.stderr || r.stdout}`);
          row[`${name}Secs`] = (Date.now() - t0) / 1000;
          row[`${name}Cpu`] = c1 - c0;
          if (name === 'http') row.rps = Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN));
        } finally {
          out = await d.stop();
        }
        const pkts = Number(/packets (\d+)/.exec(out)?.[1] ?? NaN);
        if (v === 'before') row.oversizeDrops = (row.oversizeDrops ?? 0) + counter(out, 'oversize_drops');
        row[`${name}Us`] = +((row[`${name}Cpu`] * 1e6) / pkts).toFixed(2);
        row[`${name}Pkts`] = pkts;
        if (name === 'upload') row.csum = counter(out, 'csum_completed'), row.gso = counter(out, 'gso_frames'), row.segs = counter(out, 'gso_segments');
        if (name === 'upload' || name === 'download') row[`${name}MBps`] = +(MIB / row[`${name}Secs`]).toFixed(1);
      }
      runs[v].push(row);
      process.stdout.write(`${v} run ${rep + 1}: ${JSON.stringify(row)}\n`);
    }
  }
  await undo();
} finally {
  await cleanup();
}
const load1 = (await import('node:os')).loadavg();
const med = (v, k) => runs[v].map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs[v].length / 2)];
const ref = mBefore ? 'before' : 'off';
const x = (v, k) => (med(v, k) / med(ref, k)).toFixed(2) + '×';
const NAME = { before: 'before (old code, offloads off)', off: 'after, offloads off', on: 'after, default offloads' };
const cols = VARIANTS.map((v) => NAME[v]);
const row = (label, k, extra = () => '') => `| ${label} | ${VARIANTS.map((v) => `${med(v, k)}${v === ref ? '' : ` (${x(v, k)})`}`).join(' | ')} | ${extra()} |`;
const lines = [
  `offload A/B, ulvs NAT afpacket ${values.workers} worker(s), median of ${values.reps} interleaved runs; load average ${load0.map((a) => a.toFixed(2)).join(' ')} at start, ${load1.map((a) => a.toFixed(2)).join(' ')} at the end`,
  '',
  `CPU µs per packet (× ${NAME[ref]}):`,
  '',
  `| workload | ${cols.join(' | ')} | throughput ${VARIANTS.join(' / ')} |`,
  `|---|${VARIANTS.map(() => '---:').join('|')}|---:|`,
  row(`upload ${MIB} MiB (client TSO → DNAT)`, 'uploadUs', () => `${VARIANTS.map((v) => med(v, 'uploadMBps')).join(' / ')} MiB/s`),
  row(`download ${MIB} MiB (real server TSO → SNAT)`, 'downloadUs', () => `${VARIANTS.map((v) => med(v, 'downloadMBps')).join(' / ')} MiB/s`),
  row('HTTP keep-alive (wrk 4 s)', 'httpUs', () => `${VARIANTS.map((v) => med(v, 'rps')).join(' / ')} req/s`),
  row('64-byte UDP (udp-gen 3 s, checksums complete)', 'udpUs'),
  '',
  `packets per upload ${VARIANTS.map((v) => med(v, 'uploadPkts')).join(' / ')}; upload with default offloads: ${med('on', 'csum')} checksums completed, ${med('on', 'gso')} super-frames cut into ${med('on', 'segs')} segments (median run).`,
];
process.stdout.write('\n' + lines.join('\n') + '\n');
