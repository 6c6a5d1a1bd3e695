// lab: alone — three directors, FRR on the router and 1000 flows (about 10 processes busy at once).
// N active directors behind the router's ECMP, announced with FRR's bgpd: three directors run
// `ulvs run --sloppy-tcp` (DR, mh + mh-port, ulvs_bgp, a bfd_instance towards the router's bfdd).
// 1000 long-lived keep-alive flows from the client keep their connection and their real server while
// lb2 is stopped (SIGTERM: withdraw first), added back, lb3 is killed (-9: bgpd dies with it), and lb1
// is drained (`ulvs drain` while the flows keep talking: it reports no packet for 1 s before it stops);
// new flows spread over the directors left; with every real server at weight 0 the last director
// withdraws the VIP, and announces it again when they are back. BGP sessions, received routes and BFD are read back from
// the router's FRR (vtysh JSON), the ECMP group from its kernel route. IPv6: every director also has an
// IPv6 session announcing the IPv6 VIP; the router's bgpd holds the three as multipath and 60 IPv6
// flows go through (DR, mh), the directors' counters show the IPv6 bytes.
import t from 'tap';
import path from 'node:path';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import {
  nextHopOfFlows,
  prepareEcmpRealServers,
  routerBfdPeers,
  routerBgpMultipath,
  routerBgpPeers,
  startEcmpDirector,
  waitNextHops,
  type EcmpDirector,
} from '../../src/lab/ecmp.js';
import { LAB_ADDR } from '../../src/lab/topology.js';
import { FlowClient, keptFlows, portsByDirector } from '../../src/lab/flow-client.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
/** The target; every round asks on all of them. */
const FLOWS = 1000;
const LB = { lb1: '198.18.0.11', lb2: '198.18.0.12', lb3: '198.18.0.13' } as const;
const LB6 = { lb1: 'fd75:6c76::11', lb2: 'fd75:6c76::12', lb3: 'fd75:6c76::13' } as const;

