// `ulvs explain` / the dashboard walk of a DR packet on NFQUEUE: the director accepts the packet unchanged with its
// real server's mark, so no field is marked as rewritten; the explanation and the walk say instead what the kernel
// does at egress — the mark, the policy route the director installed for it, the MACs it writes (the real server's
// from the neighbour table, or that it asks ARP for it) and the TTL ip_forward takes off.
import t from 'tap';
import { LinkType } from '../../src/core/batch.js';
import { explainFlowOn } from '../../src/control/pool-explain.js';
import { packetWalk } from '../../src/dashboard/walk.js';
import { SnapshotCompiler, loadSnapshot } from '../../src/dataplane/snapshot.js';
import type { SnapshotEnv } from '../../src/dataplane/snapshot-types.js';
import { drDestsOf, planDirectorNet } from '../../src/host/director-plan.js';
import type { IpvsRules } from '../../src/ipvs/types.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { formatWalk } from '../../src/cli/commands/explain.js';
import { svc } from '../table/harness.js';

const VIP = '10.0.0.100';
const RS = '192.168.1.10';
const RS_MAC = '02:00:00:00:01:10';

function nfqueueDr(neighbours: Record<string, string>, forward: 'dr' | 'nat' = 'dr') {
  const env: SnapshotEnv = {
    linkType: LinkType.Ip,
    interfaces: [{ ifindex: 2, name: 'eth1', mac: '02:00:00:00:00:01', mtu: 1500, addresses: ['10.0.0.1/24', '192.168.1.1/24'] }],
    neighbours,
    routes: [{ prefix: '192.168.1.0', prefixLen: 24, ifindex: 2 }],
  };
  const rules: IpvsRules = { services: [svc('tcp', VIP, 80, 'rr', [{ address: RS, forward }])], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } };
  const state = attachSharedState(createSharedState({ maxConns: 256, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 3 }), 0);
  const spec = new SnapshotCompiler(state).compile(rules, env);
  loadSnapshot(spec, state);
  const plan = planDirectorNet(rules, { backend: 'nfqueue', interfaces: ['eth1'], workers: 1, drDests: drDestsOf(spec, env) });
  const flow = { proto: 6, src: '198.51.100.7', sport: 40000, dst: VIP, dport: 80, tcpFlags: 0x02 };
  return { plan, explain: (withPlan = true) => explainFlowOn(spec, env, state, LinkType.Ip, flow, withPlan ? plan : undefined) };
}

t.test('NFQUEUE DR: nothing rewritten; the kernel egress names the mark, the policy route and the MAC it writes', async (t) => {
  const s = nfqueueDr({ [RS]: RS_MAC });
  const e = s.explain();
  t.equal(e.method, 'dr');
  t.equal(e.verdict, 'accept', 'accepted back to the kernel');
  t.same(
    e.rewrite.filter((f) => f.changed),
    [],
    'no field of the packet changes',
  );
  const route = s.plan.drRoutes[0]!;
  t.same(e.egress?.kernel, {
    mark: route.mark,
    table: route.table,
    route: `default via ${RS} dev eth1 onlink`,
    iface: 'eth1',
    nextHop: RS,
    srcMac: '02:00:00:00:00:01',
    dstMac: RS_MAC,
  });
  const line = e.steps.find((x) => x.startsWith('egress (kernel):'));
  t.match(line, `ip rule fwmark 0x${route.mark.toString(16)} lookup ${route.table}: default via ${RS} dev eth1 onlink`);
  t.match(line, `eth.dst ${RS_MAC} (its neighbour entry for ${RS})`);
  t.ok(e.steps.includes('rewrite: none (the packet leaves as it came)'), 'the director says it rewrote nothing');

  const w = packetWalk(e);
  const hop = w.hops[1]!;
  t.match(hop.note, /DR on NFQUEUE: the director accepts the packet unchanged with a mark/);
  t.same(
    hop.fields.filter((f) => f.changed),
    [],
    'the walk marks no rewritten field',
  );
  const k = Object.fromEntries(hop.fields.filter((f) => f.kernel).map((f) => [`${f.layer}.${f.name}`, f.value]));
  t.same(k, {
    'egress (kernel).mark': `0x${route.mark.toString(16)}`,
    'egress (kernel).rule': `fwmark 0x${route.mark.toString(16)} lookup ${route.table}`,
    'egress (kernel).route': `default via ${RS} dev eth1 onlink`,
    'egress (kernel).eth.dst': RS_MAC,
    'egress (kernel).eth.src': '02:00:00:00:00:01',
    'egress (kernel).ip.ttl': '63 (ip_forward)',
  });
  t.match(formatWalk(w), `   k egress (kernel).eth.dst ${RS_MAC}`, "the text walk prefixes the kernel's fields with 'k'");
});

t.test('NFQUEUE DR before the real server has a neighbour entry: the kernel resolves it, no MAC is made up', async (t) => {
  const e = nfqueueDr({}).explain();
  t.equal(e.egress?.kernel?.dstMac, null);
  t.match(
    e.steps.find((x) => x.startsWith('egress (kernel):')),
    `the MAC of ${RS} (no neighbour entry yet: it asks with ARP/ND)`,
  );
  const f = packetWalk(e).hops[1]!.fields.find((x) => x.kernel && x.name === 'eth.dst');
  t.match(f?.value, /no neighbour entry yet/);
});

t.test('no kernel egress without the installed plan, nor for NAT', async (t) => {
  const bare = nfqueueDr({ [RS]: RS_MAC }).explain(false);
  t.equal(bare.egress?.kernel, undefined, 'no plan: nothing claimed about routes');
  t.match(packetWalk(bare).hops[1]!.note, /DR on NFQUEUE: the director accepts the packet unchanged with mark 0x/, 'but the note does not claim MAC rewrites');
  const nat = nfqueueDr({ [RS]: RS_MAC }, 'nat').explain();
  t.equal(nat.method, 'nat');
  t.equal(nat.egress?.kernel, undefined);
  t.notOk(
    packetWalk(nat).hops.some((h) => h.fields.some((f) => f.kernel)),
    'no kernel rows in a NAT walk',
  );
});
