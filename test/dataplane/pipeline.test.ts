// processBatch behaviour: verdicts per link type, not-ours and no-connection passes, NAT round trip
// with stats, snapshot swap (deleted dest), table full, ICMP port unreachable, counters.
import t from 'tap';
import { createBatch, frameOf, putFrame, type PacketBatch } from '../../src/core/batch.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot, type Snapshot } from '../../src/dataplane/snapshot.js';
import { neighbourMisses, processBatch } from '../../src/dataplane/pipeline.js';
import { formatAddrWords } from '../../src/table/addr.js';
import { readPipelineStats } from '../../src/dataplane/stats.js';
import { dropReasonName as reasonName } from '../../src/packet/drop-reasons.js';
import { listConnections } from '../../src/table/conn-list.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';
import { ip4, dstOf, srcOf } from './frames.js';
import { svc, env } from '../table/harness.js';

function setup(linkType: 1 | 2, services: VirtualServiceSpec[], maxConns = 1024) {
  const buffers = createSharedState({ maxConns, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 3 });
  const state = attachSharedState(buffers, 1);
  const compiler = new SnapshotCompiler(attachSharedState(buffers, 0));
  const e = { ...env(), linkType };
  let snap: Snapshot = loadSnapshot(compiler.compile({ services, timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } }, e), state);
  const batch = createBatch(linkType, 8);
  const run = (frames: Uint8Array[], nowMs = 1000): PacketBatch => {
    frames.forEach((f, i) => {
      putFrame(batch, i, f);
      batch.ifindex[i] = 5;
      batch.mark[i] = 0;
    });
    batch.count = frames.length;
    processBatch(batch, snap, state, nowMs);
    return batch;
  };
  const reload = (s: VirtualServiceSpec[], neighbours?: Record<string, string>) => {
    if (neighbours) e.neighbours = { ...e.neighbours, ...neighbours };
    snap = loadSnapshot(compiler.compile({ services: s, timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } }, e), state, snap);
    return snap;
  };
  return { buffers, state, run, reload, snap: () => snap };
}

const VIP = '10.0.0.100';
const RS = '192.168.1.10';

t.test('NFQUEUE (bare IP): DR -> Accept + real-server mark; NAT -> AcceptModified', async (t) => {
  const s = setup(2, [svc('tcp', VIP, 80, 'rr', [{ address: RS }]), svc('tcp', VIP, 81, 'rr', [{ address: '192.168.1.11', forward: 'nat', port: 8081 }])]);
  const b = s.run([
    ip4({ ether: false, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80 }),
    ip4({ ether: false, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1001, dport: 81 }),
  ]);
  t.equal(b.verdict[0], 1);
  t.equal(b.mark[0], s.snap().spec.dests.find((d) => d.address === RS)!.mark);
  t.equal(b.verdict[1], 2);
  t.equal(dstOf(frameOf(b, 1), false), '192.168.1.11', 'destination rewritten');
  t.equal(frameOf(b, 1)[22]! * 256 + frameOf(b, 1)[23]!, 8081, 'port rewritten');
});

t.test('not ours and no connection: Accept, counted under their reasons', async (t) => {
  const s = setup(1, [svc('tcp', VIP, 80, 'rr', [{ address: RS }])]);
  const b = s.run([
    ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: '10.0.0.99', sport: 1000, dport: 80 }),
    ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80, flags: 0x10 }),
    ip4({ ether: true, proto: 17, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80 }),
  ]);
  t.same([...b.verdict.subarray(0, 3)], [1, 1, 1]);
  t.same([...b.reason.subarray(0, 3)], [0, 0, 0], 'reason is only set on drops');
  const st = readPipelineStats(s.buffers);
  t.equal(st.reasons['no-service'], 2);
  t.equal(st.reasons['no-connection'], 1);
});

