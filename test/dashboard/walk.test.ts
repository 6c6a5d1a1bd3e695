// The packet walk per LVS mode: which fields each hop marks as changed — DR only the MACs, NAT the
// destination (and on the way back the source) with checksums, TUN an added outer header — and how
// many hops (DR/TUN answer the client directly, NAT comes back through the director).
import t from 'tap';
import { LinkType } from '../../src/core/batch.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler } from '../../src/dataplane/snapshot.js';
import { explainPacket } from '../../src/dataplane/explain.js';
import { buildFlowPacket } from '../../src/packet/flow-frame.js';
import { packetWalk } from '../../src/dashboard/walk.js';
import type { ForwardMethod } from '../../src/ipvs/types.js';
import { svc, env } from '../table/harness.js';

const VIP = '10.0.0.100';

function walkOf(forward: ForwardMethod, dport = 80) {
  const buffers = createSharedState({ maxConns: 256, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 3 });
  const main = attachSharedState(buffers, 0);
  const e = { ...env(), linkType: LinkType.Ether, localAddresses: ['10.0.0.1'], placeholderMac: '02:00:00:00:00:00' };
  const spec = new SnapshotCompiler(main).compile(
    {
      services: [svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10', forward, port: forward === 'nat' ? 8080 : 80 }])],
      timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 },
    },
    e,
  );
  const frame = buildFlowPacket({
    proto: 6,
    src: '198.51.100.7',
    dst: VIP,
    sport: 40000,
    dport,
    ether: { dst: Uint8Array.from([2, 0, 0, 0, 0, 1]), src: Uint8Array.from([2, 0, 0, 0, 0, 0xee]) },
  });
  return packetWalk(explainPacket({ spec, live: main, frame, linkType: LinkType.Ether, nowMs: 1000, reply: true }));
}

const changed = (h: { fields: Array<{ layer: string; name: string; changed: boolean }> }) =>
  h.fields
    .filter((f) => f.changed)
    .map((f) => `${f.layer}.${f.name}`)
    .sort();

t.test('DR: three hops, only MACs (and the TTL) change towards the real server', async (t) => {
  const w = walkOf('dr');
  t.equal(w.mode, 'dr');
  t.same(
    w.hops.map((h) => [h.from, h.to]),
    [
      ['client', 'director'],
      ['director', 'real server 192.168.1.10:80'],
      ['real server 192.168.1.10:80', 'client'],
    ],
  );
  t.same(changed(w.hops[0]!), [], 'nothing is marked on the way in');
  t.same(changed(w.hops[1]!), ['eth.dst', 'eth.src', 'ip.checksum', 'ip.ttl']);
  t.equal(w.hops[2]!.fields.find((f) => f.layer === 'ip' && f.name === 'src')?.value, VIP, 'the real server answers from the VIP');
});

t.test('NAT: four hops, destination rewritten in, source rewritten out', async (t) => {
  const w = walkOf('nat');
  t.equal(w.hops.length, 4);
  t.same(changed(w.hops[1]!), ['eth.dst', 'eth.src', 'ip.checksum', 'ip.dst', 'ip.ttl', 'tcp.checksum', 'tcp.dport']);
  t.same(w.hops[2]!.fields.find((f) => f.layer === 'ip' && f.name === 'src')?.value, '192.168.1.10', 'the answer leaves the real server from its own address');
  t.ok(changed(w.hops[3]!).includes('ip.src') && changed(w.hops[3]!).includes('tcp.sport'), 'the director puts VIP:port back');
  t.equal(w.hops[3]!.fields.find((f) => f.layer === 'ip' && f.name === 'src')?.value, VIP);
});

t.test('TUN: the outer header is new on the hop to the real server; the inner packet keeps the VIP', async (t) => {
  const w = walkOf('tun');
  t.equal(w.hops.length, 3);
  const c = changed(w.hops[1]!);
  for (const f of ['outer.src', 'outer.dst', 'outer.protocol']) t.ok(c.includes(f), `${f} marked`);
  t.notOk(c.includes('ip.dst'), 'inner destination unchanged');
});

t.test('no service: two hops, to the kernel, said so', async (t) => {
  const w = walkOf('dr', 443);
  t.equal(w.mode, null);
  t.same(
    w.hops.map((h) => h.to),
    ['director', 'the kernel'],
  );
  t.match(w.hops[1]!.note, /no virtual service matches/);
});
