/**
 * The DR/NAT/TUN end-to-end body shared by dataplane-modes-afpacket.test.ts and
 * dataplane-modes-nfqueue.test.ts: HTTP and UDP from the client through the VIP, every real server gets
 * its round-robin share, a capture on rs1 shows the mode's packet shape, and stopping the director
 * leaves no rules, routes, addresses or queues behind. TUN's real servers decapsulate with `decap`: XDP
 * pops the outer header before any tap on rs1 sees it, so then the IPIP shape is captured on the switch
 * port that feeds rs1 (the same wire), and the real servers' counters show which path decapsulated.
 */
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { startCapture } from '../../src/lab/capture.js';
import { countByServer, directorLeftovers, prepareRealServers, requestsThroughVip, startLabDirector, type LabMode } from '../../src/lab/modes.js';
import { LAB_ADDR } from '../../src/lab/topology.js';

/** Registers the `modes on <backend>` lab test (skipped with a reason when not root). */
export function testModesOn(backend: 'afpacket' | 'nfqueue' | 'afxdp', decap: 'xdp' | 'userspace'): void {
  t.test(`modes on ${backend}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const lab = await Lab.up({ id: uniqueLabId() });
    t.teardown(() => lab.down());
    const rs1Mac = await lab.mac('rs1');
    const rs1Addr = '198.18.0.21';
    for (const mode of ['dr', 'nat', 'tun'] as LabMode[]) {
      await t.test(mode, async (t) => {
        const undo = await prepareRealServers(lab, mode, { decap });
        let undone = false;
        t.teardown(async () => {
          if (!undone) await undo();
        });
        const director = await startLabDirector(lab, { mode, backend, workers: Number(process.env.ULVS_TEST_WORKERS ?? 2) });
        let stopped = false;
        t.teardown(async () => {
          if (!stopped) await director.stop();
        });
        const onSwitch = mode === 'tun' && decap === 'xdp';
        const cap = await startCapture(
          lab,
          onSwitch ? 'sw' : 'rs1',
          onSwitch ? 'rs1-eth0' : 'eth0',
          mode === 'tun' ? 'ip proto 4' : 'tcp port 80 and tcp[tcpflags] & tcp-syn != 0',
        );
        t.teardown(() => cap.remove());
        const http = await requestsThroughVip(lab, 9);
        const udp = await requestsThroughVip(lab, 6, { udp: true });
        await cap.stop();
        t.same(countByServer(http), { rs1: 3, rs2: 3, rs3: 3 }, 'HTTP: round robin over the three real servers');
        // UDP runs a few seconds later; a snapshot republished meanwhile (e.g. the router's IPv6 neighbour
        // entry appearing) currently restarts rr's position, so only require that every server got a share.
        const u = countByServer(udp);
        t.ok(!u[''] && ['rs1', 'rs2', 'rs3'].every((n) => (u[n] ?? 0) >= 1), `UDP: all answered, every real server got a share (${JSON.stringify(u)})`);
        if (mode === 'dr') {
          const rows = await cap.fields(['eth.dst', 'ip.dst'], `ip.dst == ${LAB_ADDR.vip4} && tcp.flags.syn == 1 && tcp.flags.ack == 0`);
          t.ok(rows.length > 0, 'rs1 received SYNs');
          t.ok(
            rows.every(([mac, dst]) => mac === rs1Mac && dst === LAB_ADDR.vip4),
            "DR: destination is the VIP, frame addressed to rs1's MAC",
          );
        } else if (mode === 'nat') {
          const rows = await cap.fields(['ip.src', 'ip.dst'], 'tcp.flags.syn == 1 && tcp.flags.ack == 0');
          t.ok(rows.length > 0, 'rs1 received SYNs');
          t.ok(
            rows.every(([src, dst]) => src === LAB_ADDR.client4 && dst === rs1Addr),
            'NAT: destination rewritten to rs1, client source kept',
          );
        } else {
          const rows = await cap.fields(['ip.proto', 'ip.dst']);
          t.ok(rows.length > 0, 'rs1 received IPIP packets');
          t.ok(
            rows.every(([proto, dst]) => proto.startsWith('4,') && dst === `${rs1Addr},${LAB_ADDR.vip4}`),
            'TUN: outer IPIP header to rs1 around the packet to the VIP',
          );
        }
        const out = await director.stop();
        stopped = true;
        t.match(out, /rules, routes and addresses removed/, 'director stopped cleanly');
        t.match(out, new RegExp(`\\d+ ${backend} worker`), `the director ran the ${backend} backend (no fallback)`);
        t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
        if (mode === 'tun') {
          const outs = await undo();
          undone = true;
          const counts = outs.map((o) => /decapsulated (\d+) packet\(s\) in the kernel \(XDP\), (\d+) in userspace/.exec(o)?.slice(1).map(Number) ?? [-1, -1]);
          const [k, u] = decap === 'xdp' ? [0, 1] : [1, 0];
          t.ok(
            counts.every((c) => c[k]! > 0 && c[u] === 0),
            `every real server decapsulated in ${decap === 'xdp' ? 'the kernel (XDP)' : 'userspace'} only (${JSON.stringify(counts)})`,
          );
        }
      });
    }
  });
}
