// explainPacket: the pipeline run on a copy says, per step, what the director does with one packet —
// service, connection hit/created, scheduler inputs and choice, the rewrite field by field for DR, NAT
// and TUN, verdict — and the live table, counters and scheduler position do not move.
import t from 'tap';
import { createBatch, putFrame, LinkType } from '../../src/core/batch.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot } from '../../src/dataplane/snapshot.js';
import { processBatch } from '../../src/dataplane/pipeline.js';
import { explainPacket } from '../../src/dataplane/explain.js';
import { buildFlowPacket } from '../../src/packet/flow-frame.js';
import { listConnections } from '../../src/table/conn-list.js';
import { readPipelineStats } from '../../src/dataplane/stats.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';
import { svc, env } from '../table/harness.js';

const VIP = '10.0.0.100';
const MAC = { dst: Uint8Array.from([2, 0, 0, 0, 0, 1]), src: Uint8Array.from([2, 0, 0, 0, 0, 0xee]) };

function setup(services: VirtualServiceSpec[]) {
  const buffers = createSharedState({ maxConns: 1024, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 3 });
  const main = attachSharedState(buffers, 0);
  const worker = attachSharedState(buffers, 1);
  const e = { ...env(), linkType: LinkType.Ether, localAddresses: ['10.0.0.1'], placeholderMac: '02:00:00:00:00:00' };
  const spec = new SnapshotCompiler(main).compile({ services, timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } }, e);
  const snap = loadSnapshot(spec, worker);
  const live = (frame: Uint8Array, nowMs = 1000) => {
    const b = createBatch(LinkType.Ether, 1);
    putFrame(b, 0, frame);
    b.count = 1;
    b.ifindex[0] = 2;
    processBatch(b, snap, worker, nowMs);
    return b;
  };
  const explain = (frame: Uint8Array, reply = false, nowMs = 1000) =>
    explainPacket({ spec, live: main, frame, linkType: LinkType.Ether, nowMs, ifnames: { 2: 'eth0' }, reply });
  return { buffers, main, live, explain };
}

const pkt = (sport: number, dport = 80, flags = 0x02, src = '198.51.100.7') =>
  buildFlowPacket({ proto: 6, src, dst: VIP, sport, dport, tcpFlags: flags, ether: MAC });

t.test('DR: new connection, scheduler inputs and choice, only the destination MAC changes', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10' }, { address: '192.168.1.11', weight: 3 }])]);
  const e = s.explain(pkt(40000));
  t.equal(e.flow, 'tcp 198.51.100.7:40000 > 10.0.0.100:80');
  t.equal(e.service?.key, 'TCP 10.0.0.100:80');
  t.equal(e.connection.before, null);
  t.ok(e.connection.created, 'created');
  t.equal(e.scheduler?.name, 'rr');
  t.same(e.scheduler?.dests.map((d) => [d.address, d.weight]).sort(), [
    ['192.168.1.10', 1],
    ['192.168.1.11', 3],
  ]);
  t.equal(e.state.after, 'SYN_RECV');
  t.equal(e.method, 'dr');
  t.equal(e.verdict, 'transmit');
  const changed = e.rewrite.filter((f) => f.changed).map((f) => `${f.layer}.${f.name}`);
  t.ok(changed.includes('eth.dst'), 'destination MAC rewritten');
  t.notOk(changed.includes('ip.dst'), 'IP destination untouched in DR');
  t.equal(e.egress?.name, 'eth0');
  t.match(e.steps.join('\n'), /virtual service matched: TCP 10.0.0.100:80/);
  // Nothing live moved: no connection, no packet counted, and the live rr choice is the one explain predicted.
  t.equal(listConnections(s.main.conns, 1000).length, 0, 'live table untouched');
  t.equal(readPipelineStats(s.buffers).packets, 0, 'live counters untouched');
  const again = s.explain(pkt(40001));
  t.equal(again.scheduler?.chosen, e.scheduler?.chosen, 'the scheduler position did not advance');
  s.live(pkt(40002));
  t.equal(`${listConnections(s.main.conns, 1000)[0]!.dest}:80`, e.scheduler?.chosen, 'the live worker chose what explain said');
});

