// Snapshot compiler and loader: kernel list order and scheduler update sequence across reloads,
// trash slots (deleted dests keep their slot while referenced), service lookup precedence, forwarding info.
import t from 'tap';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot, DEFAULT_DR_MARK_BASE, Egress } from '../../src/dataplane/snapshot.js';
import { ConnKey } from '../../src/table/conn-key.js';
import { ConnResult } from '../../src/table/ipvs-core.js';
import { svc, fwmarkSvc, env } from '../table/harness.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';

const T = { tcpS: 900, tcpFinS: 120, udpS: 300 };
const rs = (...a: string[]) => a.map((address) => ({ address }));

function setup() {
  const buffers = createSharedState({ maxConns: 256, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 9 });
  const state = attachSharedState(buffers, 1);
  const compiler = new SnapshotCompiler(attachSharedState(buffers, 0));
  return { state, compiler, compile: (s: VirtualServiceSpec[]) => compiler.compile({ services: s, timeouts: T }, env()) };
}

t.test('new service: init on an empty list, then one add per real server; reload diff in order', async (t) => {
  const s = setup();
  const a = s.compile([svc('tcp', '10.0.0.100', 80, 'wrr', rs('192.168.1.10', '192.168.1.11'))]);
  const sv = a.services[0]!;
  t.same(
    sv.changes.map((c) => c.kind),
    ['init', 'add', 'add'],
  );
  t.same(
    sv.changeLists.map((l) => l.length),
    [0, 1, 2],
  );
  t.same(sv.destSlots, [sv.changeLists[2]![0], sv.changeLists[2]![1]]);
  t.same(
    a.dests.map((d) => d.address),
    ['192.168.1.11', '192.168.1.10'],
    'kernel order: last added first',
  );
  const b = s.compile([svc('tcp', '10.0.0.100', 80, 'wrr', [{ address: '192.168.1.11', weight: 3 }, { address: '192.168.1.12' }])]);
  t.same(
    b.services[0]!.changes.map((c) => c.kind),
    ['del', 'edit', 'add'],
  );
  t.same(
    b.dests.map((d) => d.address),
    ['192.168.1.12', '192.168.1.11'],
    'kept dest keeps its place, new one at the head',
  );
  t.equal(b.services[0]!.schedState, sv.schedState, 'scheduler state kept across the reload');
  const c = s.compile([svc('tcp', '10.0.0.100', 80, 'rr', [{ address: '192.168.1.11', weight: 3 }, { address: '192.168.1.12' }])]);
  t.same(
    c.services[0]!.changes.map((x) => x.kind),
    ['init'],
    '-E with another scheduler: one init',
  );
  t.not(c.services[0]!.schedState, sv.schedState);
});

t.test('trash: a deleted dest keeps its slot while connections refer to it, and revives on re-add', async (t) => {
  const s = setup();
  const a = s.compile([svc('tcp', '10.0.0.100', 80, 'rr', rs('192.168.1.10'))]);
  const slot = a.dests[0]!.slot;
  const snap = loadSnapshot(a, s.state);
  s.state.core.setConfig(snap.core);
  const k = new ConnKey();
  k.setV4(6, 0x01010101, 1000, 0x0a000064, 80);
  s.state.core.inPacket(k, 0x02, 60, 0, 0, snap, new ConnResult());
  s.compile([svc('tcp', '10.0.0.100', 80, 'rr', rs('192.168.1.20'))]);
  const c = s.compile([svc('tcp', '10.0.0.100', 80, 'rr', rs('192.168.1.20', '192.168.1.21'))]);
  t.notOk(
    c.dests.some((d) => d.slot === slot),
    'slot not reused while referenced',
  );
  const d = s.compile([svc('tcp', '10.0.0.100', 80, 'rr', rs('192.168.1.20', '192.168.1.21', '192.168.1.10'))]);
  t.equal(d.dests.find((x) => x.address === '192.168.1.10')!.slot, slot, 're-added dest gets its old slot back');
  t.equal(s.state.stats.active(slot), 1, 'with its counters');
  t.equal(d.dests[0]!.mark, DEFAULT_DR_MARK_BASE + d.dests[0]!.slot, 'DR mark = base + slot');
});

t.test('service lookup: fwmark first, then proto+VIP+port, then port 0 (persistent)', async (t) => {
  const s = setup();
  const spec = s.compile([
    svc('tcp', '10.0.0.100', 80, 'rr', rs('192.168.1.10')),
    svc('tcp', '10.0.0.100', 0, 'rr', rs('192.168.1.11'), { persistenceTimeoutS: 60 }),
    fwmarkSvc(5, 'rr', [{ address: '192.168.1.12', port: 0 }]),
  ]);
  const snap = loadSnapshot(spec, s.state);
  const k = new ConnKey();
  k.setV4(6, 0x01010101, 1000, 0x0a000064, 80);
  t.equal(snap.findService(k, 5)?.fwmark, 5);
  t.equal(snap.findService(k, 0)?.port, 80);
  k.vport = 443;
  t.equal(snap.findService(k, 0)?.port, 0, 'port-0 service catches other ports');
  k.proto = 17;
  t.equal(snap.findService(k, 0), null, 'UDP: no service');
});

t.test('forwarding info: neighbour MAC, egress interface, TUN source, client egress via gateway', async (t) => {
  const s = setup();
  const spec = s.compile([svc('tcp', '10.0.0.100', 80, 'rr', [{ address: '192.168.1.10', forward: 'tun' }, { address: '172.16.0.9' }])]);
  const tun = spec.dests.find((d) => d.address === '192.168.1.10')!;
  t.same(tun.dstMac, [2, 0, 0, 0, 1, 0x10]);
  t.same(tun.srcMac, [2, 0, 0, 0, 0, 1]);
  t.equal(tun.ifindex, 2);
  t.same(tun.tunSrc, [0x0a000001, 0, 0, 0], 'first IPv4 address of the egress interface');
  const far = spec.dests.find((d) => d.address === '172.16.0.9')!;
  t.equal(far.nextHop, '10.0.0.254', 'next hop: the default gateway');
  t.equal(far.resolved, false, 'via a gateway without a neighbour entry: unresolved (dropped, never a placeholder MAC)');
  t.equal(tun.resolved, true);
  const snap = loadSnapshot(spec, s.state);
  t.equal(snap.egressFor(false, Int32Array.of(0x01020304, 0, 0, 0)), Egress.Unresolved, 'client via the unresolved gateway');
  t.equal(snap.egress.ifindex, 2);
  t.equal(snap.egress.nextHop[0], 0x0a0000fe, 'the gateway is the next hop to resolve');
  t.equal(snap.egressFor(false, Int32Array.of(0x0a00000b, 0, 0, 0)), Egress.Unresolved, 'on-link client without a neighbour entry');
  t.equal(snap.egress.nextHop[0], 0x0a00000b, 'the client itself is the next hop');
  t.equal(snap.egressFor(false, Int32Array.of(0xc0a8010a | 0, 0, 0, 0)), Egress.Ok, 'on-link client with a neighbour entry');
  t.same([...snap.egress.dstMac], [2, 0, 0, 0, 1, 0x10]);
});
