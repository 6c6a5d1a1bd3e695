/**
 * `ulvs lab demo --ecmp` and `ulvs lab up --ecmp`: N directors behind the router's ECMP, each announcing
 * the VIP with BGP (FRR bgpd) — the demo shows long-lived flows spread over the directors and the real
 * servers, then a director drained out (`ulvs drain`) while every flow keeps its real server.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { run } from '../util/exec.js';
import { prepareEcmpRealServers, routerBfdPeers, routerBgpPeers, startEcmpDirector, vipNextHops, waitNextHops, type EcmpDirector } from './ecmp.js';
import { FlowClient, keptFlows, portsByDirector } from './flow-client.js';
import type { Lab } from './lab.js';
import { LAB_STATE_DIR } from './lab.js';
import { addr4 } from './topology.js';

/** Prepares the real servers (DR) and starts `ulvs run` on every director; resolves when the router routes over all of them. */
export async function startEcmp(lab: Lab, detached = false): Promise<EcmpDirector[]> {
  const logDir = path.join(LAB_STATE_DIR, `${lab.id}-ecmp`);
  mkdirSync(logDir, { recursive: true });
  await prepareEcmpRealServers(lab, detached ? { detached: true, logDir } : {});
  const directors = lab.byRole('director').map((n) => n.name);
  const ds = await Promise.all(directors.map((d) => startEcmpDirector(lab, d)));
  const want = lab.byRole('director').map(addr4);
  const got = await waitNextHops(lab, want);
  if (got.length !== want.length) throw new Error(`the router routes the VIP over ${got.join(', ') || 'nothing'}, not over every director`);
  return ds;
}

function count(values: readonly string[]): string {
  const c = new Map<string, number>();
  for (const v of values) c.set(v || 'failed', (c.get(v || 'failed') ?? 0) + 1);
  return [...c.entries()]
    .sort()
    .map(([k, v]) => `${k}=${v}`)
    .join('  ');
}

/** Runs the ECMP demo on a lab built with ecmp; resolves to an exit code. */
export async function runEcmpDemo(lab: Lab, out: (line: string) => void, flowsN = 300): Promise<number> {
  const names = lab.byRole('director').map((n) => n.name);
  out(`== ${names.length} directors behind ECMP: each runs 'ulvs run --sloppy-tcp' (DR, mh + mh-port, ulvs_bgp, BFD to the router)`);
  await startEcmp(lab);
  out(`   router's route to the VIP: ${(await vipNextHops(lab)).join(', ')} (fib_multipath_hash_policy=1: L4 hash)`);
  const { flows, first } = await FlowClient.start(lab, flowsN);
  const bgp = await routerBgpPeers(lab);
  const bfd = await routerBfdPeers(lab);
  for (const [a, p] of Object.entries(bgp)) out(`   router (vtysh): BGP ${a} ${p.state}, ${p.pfxRcd} route(s); BFD ${bfd[a] ?? '-'}`);
  for (const [a, p] of Object.entries(await routerBgpPeers(lab, 6))) out(`   router (vtysh): BGP ${a} ${p.state}, ${p.pfxRcd} IPv6 route(s)`);
  let bad = first.filter((f) => !f.rs).length;
  try {
    const by = await portsByDirector(lab, names);
    out(
      `   ${flowsN} long-lived flows from the client; per director: ${names.map((d) => `${d}=${first.filter((f) => by[d]!.has(f.port)).length}`).join('  ')}`,
    );
    out(`   per real server: ${count(first.map((f) => f.rs))}`);
    const leaving = names[names.length > 1 ? 1 : 0]!;
    out(`   ulvs drain on ${leaving} (withdraw, wait until the traffic moved, stop):`);
    const r = await run([process.execPath, path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/ulvs.mjs'), 'drain'], {
      netns: lab.ns(leaving),
      timeoutMs: 30_000,
    });
    out(`     ${(r.stdout || r.stderr).trim()}`);
    if (r.code !== 0) bad++;
    const rest = names.filter((d) => d !== leaving);
    out(
      `   router's route to the VIP now: ${(
        await waitNextHops(
          lab,
          lab
            .byRole('director')
            .filter((n) => n.name !== leaving)
            .map(addr4),
        )
      ).join(', ')}`,
    );
    const again = await flows.round();
    const kept = keptFlows(first, again);
    if (kept !== flowsN) bad += flowsN - kept;
    const by2 = await portsByDirector(lab, rest);
    out(
      `   the same flows again: ${kept}/${flowsN} kept their connection and real server; per director: ${rest.map((d) => `${d}=${again.filter((f) => by2[d]!.has(f.port)).length}`).join('  ')}`,
    );
  } finally {
    flows.quit();
  }
  out(bad === 0 ? 'demo complete: every flow kept its real server' : `demo finished with ${bad} failure(s)`);
  return bad === 0 ? 0 : 1;
}
