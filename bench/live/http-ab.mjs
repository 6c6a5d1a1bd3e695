#!/usr/bin/env node
// HTTP head to head on the lab topology (root; needs dist/): ulvs in one LVS mode on both backends
// against HAProxy (mode tcp, 2 threads) and nginx stream (2 workers), interleaved REPS times in one lab
// so every path sees the same machine. Per run: wrk (2 threads, 32 connections, 4 s) keep-alive and
// Connection: close, after a 2 s warm-up. Prints every run and the medians (of the runs where wrk reported).
//   node bench/live/http-ab.mjs [--mode dr|nat|tun] [--workers 1] [--reps 3]
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { LAB_ADDR } from '../../dist/lab/topology.js';
import { allowPortReuse, removeTemp, startProxy } from './paths.mjs';

const { values } = parseArgs({ options: { mode: { type: 'string', default: 'tun' }, workers: { type: 'string', default: '1' }, reps: { type: 'string', default: '3' } } });
const mode = values.mode;
const VIP = LAB_ADDR.vip4;
const lab = await Lab.up({ id: 'httpab' });
let cleaned;
const cleanup = () => (cleaned ??= (async () => { await lab.down(); removeTemp('httpab'); })());
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { cleanup().finally(() => process.exit(130)); });
await allowPortReuse(lab);
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
  return (await startProxy(lab, v, 'httpab')).stop;
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