t.test('NAT round trip on Ethernet: out to the real server MAC, reply SNATed to the client gateway', async (t) => {
  const s = setup(1, [svc('tcp', VIP, 80, 'rr', [{ address: RS, forward: 'nat', port: 8080 }])]);
  let b = s.run([ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80 })]);
  t.equal(b.verdict[0], 3);
  t.equal(b.outIfindex[0], 2);
  const f = frameOf(b, 0);
  t.same([...f.subarray(0, 6)], [2, 0, 0, 0, 1, 0x10], 'real server MAC from the neighbour table');
  t.equal(dstOf(f, true), RS);
  b = s.run([ip4({ ether: true, proto: 6, src: RS, dst: '1.2.3.4', sport: 8080, dport: 1000, flags: 0x12 })], 1001);
  t.equal(b.verdict[0], 0, 'client via the default gateway, which has no neighbour entry: dropped, never a made-up MAC');
  t.equal(readPipelineStats(s.buffers).reasons['neigh-unresolved'], 1, 'counted as neigh-unresolved');
  const m = neighbourMisses(s.state);
  t.equal(m.count, 1, 'the gateway is reported for resolution');
  t.equal(formatAddrWords(m.words.subarray(0, 4), 4), '10.0.0.254');
  m.clear();
  s.reload([svc('tcp', VIP, 80, 'rr', [{ address: RS, forward: 'nat', port: 8080 }])], { '10.0.0.254': '02:00:00:00:00:fe' });
  b = s.run([ip4({ ether: true, proto: 6, src: RS, dst: '1.2.3.4', sport: 8080, dport: 1000, flags: 0x12 })], 1002);
  t.equal(b.verdict[0], 3, 'once resolved: reply transmitted');
  const g = frameOf(b, 0);
  t.equal(srcOf(g, true), VIP, 'source is the VIP again');
  t.equal(g[34]! * 256 + g[35]!, 80);
  t.same([...g.subarray(0, 6)], [2, 0, 0, 0, 0, 0xfe], "to the gateway's MAC");
  const slot = s.snap().spec.dests[0]!.slot;
  t.match(s.state.stats.destTotals(slot), { conns: 1, inPkts: 1, outPkts: 2 });
  t.equal(listConnections(s.state.conns, 1001)[0]?.state, 'SYN_RECV');
  t.equal(readPipelineStats(s.buffers).natReplies, 2, 'both replies were matched to the connection');
});

t.test('snapshot swap: a deleted real server drops its flows (expire_nodest_conn=0)', async (t) => {
  const s = setup(1, [svc('tcp', VIP, 80, 'rr', [{ address: RS }, { address: '192.168.1.11' }])]);
  const syn = ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80 });
  s.run([syn]);
  const first = dstOf(frameOf(s.run([ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80, flags: 0x10 })]), 0), true);
  t.equal(first, VIP, 'DR leaves the IP header alone');
  s.reload([svc('tcp', VIP, 80, 'rr', [{ address: RS }].filter(() => false).concat([{ address: '192.168.1.12' }]))]);
  const b = s.run([ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 80, flags: 0x10 })]);
  t.equal(b.verdict[0], 0);
  t.equal(reasonName(b.reason[0]!), 'dest-unavailable');
});

t.test('no real server: ICMP port unreachable back out of the ingress interface', async (t) => {
  const s = setup(1, [svc('udp', VIP, 53, 'rr', [{ address: RS, weight: 0 }])]);
  const b = s.run([ip4({ ether: true, proto: 17, src: '1.2.3.4', dst: VIP, sport: 1000, dport: 53 })]);
  t.equal(b.verdict[0], 3);
  t.equal(b.outIfindex[0], 5);
  const f = frameOf(b, 0);
  t.equal(f[23], 1, 'ICMP');
  t.equal(f[34], 3, 'type 3');
  t.equal(f[35], 3, 'code 3 port unreachable');
  t.equal(dstOf(f, true), '1.2.3.4');
  t.equal(readPipelineStats(s.buffers).reasons['no-dest'], 1);
});

t.test('table full: new connections dropped with conn-table-full, busy flows kept', async (t) => {
  const s = setup(1, [svc('tcp', VIP, 80, 'rr', [{ address: RS }])], 16);
  for (let i = 0; i < 16; i++) {
    const f = (flags: number) => ip4({ ether: true, proto: 6, src: '1.2.3.4', dst: VIP, sport: 2000 + i, dport: 80, flags });
    s.run([f(0x02), f(0x10), f(0x10), f(0x10), f(0x10), f(0x10)]);
    s.run([f(0x10), f(0x10), f(0x10), f(0x10), f(0x10)]);
  }
  t.equal(s.state.conns.liveCount(), 16);
  const b = s.run([ip4({ ether: true, proto: 6, src: '9.9.9.9', dst: VIP, sport: 1, dport: 80 })]);
  t.equal(b.verdict[0], 0);
  t.equal(reasonName(b.reason[0]!), 'conn-table-full');
  t.equal(s.state.conns.liveCount(), 16, 'no established flow evicted');
});
