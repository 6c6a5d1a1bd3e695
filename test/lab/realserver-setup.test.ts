/**
 * `ulvs realserver setup|status|teardown` in a fresh namespace: status explains the misconfiguration
 * before setup (VIP missing, arp_ignore 0 "will answer ARP for the VIP and steal traffic"), setup puts
 * the VIP on lo and sets the ARP sysctls, status is then clean, and teardown restores exactly what was there.
 */
import t from 'tap';
import { run, runOk } from '../../src/util/exec.js';
import { commandArgv } from '../../src/lab/modes.js';

const VIP = '192.0.2.100';

t.test('realserver setup/status/teardown', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const ns = `ulvs-r${process.pid.toString(36)}-rs`;
  await run(['ip', 'netns', 'del', ns]);
  await runOk(['ip', 'netns', 'add', ns]);
  t.teardown(() => run(['ip', 'netns', 'del', ns]));
  await runOk(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth1']);
  await runOk(['ip', '-n', ns, 'link', 'set', 'eth1', 'up']);
  await runOk(['ip', '-n', ns, 'addr', 'add', '192.0.2.21/24', 'dev', 'eth0']);
  await runOk(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
  await runOk(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
  const rs = (args: string[]) => run([...commandArgv('realserver'), ...args], { netns: ns, timeoutMs: 20000 });
  const sysctl = async (k: string) => (await runOk(['sysctl', '-n', k], { netns: ns })).trim();

  const before = await rs(['status', '--mode', 'dr', '--vip', VIP]);
  t.equal(before.code, 1, 'status fails before setup');
  t.match(before.stdout, /the VIP 192\.0\.2\.100 is not on this host/);
  t.match(before.stdout, /arp_ignore is 0 on all: this host will answer ARP for the VIP and steal traffic/);

  const setup = await rs(['setup', '--mode', 'dr', '--vip', VIP]);
  t.equal(setup.code, 0, 'setup succeeds');
  t.match(await runOk(['ip', 'addr', 'show', 'dev', 'lo'], { netns: ns }), /192\.0\.2\.100\/32/, 'VIP on lo');
  t.equal(await sysctl('net.ipv4.conf.eth0.arp_ignore'), '1');
  t.equal(await sysctl('net.ipv4.conf.all.arp_announce'), '2');
  const after = await rs(['status', '--mode', 'dr', '--vip', VIP]);
  t.equal(after.code, 0, 'status clean after setup');
  t.match(after.stdout, /ready to be a DR real server/);

  const tun = await rs(['status', '--mode', 'tun', '--vip', VIP]);
  t.match(tun.stdout, /no ipip module and no userspace decapsulator is running/, 'tun status explains the missing decapsulator');

  const down = await rs(['teardown']);
  t.equal(down.code, 0);
  t.notMatch(await runOk(['ip', 'addr', 'show', 'dev', 'lo'], { netns: ns }), /192\.0\.2\.100/, 'VIP removed');
  t.equal(await sysctl('net.ipv4.conf.eth0.arp_ignore'), '0', 'sysctls restored');
  t.equal(await sysctl('net.ipv4.conf.all.arp_announce'), '0');
});
