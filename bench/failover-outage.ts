/**
 * Client-seen outage of a MASTER failure through the data plane (results in bench/failover.md): two
 * directors, each `ulvs keepalived -n -l -f FILE` (supervisor + daemon) with a NAT service over the
 * lab's three real servers, VRRPv2 advert_int 1 s, nopreempt; the client opens short HTTP connections
 * to the VIP in a loop (curl, connect timeout 0.5 s, 1 s overall). Per repetition the current MASTER
 * fails at one instant, alternating directors: `kill -9` of its daemon (the supervisor cleans up and
 * restarts it) or TERM of its supervisor (a clean stop: priority-0 adverts), restarted afterwards.
 * Outage = longest gap between two successful connections around the failure; failed = connections
 * that did not complete. Not a test: nothing here is asserted.
 * Run (root): npx tsc -p tsconfig.build.json && node --import @tapjs/typescript/import bench/failover-outage.ts [--reps N]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Lab, uniqueLabId } from '../src/lab/lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, addr4 } from '../src/lab/topology.js';
import { prepareRealServers } from '../src/lab/modes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1] || 5) || 5;
const VIP = LAB_ADDR.vip4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Failure = 'kill -9' | 'TERM';

function conf(lab: Lab, priority: number): string {
  return (
    `vrrp_instance VI_1 {\n  state BACKUP\n  nopreempt\n  interface eth0\n  virtual_router_id 53\n  priority ${priority}\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    ${VIP}/24\n    ${LAB_ADDR.natGateway4}/24\n  }\n}\n` +
    `virtual_server ${VIP} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    lab
      .byRole('realserver')
      .map((rs) => `  real_server ${addr4(rs)} ${LAB_HTTP_PORT} {\n    weight 1\n  }\n`)
      .join('') +
    '}\n'
  );
}

async function main(): Promise<void> {
  const lab = await Lab.up({ id: uniqueLabId() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-outage-'));
  const sups = new Map<string, ChildProcess>();
  let load: ChildProcess | undefined;
  try {
    const undo = await prepareRealServers(lab, 'nat');
    const start = (node: string): void => {
      const file = path.join(dir, `${node}.conf`);
      const pid = (n: string): string => path.join(dir, `${node}-${n}.pid`);
      sups.set(
        node,
        lab.spawn(
          node,
          [process.execPath, path.join(ROOT, 'bin/ulvs.mjs'), 'keepalived', '-n', '-l', '-f', file, '-p', pid('k'), '-r', pid('v'), '-c', pid('c')],
          { env: { ...process.env, ULVS_TMP_DIR: dir }, stdio: 'ignore' },
        ),
      );
    };
    for (const [node, prio] of [
      ['lb1', 150],
      ['lb2', 100],
    ] as const) {
      writeFileSync(path.join(dir, `${node}.conf`), conf(lab, prio));
      start(node);
    }
    const holds = async (node: string): Promise<boolean> =>
      (await lab.exec(node, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(` ${VIP}/`);
    const queued = async (node: string): Promise<boolean> => (await lab.exec(node, ['cat', '/proc/net/netfilter/nfnetlink_queue'])).stdout.trim() !== '';
    const until = async (f: () => Promise<boolean>, ms: number): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await f()) return true;
      return false;
    };
    if (!(await until(() => holds('lb1'), 20000))) throw new Error('lb1 did not become MASTER');
    const loop = `while :; do s=$(($(date +%s%N)/1000000)); r=$(curl -s --connect-timeout 0.5 -m 1 http://${VIP}:${LAB_HTTP_PORT}/) || r=FAIL; [ -n "$r" ] || r=FAIL; echo "$s $(($(date +%s%N)/1000000)) $r"; done`;
    load = lab.spawn('client', ['sh', '-c', loop]);
    let out = '';
    load.stdout!.on('data', (d) => {
      out += d;
    });
    await sleep(2000);
    const results: Record<Failure, Array<{ outageMs: number; failed: number; conns: number; takeoverMs: number }>> = { 'kill -9': [], TERM: [] };
    for (let i = 0; i < reps * 2; i++) {
      const failure: Failure = i % 2 === 0 ? 'kill -9' : 'TERM';
      const master = (await holds('lb1')) ? 'lb1' : 'lb2';
      const other = master === 'lb1' ? 'lb2' : 'lb1';
      const tFail = Date.now();
      if (failure === 'kill -9') process.kill(Number(readFileSync(path.join(dir, `${master}-v.pid`), 'utf8')), 'SIGKILL');
      else sups.get(master)!.kill('SIGTERM');
      if (!(await until(() => holds(other), 15000))) throw new Error(`${other} did not take over`);
      const takeoverMs = Date.now() - tFail;
      await sleep(1500);
      if (failure === 'TERM') {
        await until(async () => sups.get(master)!.exitCode !== null, 8000);
        start(master);
      }
      // The failed director is back (restarted by its supervisor or by us) as BACKUP, data plane up.
      await until(() => queued(master), 20000);
      await sleep(1500);
      const all = out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [s, e, who] = l.split(' ');
          return { s: Number(s), e: Number(e), ok: who !== 'FAIL' };
        });
      const lines = all.filter((l) => l.e > tFail && l.e <= Date.now());
      // The gap runs from the last success before the failure to each success after it.
      let lastOk = Math.max(...all.filter((l) => l.ok && l.e <= tFail).map((l) => l.e), tFail - 1000);
      let outageMs = 0;
      for (const l of lines)
        if (l.ok) {
          outageMs = Math.max(outageMs, l.e - lastOk);
          lastOk = Math.max(lastOk, l.e);
        }
      results[failure].push({ outageMs, failed: lines.filter((l) => !l.ok).length, conns: lines.length, takeoverMs });
      process.stderr.write(
        `${failure} of ${master}: VIP on ${other} after ${takeoverMs} ms, outage ${outageMs} ms, ${lines.filter((l) => !l.ok).length} failed of ${lines.length}\n`,
      );
    }
    console.log(
      '| failure | outage (ms, longest gap without a successful new connection) | failed connections | connections in the window | VIP seen on the other director after (ms) |',
    );
    console.log('|---|---|---|---|---|');
    for (const [f, rs] of Object.entries(results)) {
      console.log(
        `| ${f} | ${rs.map((r) => r.outageMs).join(', ')} (max ${Math.max(...rs.map((r) => r.outageMs))}) | ${rs.map((r) => r.failed).join(', ')} | ${rs.map((r) => r.conns).join(', ')} | ${rs.map((r) => r.takeoverMs).join(', ')} |`,
      );
    }
    console.log(
      `load average: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    await undo();
  } finally {
    load?.kill('SIGKILL');
    for (const s of sups.values()) if (s.exitCode === null) s.kill('SIGTERM');
    await sleep(2000);
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
