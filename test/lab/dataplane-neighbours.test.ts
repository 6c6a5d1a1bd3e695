/**
 * Next hops on AF_PACKET are resolved actively, never given a made-up MAC:
 * - NAT for a client on the director's own LAN (lb2, which never ARPs: the VIP's MAC is static there),
 *   so the director must ARP for it itself before the SYN-ACK can go out;
 * - a DR real server whose MAC changes mid-run (`ip link set address`, announced with arp_notify as a
 *   NIC swap is) keeps being reached, at its new MAC;
 * - a real server that does not exist is ARPed for by the director (the kernel has an entry for it)
 *   and its packets are dropped and counted as neigh-unresolved;
 * - a real server reachable only through the director's second interface (--iface eth0 --iface eth1)
 *   is resolved and reached on that interface.
 */
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { countByServer, prepareRealServers, requestsThroughVip, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR, LAB_HTTP_PORT } from '../../src/lab/topology.js';

/** The count of drop reason `name` in a director's stop report (0 when absent). */
function dropped(out: string, name: string): number {
  return Number(new RegExp(`dropped (\\d+): ${name}\\b`).exec(out)?.[1] ?? 0);
}

t.test('neighbour resolution on afpacket', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const lb1Mac = await lab.mac('lb1');

  await t.test("NAT client on the director's LAN", async (t) => {
    const undo = await prepareRealServers(lab, 'nat');
    t.teardown(() => undo());
    // The real servers reach lb2 through the director (so NAT replies cross it); lb2 knows the VIP's MAC
    // statically and so never sends the ARP request the director would learn its MAC from.
    for (const rs of lab.byRole('realserver')) await lab.execOk(rs.name, ['ip', 'route', 'replace', '198.18.0.12/32', 'via', LAB_ADDR.natGateway4]);
    t.teardown(async () => {
      for (const rs of lab.byRole('realserver')) await lab.exec(rs.name, ['ip', 'route', 'del', '198.18.0.12/32']);
    });
    await lab.execOk('lb2', ['ip', 'neigh', 'replace', LAB_ADDR.vip4, 'lladdr', lb1Mac, 'dev', 'eth0', 'nud', 'permanent']);
    t.teardown(() => lab.exec('lb2', ['ip', 'neigh', 'del', LAB_ADDR.vip4, 'dev', 'eth0']));
    const director = await startLabDirector(lab, { mode: 'nat', backend: 'afpacket', workers: 1 });
    let stopped = false;
    t.teardown(async () => {
      if (!stopped) await director.stop();
    });
    t.notOk((await lab.exec('lb1', ['ip', 'neigh', 'show', '198.18.0.12'])).stdout.includes('lladdr'), 'the director has no MAC for lb2 yet');
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await lab.exec('lb2', ['curl', '-s', '-m', '8', `http://${LAB_ADDR.vip4}:${LAB_HTTP_PORT}/`], { timeoutMs: 10000 });
      answers.push(r.code === 0 ? r.stdout.trim() : '');
    }
    t.ok(
      answers.every((a) => /^rs\d$/.test(a)),
      `every request from lb2 answered (${answers.join(',')})`,
    );
    t.match((await lab.exec('lb1', ['ip', 'neigh', 'show', '198.18.0.12'])).stdout, /lladdr/, 'the director resolved lb2 itself');
    const out = await director.stop();
    stopped = true;
    t.ok(dropped(out, 'neigh-unresolved') >= 1, `replies held back while lb2 was unresolved are counted (${dropped(out, 'neigh-unresolved')})`);
  });

  await t.test('DR real server changes its MAC', async (t) => {
    const undo = await prepareRealServers(lab, 'dr');
    t.teardown(() => undo());
    await lab.execOk('rs1', ['sysctl', '-qw', 'net.ipv4.conf.eth0.arp_notify=1']);
    const oldMac = await lab.mac('rs1');
    const newMac = '02:75:6c:76:00:21';
    t.teardown(() => lab.exec('rs1', ['ip', 'link', 'set', 'dev', 'eth0', 'address', oldMac]));
    const director = await startLabDirector(lab, { mode: 'dr', backend: 'afpacket', workers: 1 });
    t.teardown(() => director.stop());
    t.same(countByServer(await requestsThroughVip(lab, 3)), { rs1: 1, rs2: 1, rs3: 1 }, 'before: every real server answers');
    await lab.execOk('rs1', ['ip', 'link', 'set', 'dev', 'eth0', 'address', newMac]);
    // Let the announcement reach the director and a new snapshot be published.
    await new Promise((r) => setTimeout(r, 500));
    const after = countByServer(await requestsThroughVip(lab, 6));
    t.same(after, { rs1: 2, rs2: 2, rs3: 2 }, 'after the change: rs1 is still reached');
    t.match((await lab.exec('lb1', ['ip', 'neigh', 'show', '198.18.0.21'])).stdout, newMac, 'at its new MAC');
  });

  await t.test('unresolvable real server', async (t) => {
    const ghost = '198.18.0.99';
    const rules = `-A -t ${LAB_ADDR.vip4}:${LAB_HTTP_PORT} -s rr\n-a -t ${LAB_ADDR.vip4}:${LAB_HTTP_PORT} -r ${ghost}:${LAB_HTTP_PORT} -g -w 1\n`;
    const director = await startLabDirector(lab, { mode: 'dr', backend: 'afpacket', workers: 1, rules });
    let stopped = false;
    t.teardown(async () => {
      if (!stopped) await director.stop();
    });
    const r = await lab.exec('client', ['curl', '-s', '-m', '3', `http://${LAB_ADDR.vip4}:${LAB_HTTP_PORT}/`], { timeoutMs: 6000 });
    t.not(r.code, 0, 'no answer: nothing is there');
    t.match((await lab.exec('lb1', ['ip', 'neigh', 'show', ghost])).stdout, /INCOMPLETE|FAILED/, 'the director asked for its MAC (ARP)');
    const out = await director.stop();
    stopped = true;
    t.ok(dropped(out, 'neigh-unresolved') >= 1, `its packets are dropped as neigh-unresolved (${dropped(out, 'neigh-unresolved')})`);
  });

  await t.test('real server behind a second director interface', async (t) => {
    // A second link lb1:eth1 -- rs3:eth1 (198.19.9.0/24), the only way to rs3's address 198.19.9.2.
    await lab.execOk('lb1', ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', lab.ns('rs3')]);
    t.teardown(() => lab.exec('lb1', ['ip', 'link', 'del', 'eth1']));
    await lab.execOk('lb1', ['sh', '-c', 'ip addr add 198.19.9.1/24 dev eth1 && ip link set eth1 up']);
    await lab.execOk('rs3', ['sh', '-c', 'ip addr add 198.19.9.2/24 dev eth1 && ip link set eth1 up']);
    const undo = await prepareRealServers(lab, 'dr');
    t.teardown(() => undo());
    const rules = `-A -t ${LAB_ADDR.vip4}:${LAB_HTTP_PORT} -s rr\n-a -t ${LAB_ADDR.vip4}:${LAB_HTTP_PORT} -r 198.19.9.2:${LAB_HTTP_PORT} -g -w 1\n`;
    const director = await startLabDirector(lab, { mode: 'dr', backend: 'afpacket', workers: 1, rules, extraArgs: ['--iface', 'eth1'] });
    t.teardown(() => director.stop());
    t.same(countByServer(await requestsThroughVip(lab, 3)), { rs3: 3 }, 'every request answered by rs3 through eth1');
    t.match((await lab.exec('lb1', ['ip', 'neigh', 'show', '198.19.9.2'])).stdout, /dev eth1 lladdr/, 'resolved on eth1');
  });
});
