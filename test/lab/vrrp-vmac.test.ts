// use_vmac: ulvs puts the VIP on a macvlan with the virtual MAC 00:00:5e:00:01:VRID, so clients
// resolve the VIP to the virtual MAC; a keepalived backup takes over on stop; the macvlan goes away.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, keepalivedInstance, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';
import { instanceSpec, vip, vrrpConfig } from '../../src/vrrp/spec.js';

const root = process.getuid?.() === 0;
const V = '10.68.0.100';

t.test('use_vmac: clients see the virtual MAC; clean stop hands over and removes the macvlan', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('vm'), [
    { name: 'a', addrs: ['10.68.0.1/24'] },
    { name: 'b', addrs: ['10.68.0.2/24'] },
    { name: 'client', addrs: ['10.68.0.10/24'] },
  ]);
  t.teardown(() => bed.down());
  await run(['sysctl', '-q', '-w', 'net.ipv4.neigh.eth0.locktime=0'], { netns: bed.ns('client') });
  const u = bed.ulvs('a', vrrpConfig([instanceSpec({ version: 3, vrid: 71, priority: 200, advertIntMs: 100, useVmac: true, vips: [vip(`${V}/24`)] })]));
  const k = bed.keepalived('b', keepalivedInstance({ vrid: 71, priority: 100, advertInt: 0.1, version: 3, vips: [`${V}/24`] }));
  const onVmac = async (): Promise<boolean> => (await run(['ip', '-o', 'addr', 'show', 'dev', 'vrrp.71'], { netns: bed.ns('a') })).stdout.includes(V);
  if (!t.ok(await bed.until(onVmac, 12000), 'the VIP is on the vrrp.71 macvlan of the master')) t.comment(u.out.join('\n'));
  const mac = async (): Promise<string> => {
    await run(['curl', '-s', '-m', '0.3', `http://${V}:9/`], { netns: bed.ns('client') });
    return (await run(['ip', 'neigh', 'show', V], { netns: bed.ns('client') })).stdout;
  };
  // keepalived may have held the VIP before ulvs (higher priority) preempted: wait until it let go,
  // then resolve afresh, so the answer can only come from the current master.
  t.ok(await bed.until(async () => !(await bed.holds('b', V)), 5000), 'the keepalived backup released the VIP');
  await run(['ip', 'neigh', 'flush', 'to', V], { netns: bed.ns('client') });
  const first = await mac();
  if (!/00:00:5e:00:01:47/.test(first)) {
    for (const n of ['a', 'b'])
      t.comment(
        n,
        (await run(['ip', '-br', 'link'], { netns: bed.ns(n) })).stdout,
        (await run(['sysctl', 'net.ipv4.conf.eth0.arp_ignore', 'net.ipv4.conf.all.arp_ignore'], { netns: bed.ns(n) })).stdout,
        (await run(['ip', '-br', 'addr'], { netns: bed.ns(n) })).stdout,
      );
  }
  t.match(first, /00:00:5e:00:01:47/, 'the client resolves the VIP to the virtual MAC');
  await stopProc(u);
  t.ok(await bed.until(() => bed.holds('b', V), 3000), 'keepalived takes over on the clean stop');
  t.ok(await bed.until(async () => !(await mac()).includes('00:00:5e:00:01:47'), 3000), 'the client now resolves the VIP to the new master');
  t.equal((await run(['ip', 'link', 'show', 'vrrp.71'], { netns: bed.ns('a') })).code, 1, 'the macvlan was removed');
  await stopProc(k);
});

// keepalived's default for use_vmac: adverts leave from the VMAC, so their source MAC is the virtual MAC;
// vmac_xmit_base sends them from the base interface's MAC. keepalived, also with use_vmac, stays BACKUP
// (it accepts the adverts) in both cases.
for (const xmitBase of [false, true]) {
  t.test(
    `use_vmac${xmitBase ? ' + vmac_xmit_base' : ''}: adverts from the ${xmitBase ? 'base interface' : 'virtual'} MAC`,
    { skip: !root && 'needs root' },
    async (t) => {
      await ensureDist();
      const bed = await VrrpBed.up(bedId(xmitBase ? 'vb' : 'vx'), [
        { name: 'a', addrs: ['10.71.0.1/24'] },
        { name: 'b', addrs: ['10.71.0.2/24'] },
      ]);
      t.teardown(() => bed.down());
      const W = '10.71.0.100';
      const conf = (prio: number): string =>
        `vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 72\n priority ${prio}\n version 3\n advert_int 0.2\n use_vmac\n${xmitBase ? ' vmac_xmit_base\n' : ''} virtual_ipaddress {\n  ${W}/24\n }\n}\n`;
      const u = bed.ulvsRun('a', conf(200));
      t.ok(
        await bed.until(async () => (await run(['ip', '-o', 'addr', 'show', 'dev', 'vrrp.72'], { netns: bed.ns('a') })).stdout.includes(W), 8000),
        'ulvs MASTER, VIP on vrrp.72',
      );
      const k = bed.keepalived('b', conf(100).replace('vrrp_instance', 'global_defs {\n router_id k\n}\nvrrp_instance'));
      const base = (await run(['cat', '/sys/class/net/eth0/address'], { netns: bed.ns('a') })).stdout.trim();
      const cap = await run(['tshark', '-i', 'eth0', '-a', 'duration:1.5', '-f', 'ip proto 112 and src host 10.71.0.1', '-T', 'fields', '-e', 'eth.src'], {
        netns: bed.ns('b'),
        timeoutMs: 15000,
      });
      const macs = new Set(cap.stdout.split('\n').filter(Boolean));
      t.same([...macs], [xmitBase ? base : '00:00:5e:00:01:48'], `adverts come from ${xmitBase ? `the base MAC ${base}` : 'the virtual MAC'}`);
      await new Promise((r) => setTimeout(r, 800));
      t.notOk((await run(['ip', '-o', 'addr'], { netns: bed.ns('b') })).stdout.includes(W), 'keepalived (use_vmac too) accepts them and stays BACKUP');
      await stopProc(u);
      t.ok(
        await bed.until(async () => (await run(['ip', '-o', 'addr'], { netns: bed.ns('b') })).stdout.includes(W), 3000),
        'clean stop: keepalived takes over',
      );
      const u2 = bed.ulvsRun('a', conf(50));
      t.ok(
        await bed.until(async () => (await run(['ip', 'link', 'show', 'vrrp.72'], { netns: bed.ns('a') })).code === 0, 5000),
        'ulvs restarted (50) with its VMAC',
      );
      await new Promise((r) => setTimeout(r, 1500));
      t.notOk(
        (await run(['ip', '-o', 'addr', 'show', 'dev', 'vrrp.72'], { netns: bed.ns('a') })).stdout.includes(W),
        "ulvs receives keepalived's adverts (sent from the same virtual MAC) and stays BACKUP",
      );
      await stopProc(u2);
      await stopProc(k);
    },
  );
}
