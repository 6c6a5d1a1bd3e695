#!/usr/bin/env node
// HTTP head to head on the lab topology (root; needs dist/): ulvs in one LVS mode on both backends
// against HAProxy (mode tcp, 2 threads) and nginx stream (2 workers), interleaved REPS times in one lab
// so every path sees the same machine. Per run: wrk (2 threads, 32 connections, 4 s) keep-alive and
// Connection: close, after a 2 s warm-up. Prints every run and the medians (of the runs where wrk reported).
//   node bench/live/http-ab.mjs [--mode dr|nat|tun] [--workers 1] [--reps 3]
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR } from '../../dist/lab/topology.js';

const { values } = parseArgs({ options: { mode: { type: 'string', default: 'tun' }, workers: { type: 'string', default: '1' }, reps: { type: 'string', default: '3' } } });
const mode = values.mode;
const VIP = LAB_ADDR.vip4;
const TMP = { haproxy: '/tmp/ulvs-httpab-haproxy.cfg', nginx: '/tmp/ulvs-httpab-nginx.conf', nginxErr: '/tmp/ulvs-httpab-nginx.err', nginxPid: '/tmp/ulvs-httpab-nginx.pid' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lab = await Lab.up({ id: 'httpab' });
let cleaned;
const cleanup = () => (cleaned ??= (async () => { await lab.down(); for (const f of Object.values(TMP)) rmSync(f, { force: true }); })());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
// Connection: close runs open ~5k connections/s: without port reuse the client (and a proxy's side towards the
// real servers) runs out of ephemeral ports in TIME_WAIT and later rows collapse to a few hundred req/s.
for (const host of ['client', 'lb1']) await lab.execOk(host, ['sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1']);
const rss = lab.byRole('realserver');
const variants = ['ulvs afpacket', 'ulvs nfqueue', 'haproxy', 'nginx'];
const runs = Object.fromEntries(variants.map((v) => [v, []]));

async function wrk(close, seconds = 4) {
  const r = await lab.exec('client', ['wrk', '-t2', '-c32', `-d${seconds}s`, ...(close ? ['-H', 'Connection: close'] : []), `http://${VIP}/`], { timeoutMs: 30000 });
  return Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? NaN));
}

/** Starts one path on lb1; resolves to its stop function. */
async function start(v) {
  if (v.startsWith('ulvs')) {
    const d = await m.startLabDirector(lab, { mode, backend: v.split(' ')[1], workers: Number(values.workers) });
    return () => d.stop();
  }
  await lab.execOk('lb1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
  let p;
  if (v === 'haproxy') {
    writeFileSync(TMP.haproxy, `global\n  maxconn 4000\n  nbthread 2\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend f\n  bind ${VIP}:80\n  default_backend b\nbackend b\n  balance roundrobin\n${rss.map((rs) => `  server ${rs.name} ${addr4(rs)}:80\n`).join('')}`);
    p = lab.spawn('lb1', ['haproxy', '-db', '-f', TMP.haproxy]);
  } else {
    writeFileSync(TMP.nginx, `load_module /usr/lib/nginx/modules/ngx_stream_module.so;\nworker_processes 2;\ndaemon off;\npid ${TMP.nginxPid};\nerror_log ${TMP.nginxErr} warn;\nevents { worker_connections 4096; }\nstream {\n  upstream b {\n${rss.map((rs) => `    server ${addr4(rs)}:80;\n`).join('')}  }\n  server { listen ${VIP}:80; proxy_pass b; }\n}\n`);
    p = lab.spawn('lb1', ['nginx', '-e', TMP.nginxErr, '-c', TMP.nginx]);
  }
  await sleep(1000);
  if (p.exitCode !== null) throw new Error(`${v} exited: ${v === 'nginx' ? readFileSync(TMP.nginxErr, 'utf8') : ''}`);
  return async () => {
    const gone = new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    await lab.exec('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  };
}

try {
  const undo = await m.prepareRealServers(lab, mode);
  for (let rep = 0; rep < Number(values.reps); rep++) {
    for (const v of variants) {
      const stop = await start(v);
      try {
        await wrk(false, 2); // warm-up, for every path alike (a fresh director runs unoptimised JS at first)
        const row = { keepAlive: await wrk(false), close: await wrk(true) };
        runs[v].push(row);
        process.stdout.write(`${v} run ${rep + 1}: ${JSON.stringify(row)}\n`);
      } finally {
        await stop();
      }
    }
  }
  await undo();
} finally {
  await cleanup();
}
const med = (rows, k) => { const v = rows.map((r) => r[k]).filter(Number.isFinite).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : NaN; };
process.stdout.write(`\n| ${mode.toUpperCase()}, median of ${values.reps} (ulvs ${values.workers} worker${values.workers === '1' ? '' : 's'}) | req/s keep-alive | req/s close |\n|---|---:|---:|\n`);
for (const v of variants) process.stdout.write(`| ${v} | ${med(runs[v], 'keepAlive')} | ${med(runs[v], 'close')} |\n`);
