/**
 * N active directors behind ECMP (results in bench/ecmp.md), in the lab of `ulvs lab up --ecmp`:
 * part A, with 1000 long-lived flows: the share that changes director (the router's own pick, `ip route
 * get` per flow) and that changes real server (the answer) when a director is removed and added back,
 * with and without --sloppy-tcp; part B, the time from a director's death (zero-length queues drop what its
 * kernel sends and every frame towards it: no FIN, no withdraw) until the router's ECMP route drops it and until every flow answers again, with BGP's hold
 * timer (9 s, 3 s) and with BFD (200 ms × 3); part C, wrk keep-alive HTTP through 1, 2, 3 directors: req/s
 * and each director's CPU per packet. Not a test: nothing here is asserted.
 * Part A runs once per router hash (--hash threshold,resilient: FRR's hash-threshold route, or the kernel
 * resilient group of `--ecmp resilient`); B and C on FRR's route.
 * Run (root): npx tsc -p tsconfig.build.json && node --import @tapjs/typescript/import bench/ecmp.ts [--part A|B|C] [--reps N] [--hash threshold,resilient]
 */
import { mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_STATE_DIR, Lab, uniqueLabId } from '../src/lab/lab.js';
import {
  prepareEcmpRealServers,
  nextHopOfFlows,
  routerBfdPeers,
  startEcmpDirector,
  vipNextHops,
  waitNextHops,
  type EcmpDirector,
  type EcmpHash,
} from '../src/lab/ecmp.js';
import { FlowClient, keptFlows } from '../src/lab/flow-client.js';
import { LAB_ADDR } from '../src/lab/topology.js';
import { run } from '../src/util/exec.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (k: string, d: string): string => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1]! : d);
const part = arg('--part', 'ABC');
const reps = Number(arg('--reps', '2'));
const hashes: EcmpHash[] = arg('--hash', 'threshold,resilient').split(',') as EcmpHash[];
const FLOWS = 1000;
const LB: Record<string, string> = { lb1: '198.18.0.11', lb2: '198.18.0.12', lb3: '198.18.0.13' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (n: number, d: number): string => `${((100 * n) / d).toFixed(1)} %`;

/** Waits (60 s at most) until the router routes the VIP over exactly `hops`: a measurement against a partial route would count the missing director's share as moved. */
async function mustRoute(lab: Lab, hops: string[]): Promise<void> {
  const want = [...hops].sort();
  const got = await waitNextHops(lab, want, 60_000);
  if (got.join() !== want.join()) throw new Error(`the router routes over ${got.join(' ') || 'nothing'}, not ${want.join(' ')}`);
}

async function startAll(lab: Lab, names: string[], o: Parameters<typeof startEcmpDirector>[2] = {}): Promise<Record<string, EcmpDirector>> {
  const ds: Record<string, EcmpDirector> = {};
  for (const d of await Promise.all(names.map((n) => startEcmpDirector(lab, n, o)))) ds[d.name] = d;
  await mustRoute(
    lab,
    names.map((n) => LB[n]!),
  );
  return ds;
}

async function stopAll(ds: Record<string, EcmpDirector>): Promise<void> {
  for (const d of Object.values(ds)) await d.stop('SIGTERM');
}

async function partA(lab: Lab, hash: EcmpHash): Promise<void> {
  console.log(`\n## A (${hash}). flows that change director / real server (1000 long-lived flows, 3 directors)\n`);
  console.log(
    '| router hash | --sloppy-tcp | change | flows that change director | of them between directors that stay | flows that change real server | flows broken (new connection or no answer) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const sloppy of [true, false]) {
    const ds = await startAll(lab, Object.keys(LB), { sloppyTcp: sloppy });
    const { flows, first } = await FlowClient.start(lab, FLOWS);
    const ports = first.map((f) => f.port);
    const hop0 = await nextHopOfFlows(lab, ports);
    // `director` left or joined: a move from or to it is unavoidable, any other move is the hash's doing.
    const step = async (what: string, from: string[], director: string): Promise<string[]> => {
      const hop = await nextHopOfFlows(lab, ports);
      const ans = await flows.round();
      const moved = hop.filter((h, i) => h !== from[i]).length;
      const between = hop.filter((h, i) => h !== from[i] && h !== LB[director] && from[i] !== LB[director]).length;
      const rsChanged = ans.filter((a, i) => a.rs && a.port === first[i]!.port && a.rs !== first[i]!.rs).length;
      const broken = ans.filter((a, i) => !a.rs || a.port !== first[i]!.port).length;
      console.log(`| ${hash} | ${sloppy ? 'yes' : 'no'} | ${what} | ${pct(moved, FLOWS)} (${moved}) | ${between} | ${rsChanged} | ${broken} |`);
      return hop;
    };
    await ds.lb3!.stop('SIGTERM');
    await mustRoute(lab, [LB.lb1!, LB.lb2!]);
    const hop1 = await step('remove lb3 (3 -> 2)', hop0, 'lb3');
    ds.lb3 = await startEcmpDirector(lab, 'lb3', { sloppyTcp: sloppy });
    await mustRoute(lab, Object.values(LB));
    const hop2 = await step('add lb3 back (2 -> 3)', hop1, 'lb3');
    await ds.lb2!.stop('SIGTERM');
    await mustRoute(lab, [LB.lb1!, LB.lb3!]);
    await step('remove lb2, the middle one (3 -> 2)', hop2, 'lb2');
    flows.quit();
    await stopAll(ds);
    await sleep(500);
  }
}

async function partB(lab: Lab): Promise<void> {
  const deadQueue = (op: 'replace' | 'del') => [
    run(['tc', 'qdisc', op, 'dev', 'eth0', 'root', ...(op === 'replace' ? ['pfifo', 'limit', '0'] : [])], { netns: lab.ns('lb2') }),
    run(['tc', 'qdisc', op, 'dev', 'lb2-eth0', 'root', ...(op === 'replace' ? ['pfifo', 'limit', '0'] : [])], { netns: lab.ns('sw') }),
  ];
  console.log(
    '\n## B. a director dies (zero-length queues: nothing reaches it, its kernel sends nothing): time until the router drops it / until every flow answers\n',
  );
  console.log('| detection | rep | flows on the dead director | route without it after | a round with all 300 flows kept done after |');
  console.log('|---|---|---|---|---|');
  const cases: Array<[string, Parameters<typeof startEcmpDirector>[2]]> = [
    ['BFD 200 ms x 3', { bfd: true, holdS: 9 }],
    ['BGP hold 3 s', { bfd: false, holdS: 3 }],
    ['BGP hold 9 s', { bfd: false, holdS: 9 }],
  ];
  for (const [name, o] of cases) {
    for (let r = 1; r <= reps; r++) {
      const ds = await startAll(lab, Object.keys(LB), o);
      if (o!.bfd) {
        const until = Date.now() + 10_000;
        for (;;) {
          const b = await routerBfdPeers(lab);
          if (Object.values(LB).every((a) => b[a] === 'up') || Date.now() > until) break;
          await sleep(100);
        }
      }
      const { flows, first } = await FlowClient.start(lab, 300);
      const onDead = (
        await nextHopOfFlows(
          lab,
          first.map((f) => f.port),
        )
      ).filter((h) => h === LB.lb2).length;
      const t0 = Date.now();
      // Death without a goodbye, links up (so the switch floods nothing): a zero-length queue drops what
      // lb2's kernel sends (BGP, BFD) and, on the switch port, every frame towards lb2.
      await Promise.all(deadQueue('replace'));
      // Rounds until one has every flow answered on its own connection by its own real server.
      const roundDone = (async () => {
        while (Date.now() - t0 < 60_000) if (keptFlows(first, await flows.round()) === first.length) return Date.now() - t0;
        return -1;
      })();
      let routeMs = -1;
      while (Date.now() - t0 < 30_000) {
        if (!(await vipNextHops(lab)).includes(LB.lb2!)) {
          routeMs = Date.now() - t0;
          break;
        }
        await sleep(10);
      }
      const flowsMs = await roundDone;
      console.log(`| ${name} | ${r} | ${onDead} | ${routeMs} ms | ${flowsMs} ms |`);
      flows.quit();
      await Promise.all(deadQueue('del'));
      await stopAll(ds);
      await sleep(500);
    }
  }
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]);
}

