// The packet fixture table (scapy-built, test/fixtures/packets) driven through the whole pipeline:
// a matching virtual service per case, processBatch, then the output frame compared byte for byte with
// the independently generated expectation, plus the verdict, mark and egress interface.
import t from 'tap';
import { PACKET_CASES, FIXTURE_ENV as E } from '../fixtures/packets/cases.js';
import { createBatch, frameOf, putFrame } from '../../src/core/batch.js';
import { PacketView } from '../../src/packet/packet-view.js';
import { parsePacket } from '../../src/packet/parse.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot, type SnapshotEnv } from '../../src/dataplane/snapshot.js';
import { processBatch } from '../../src/dataplane/pipeline.js';
import { dropReasonName as reasonName } from '../../src/packet/drop-reasons.js';
import { ConnKey } from '../../src/table/conn-key.js';
import { ConnResult } from '../../src/table/ipvs-core.js';
import type { Protocol, VirtualServiceSpec } from '../../src/ipvs/types.js';

const mac = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
const PROTO: Record<number, Protocol> = { 6: 'tcp', 17: 'udp', 132: 'sctp' };

for (const c of PACKET_CASES.filter((x) => x.op !== 'parse')) {
  t.test(c.name, async (t) => {
    const pv = new PacketView();
    t.equal(parsePacket(pv, c.input, 0, c.input.length, c.linkType), 0, 'input parses');
    const icmp = c.op.startsWith('nat-icmp') || pv.icmpError;
    const tunIcmp = c.op === 'tun-icmp';
    const family = pv.family;
    const proto = icmp ? pv.inner.protocol : pv.protocol;
    const fwd = c.op.startsWith('nat') ? 'nat' : c.op.startsWith('tun') ? 'tun' : 'dr';
    const vip = family === 4 ? '192.0.2.1' : '2001:db8::1';
    const rs = family === 4 ? '10.0.0.11' : '2001:db8:1::11';
    const service: VirtualServiceSpec = {
      key: { kind: 'addr', protocol: PROTO[proto]!, family, address: vip, port: E.vport },
      scheduler: 'rr',
      schedFlags: [],
      persistenceTimeoutS: 0,
      netmask: family === 4 ? '255.255.255.255' : '128',
      onePacket: false,
      persistenceEngine: '',
      realServers: [
        { address: rs, port: fwd === 'nat' ? E.rport : E.vport, forward: fwd, weight: c.op === 'port-unreach' ? 0 : 1, upperThreshold: 0, lowerThreshold: 0 },
      ],
    };
    const env: SnapshotEnv = {
      linkType: c.linkType,
      interfaces: [{ ifindex: 2, mac: mac(E.directorMac), mtu: c.mtu, addresses: ['192.0.2.2/24', '10.0.0.1/24', '2001:db8::2/64', '2001:db8:1::1/64'] }],
      neighbours: { '10.0.0.11': mac(E.rsMac), '2001:db8:1::11': mac(E.rsMac), '192.0.2.254': mac(E.routerMac), '2001:db8::fe': mac(E.routerMac) },
      routes: [
        { prefix: '0.0.0.0', prefixLen: 0, ifindex: 2, via: '192.0.2.254' },
        { prefix: '::', prefixLen: 0, ifindex: 2, via: '2001:db8::fe' },
      ],
      sysctls: { sloppyTcp: true },
    };
    const buffers = createSharedState({ maxConns: 1024, maxDests: 8, maxServices: 4, maxWorkers: 1, seed: 1 });
    const state = attachSharedState(buffers, 0);
    const snap = loadSnapshot(new SnapshotCompiler(state).compile({ services: [service], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } }, env), state);
    state.core.setConfig(snap.core);
    // Cases about an existing connection: create it from the client side first.
    const k = new ConnKey();
    const pre = (client: Uint32Array, cport: number): void => {
      k.proto = proto;
      k.v6 = family === 6;
      k.words.fill(0);
      k.caddr.set(new Int32Array(client.buffer, client.byteOffset, 4));
      k.vaddr.set(new Int32Array((family === 4 ? E.vip4 : E.vip6).buffer));
      k.cport = cport;
      k.vport = E.vport;
      t.equal(state.core.inPacket(k, 0x02, 60, 0, 1000, snap, new ConnResult()), 0, 'connection set up');
    };
    if (c.op === 'nat-out') pre(pv.daddr, pv.dport);
    else if (c.op === 'nat-icmp-in' || ((c.op === 'dr' || c.op === 'tun') && pv.icmpError && !tunIcmp)) pre(pv.inner.daddr, pv.inner.dport);
    else if (c.op === 'nat-icmp-out' || tunIcmp) pre(pv.inner.saddr, pv.inner.sport);

    const b = createBatch(c.linkType, 2);
    putFrame(b, 0, c.input);
    b.ifindex[0] = 7;
    b.count = 1;
    processBatch(b, snap, state, 1001);
    const verdict = b.verdict[0]!;
    // ICMP errors the director originates: sent back on Ethernet, handed to the kernel to route on NFQUEUE.
    const icmpReply = c.op === 'port-unreach' || c.reason === 'tun-frag-needed' || (c.reason === 'ttl-expired' && c.expect !== undefined && c.expect !== null);
    const wantDrop = c.reason !== 'none' && !icmpReply;
    if (c.reason === 'none') {
      if (c.linkType === 2 && fwd === 'dr') {
        t.equal(verdict, 1, 'NFQUEUE DR: Accept');
        t.equal(b.mark[0], snap.spec.dests[0]!.mark, 'with the real server mark');
      } else if (c.linkType === 2) {
        t.equal(verdict, 2, 'NFQUEUE NAT/TUN: AcceptModified');
      } else {
        t.equal(verdict, 3, 'Transmit');
        t.equal(b.outIfindex[0], 2, 'out of the real server / client interface');
        if (tunIcmp) t.equal(reasonName(b.reason[0]!), 'none');
      }
    } else if (wantDrop) {
      t.equal(verdict, 0, 'dropped');
      t.equal(reasonName(b.reason[0]!), c.reason, 'with the fixture reason');
    } else if (c.linkType === 2) {
      t.equal(verdict, 2, 'NFQUEUE: the ICMP error replaces the packet (AcceptModified)');
      t.equal(b.reason[0], 0, 'not counted as a drop');
    } else {
      t.equal(verdict, 3, 'ICMP error sent back');
      t.equal(b.outIfindex[0], 7, 'on the ingress interface');
    }
    if (c.expect && verdict !== 0) t.same(Buffer.from(frameOf(b, 0)).toString('hex'), Buffer.from(c.expect).toString('hex'), 'output bytes match scapy');
  });
}