t.test('3 directors behind ECMP: flows keep their real server through stop, add, kill and drain', { skip: !root && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId(), directors: 3, ecmp: true });
  t.teardown(() => lab.down());
  await prepareEcmpRealServers(lab);
  const ds: Record<string, EcmpDirector> = {};
  for (const d of await Promise.all(Object.keys(LB).map((n) => startEcmpDirector(lab, n)))) ds[d.name] = d;
  t.same(await waitNextHops(lab, Object.values(LB)), Object.values(LB), 'the router has one ECMP route over the three directors');
  const peers = await routerBgpPeers(lab);
  for (const a of Object.values(LB)) t.match(peers[a], { state: 'Established', pfxRcd: 1 }, `router (vtysh): BGP with ${a} Established, 1 route received`);
  const until = Date.now() + 10_000;
  let bfd: Record<string, string> = {};
  while (Date.now() < until) {
    bfd = await routerBfdPeers(lab);
    if (Object.values(LB).every((a) => bfd[a] === 'up')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  for (const a of Object.values(LB)) t.equal(bfd[a], 'up', `router (vtysh): BFD with ${a} up`);

  // IPv6: each director's IPv6 session announces the IPv6 VIP; the router's bgpd takes the three as
  // multipath, its kernel routes the VIP over them, and IPv6 flows go through in DR with mh.
  t.same(await waitNextHops(lab, Object.values(LB6), 15_000, LAB_ADDR.vip6), Object.values(LB6), 'router (kernel): one ECMP route for the IPv6 VIP');
  const peers6 = await routerBgpPeers(lab, 6);
  for (const a of Object.values(LB6)) t.match(peers6[a], { state: 'Established', pfxRcd: 1 }, `router (vtysh): IPv6 BGP with ${a} Established, 1 route`);
  t.same(await routerBgpMultipath(lab, `${LAB_ADDR.vip6}/128`), Object.values(LB6), 'router (vtysh): the IPv6 VIP has three multipath next hops');
  const v6 = await FlowClient.start(lab, 60, LAB_ADDR.vip6);
  t.equal(v6.first.filter((f) => f.rs).length, 60, '60 IPv6 flows answered by a real server');
  t.ok(new Set(v6.first.map((f) => f.rs)).size > 1, 'mh-port spreads the IPv6 flows over real servers');
  const picks6 = await nextHopOfFlows(
    lab,
    v6.first.map((f) => f.port),
    LAB_ADDR.vip6,
  );
  t.ok(new Set(picks6).size > 1, `the router spreads the IPv6 flows over ${new Set(picks6).size} directors`);
  t.equal(keptFlows(v6.first, await v6.flows.round()), 60, 'the IPv6 flows keep their connection and real server');
  v6.flows.quit();
  const ulvsadm6 = (d: string) => run([process.execPath, path.join(process.cwd(), 'bin/ulvsadm.mjs'), '-L', '-n', '--stats', '--exact'], { netns: lab.ns(d) });
  for (const [d, a] of Object.entries(LB6)) {
    if (!picks6.includes(a)) continue;
    const bytes = Number(/^TCP\s+\[fd75:6c76::100\]:80\s+\d+\s+\d+\s+\d+\s+(\d+)/m.exec((await ulvsadm6(d)).stdout)?.[1] ?? 0);
    t.ok(bytes > 0, `${d} forwarded IPv6 bytes (${bytes} in)`);
  }

  const { flows, first } = await FlowClient.start(lab, FLOWS);
  t.teardown(() => flows.quit());
  t.equal(first.filter((f) => f.rs).length, FLOWS, `${FLOWS} flows answered`);
  t.equal(new Set(first.map((f) => f.rs)).size, 3, 'mh-port spreads them over the three real servers');
  const carried = await portsByDirector(lab, Object.keys(LB));
  for (const d of Object.keys(LB)) t.ok(carried[d]!.size > FLOWS / 10, `ECMP gives ${d} a share of the flows (${carried[d]!.size})`);

  const check = async (what: string): Promise<void> => {
    const kept = keptFlows(first, await flows.round());
    t.equal(kept, FLOWS, `${what}: every flow kept its connection and its real server (${kept}/${FLOWS})`);
  };
  await check('before any change');

  // Stop (SIGTERM): the withdraw goes first, the router moves lb2's flows to lb1/lb3, which schedule them by mh.
  await ds.lb2!.stop('SIGTERM');
  t.same(await waitNextHops(lab, [LB.lb1, LB.lb3]), [LB.lb1, LB.lb3], 'lb2 stopped: withdrawn from the ECMP route');
  t.match(ds.lb2!.log(), /bgp: withdraw 198\.18\.0\.100\/32/, 'lb2 logged its withdraw');
  await check('lb2 stopped');
  const fresh = await flows.fresh(60);
  t.equal(fresh.filter((f) => f.rs).length, 60, 'new flows are answered');
  const after = await portsByDirector(lab, ['lb1', 'lb3']);
  for (const d of ['lb1', 'lb3'])
    t.ok(
      fresh.some((f) => after[d]!.has(f.port)),
      `new flows spread: ${d} carries some`,
    );

  // Added back: ECMP rehashes some flows onto lb2, which never saw them (sloppy_tcp + mh).
  ds.lb2 = await startEcmpDirector(lab, 'lb2');
  t.same(await waitNextHops(lab, Object.values(LB)), Object.values(LB), 'lb2 added back into the ECMP route');
  await check('lb2 added back');
  const back = await portsByDirector(lab, ['lb2']);
  t.ok(
    first.some((f) => back.lb2!.has(f.port)),
    'lb2 carries long-lived flows it never saw open (mid-flow, scheduled by the hash)',
  );

  // kill -9: bgpd dies with ulvs (pdeathsig), its session closes, the router withdraws at once.
  await ds.lb3!.stop('SIGKILL');
  t.same(await waitNextHops(lab, [LB.lb1, LB.lb2]), [LB.lb1, LB.lb2], 'lb3 killed: gone from the ECMP route');
  await check('lb3 killed');
  t.notMatch((await routerBgpPeers(lab))[LB.lb3]?.state ?? 'gone', /Established/, 'router (vtysh): the session with lb3 is down');

  // Drain lb1 while the flows keep talking: withdraw, no packet for 1 s, then it stops.
  let talking = true;
  let during = 0;
  const chatter = (async () => {
    while (talking) {
      const k = keptFlows(first, await flows.round());
      if (k !== FLOWS) during++;
    }
  })();
  const drain = await run([process.execPath, path.join(process.cwd(), 'bin/ulvs.mjs'), 'drain'], { netns: lab.ns('lb1'), timeoutMs: 30_000 });
  t.equal(drain.code, 0, drain.stderr);
  t.match(
    drain.stdout,
    /withdrew (198\.18\.0\.100\/32 fd75:6c76::100\/128|fd75:6c76::100\/128 198\.18\.0\.100\/32); no packet for 1 s/,
    'drain: after the withdraw lb1 saw no packet for 1 s before stopping',
  );
  await ds.lb1!.exited;
  talking = false;
  await chatter;
  t.equal(during, 0, 'no round during the drain lost or moved a flow');
  t.same(await waitNextHops(lab, [LB.lb2]), [LB.lb2], 'lb1 drained: only lb2 left');
  await check('lb1 drained');

  // Out of service (every real server at weight 0, as quorum loss leaves it): lb2 withdraws; back: it announces.
  const ulvsadm = (...a: string[]) => run([process.execPath, path.join(process.cwd(), 'bin/ulvsadm.mjs'), ...a], { netns: lab.ns('lb2') });
  const weights = async (w: string) => {
    for (const rs of ['198.18.0.21', '198.18.0.22', '198.18.0.23'])
      t.equal((await ulvsadm('-e', '-t', '198.18.0.100:80', '-r', `${rs}:80`, '-g', '-w', w)).code, 0);
  };
  await weights('0');
  t.same(await waitNextHops(lab, []), [], 'no real server of weight > 0 on lb2: the VIP is withdrawn');
  await weights('1');
  t.same(await waitNextHops(lab, [LB.lb2]), [LB.lb2], 'real servers back: announced again');
});