async function inPkts(lab: Lab, d: string): Promise<number> {
  const r = await lab.exec(d, [process.execPath, path.join(ROOT, 'bin/ulvsadm.mjs'), '-L', '-n', '--stats', '--exact']);
  const m = /^TCP\s+\S+\s+(\d+)\s+(\d+)/m.exec(r.stdout);
  return m ? Number(m[2]) : 0;
}

async function partC(lab: Lab): Promise<void> {
  console.log('\n## C. wrk keep-alive HTTP (64 connections, 8 s) through 1, 2, 3 directors\n');
  console.log('| directors | req/s | per director: packets in, CPU µs per packet |');
  console.log('|---|---|---|');
  const tick = 1e6 / 100; // µs per clock tick (USER_HZ 100)
  for (const n of [1, 2, 3]) {
    const names = Object.keys(LB).slice(0, n);
    const ds = await startAll(lab, names);
    await sleep(1000);
    const c0 = names.map((d) => cpuTicks(ds[d]!.pid));
    const p0 = await Promise.all(names.map((d) => inPkts(lab, d)));
    const w = await lab.exec('client', ['wrk', '-t', '1', '-c', '64', '-d', '8s', `http://${LAB_ADDR.vip4}/`], { timeoutMs: 30_000 });
    const c1 = names.map((d) => cpuTicks(ds[d]!.pid));
    const p1 = await Promise.all(names.map((d) => inPkts(lab, d)));
    const rps = /Requests\/sec:\s+([\d.]+)/.exec(w.stdout)?.[1] ?? '?';
    const per = names.map((d, i) => `${d} ${p1[i]! - p0[i]!} pkts, ${(((c1[i]! - c0[i]!) * tick) / Math.max(1, p1[i]! - p0[i]!)).toFixed(2)} µs`);
    console.log(`| ${n} | ${rps} | ${per.join('; ')} |`);
    await stopAll(ds);
    await sleep(500);
  }
}

async function withLab(hash: EcmpHash, body: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.up({ id: uniqueLabId(), directors: 3, ecmp: true, ecmpHash: hash });
  try {
    // Logs under the lab's state dir: lab down removes them.
    const logDir = path.join(LAB_STATE_DIR, `${lab.id}-ecmp`);
    mkdirSync(logDir, { recursive: true });
    await prepareEcmpRealServers(lab, { detached: true, logDir });
    await body(lab);
  } finally {
    await lab.down();
  }
}

async function main(): Promise<void> {
  console.log(
    `# bench/ecmp.ts — ${new Date().toISOString()}, load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  if (part.includes('A')) for (const h of hashes) await withLab(h, (lab) => partA(lab, h));
  if (part.includes('B') || part.includes('C'))
    await withLab('threshold', async (lab) => {
      if (part.includes('B')) await partB(lab);
      if (part.includes('C')) await partC(lab);
    });
}

await main();