t.test('an existing connection is hit; the state moves on; the scheduler does not run', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10' }, { address: '192.168.1.11' }])]);
  s.live(pkt(40000));
  const e = s.explain(pkt(40000, 80, 0x10));
  t.ok(e.connection.before, 'hit');
  t.notOk(e.connection.created);
  t.equal(e.scheduler, null);
  t.equal(e.state.before, 'SYN_RECV');
  t.equal(e.state.after, 'ESTABLISHED');
  t.match(e.steps.join('\n'), /connection entry hit/);
});

t.test('NAT: destination address and port, IP and TCP checksums rewritten', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'wlc', [{ address: '192.168.1.10', forward: 'nat', port: 8080 }])]);
  const e = s.explain(pkt(40000));
  const ch = Object.fromEntries(e.rewrite.filter((f) => f.changed).map((f) => [`${f.layer}.${f.name}`, [f.before, f.after]]));
  t.same(ch['ip.dst'], [VIP, '192.168.1.10']);
  t.same(ch['tcp.dport'], ['80', '8080']);
  t.ok(ch['ip.checksum'] && ch['tcp.checksum'], 'checksums follow');
  t.equal(e.method, 'nat');
  const r = s.explain(pkt(40001), true).reply!;
  t.equal(r.direction, 'reply', 'the real server answer matches the connection in the out direction');
  const rc = Object.fromEntries(r.rewrite.filter((f) => f.changed).map((f) => [`${f.layer}.${f.name}`, [f.before, f.after]]));
  t.same(rc['ip.src'], ['192.168.1.10', VIP], 'source back to the VIP');
  t.same(rc['tcp.sport'], ['8080', '80']);
  t.equal(r.state.after, 'SYN_RECV', 'a SYN-ACK out keeps SYN_RECV (the client ACK establishes)');
});

t.test('TUN: an outer header is added, the inner packet keeps VIP:port', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10', forward: 'tun' }])]);
  const e = s.explain(pkt(40000));
  const added = e.rewrite.filter((f) => f.before === null).map((f) => `${f.layer}.${f.name}`);
  t.ok(added.includes('outer.dst') && added.includes('outer.src'), 'outer header added');
  t.equal(e.rewrite.find((f) => f.layer === 'outer' && f.name === 'dst')?.after, '192.168.1.10');
  t.equal(e.rewrite.find((f) => f.layer === 'outer' && f.name === 'protocol')?.after, '4');
  t.equal(e.rewrite.find((f) => f.layer === 'ip' && f.name === 'dst')?.changed, false, 'inner destination is still the VIP');
});

t.test('no service matches: said so, passed to the kernel untouched', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10' }])]);
  const e = s.explain(pkt(40000, 443));
  t.equal(e.service, null);
  t.equal(e.verdict, 'accept');
  t.equal(e.reason?.name, 'no-service');
  t.match(e.steps.join('\n'), /no virtual service matches/);
});

t.test('persistence: the template is created, then a new connection of the client follows it', async (t) => {
  const s = setup([svc('tcp', VIP, 80, 'rr', [{ address: '192.168.1.10' }, { address: '192.168.1.11' }], { persistenceTimeoutS: 300 })]);
  const first = s.explain(pkt(40000));
  t.ok(first.template?.after, 'template created');
  s.live(pkt(40000));
  const second = s.explain(pkt(40001));
  t.ok(second.template?.before, 'template hit');
  t.ok(second.scheduler?.viaTemplate);
  t.equal(second.scheduler?.chosen, `${listConnections(s.main.conns, 1000).find((c) => !c.template)!.dest}:80`);
});
