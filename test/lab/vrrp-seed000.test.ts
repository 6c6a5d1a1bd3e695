// The seed scenarios run by the ulvs daemon (`ulvs run -f keepalived.conf`, the file alone):
// seed000 HA SNAT gateway (the seed's own notify scripts).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { seedText, vrrpOf } from './seed-helpers.js';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;

t.test('seed000 HA SNAT gateway: client reaches the internet across master stop and restart', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('s0'), [
    { name: 'a', addrs: ['192.168.1.202/24'] },
    { name: 'b', addrs: ['192.168.1.203/24'] },
    { name: 'client', addrs: ['192.168.1.10/24'] },
  ]);
  t.teardown(() => bed.down());
  // The "internet": one more namespace linked to both directors' eth1.
  const inet = bed.ns('inet');
  const { addNetns, ipBatch, sysctl } = await import('../../src/lab/netns.js');
  await addNetns(inet);
  (bed.nodes as string[]).push('inet');
  await ipBatch(inet, ['link add br1 type bridge', 'link set br1 up', 'addr add 198.51.100.1/24 dev br1']);
  for (const [n, ip] of [
    ['a', '198.51.100.2'],
    ['b', '198.51.100.3'],
  ] as const) {
    await run(['ip', 'link', 'add', `i${bed.id.slice(-5)}${n}`, 'netns', inet, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', bed.ns(n)]);
    await ipBatch(inet, [`link set i${bed.id.slice(-5)}${n} master br1`, `link set i${bed.id.slice(-5)}${n} up`]);
    await ipBatch(bed.ns(n), [`addr add ${ip}/24 dev eth1`, 'link set eth1 up']);
  }
  await ipBatch(inet, ['route add 192.168.1.0/24 dev br1']);
  await sysctl(inet, ['net.ipv4.neigh.br1.base_reachable_time_ms=500', 'net.ipv4.neigh.br1.delay_first_probe_time=1']);
  await ipBatch(bed.ns('client'), ['route add default via 192.168.1.200']);
  // The seed's own scripts, with their log path mapped into the bed.
  const start = bed.file('ha_vip_start.sh', seedText('seed000-ha_vip_start.sh').replaceAll('/tmp/log', `${bed.dir}/log`), 0o755);
  const stop = bed.file('ha_vip_stop.sh', seedText('seed000-ha_vip_stop.sh').replaceAll('/tmp/log', `${bed.dir}/log`), 0o755);
  const mapScripts = (s: string): string =>
    s.replaceAll('/etc/keepalived/scripts/ha_vip_start.sh', start).replaceAll('/etc/keepalived/scripts/ha_vip_stop.sh', stop);
  const confA = mapScripts(seedText('seed000-snat-master.conf'));
  const confB = mapScripts(seedText('seed000-snat-backup.conf'));
  vrrpOf(bed, 'a.conf', confA);
  vrrpOf(bed, 'b.conf', confB); // the parser accepts them as they are
  const snat = async (n: string): Promise<boolean> => (await run(['iptables', '-t', 'nat', '-S', 'POSTROUTING'], { netns: bed.ns(n) })).stdout.includes('SNAT');
  // The internet host answers HTTP and sees the client as the SNAT address (the VIP).
  bed.file('inet.mjs', `import http from 'node:http'; http.createServer((q, r) => r.end('from ' + q.socket.remoteAddress)).listen(80, '198.51.100.1');`);
  bed.spawn('inet', [process.execPath, `${bed.dir}/inet.mjs`]);
  const reach = async (): Promise<boolean> =>
    (await run(['curl', '-s', '-m', '1', 'http://198.51.100.1/'], { netns: bed.ns('client') })).stdout === 'from 192.168.1.200';

  let a = bed.ulvsRun('a', confA);
  const b = bed.ulvsRun('b', confB);
  if (
    !t.ok(
      await bed.until(async () => (await bed.holds('a', '192.168.1.200')) && (await snat('a')), 15000),
      'master holds the VIP and its notify_master installed SNAT',
    )
  )
    t.comment([...a.out, ...b.out].join('\n'));
  t.ok(await bed.until(reach, 5000), 'client reaches the internet through the master');
  // If b won the start race it ran notify_master first; its notify_backup (the seed's flush) follows.
  t.ok(await bed.until(async () => !(await snat('b')), 5000), 'backup carries no SNAT rules');
  t.match((await run(['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: bed.ns('a') })).stdout, /eth0:havip/, 'the VIP carries its label');

  await stopProc(a);
  t.ok(await bed.until(async () => (await bed.holds('b', '192.168.1.200')) && (await snat('b')), 5000), 'master stop: backup holds the VIP with SNAT');
  t.notOk(await snat('a'), 'notify_stop flushed SNAT on the stopped master');
  t.ok(await bed.until(reach, 5000), 'client still reaches the internet');

  a = bed.ulvsRun('a', confA);
  t.ok(
    await bed.until(async () => (await bed.holds('a', '192.168.1.200')) && !(await bed.holds('b', '192.168.1.200')), 12000),
    'restarted master (priority 100) takes the VIP back',
  );
  t.ok(await bed.until(async () => !(await snat('b')), 3000), 'backup notify_backup flushed its SNAT rules');
  t.ok(await bed.until(reach, 5000), 'client reaches the internet again');
  const log = readFileSync(`${bed.dir}/log`, 'utf8');
  t.match(log, /start;[\s\S]*stop;[\s\S]*start;/, 'the seed scripts ran in order');
  await stopProc(a);
  await stopProc(b);
});
