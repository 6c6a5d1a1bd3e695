// VRRPv3 over IPv6 between ulvs and keepalived 2.2.7: link-local source, hop limit 255, ff02::12,
// pseudo-header checksum, unsolicited neighbour advertisements for the VIPs.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';
import { instanceSpec, vip, vrrpConfig } from '../../src/vrrp/spec.js';

const root = process.getuid?.() === 0;
const V = '2001:db8:66::100';

t.test('v3 IPv6: ulvs master (200) / keepalived backup (100), stop, restart, kill -9', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('v6'), [
    { name: 'a', addrs: ['2001:db8:66::1/64'] },
    { name: 'b', addrs: ['2001:db8:66::2/64'] },
  ]);
  t.teardown(() => bed.down());
  const ucfg = vrrpConfig([
    instanceSpec({ name: 'VI_6', vrid: 60, version: 3, family: 6, priority: 200, advertIntMs: 100, vips: [vip('fe80::60/64'), vip(`${V}/64`)] }),
  ]);
  const kconf = `global_defs {\n router_id b\n}\nvrrp_instance VI_6 {\n state BACKUP\n interface eth0\n virtual_router_id 60\n priority 100\n advert_int 0.1\n virtual_ipaddress {\n  fe80::60/64\n  ${V}/64\n }\n}\n`;
  const holder = async (): Promise<string> => `${(await bed.holds('a', V)) ? 'a' : ''}${(await bed.holds('b', V)) ? 'b' : ''}`;
  let u = bed.ulvs('a', ucfg);
  const k = bed.keepalived('b', kconf);
  t.ok(await bed.until(async () => (await holder()) === 'a', 6000), 'ulvs holds the IPv6 VIP, keepalived does not');
  await stopProc(u);
  t.ok(await bed.until(async () => (await holder()) === 'b', 3000), 'clean stop: keepalived takes over');
  const cap = run(
    [
      'tshark',
      '-i',
      'eth0',
      '-a',
      'duration:6',
      '-f',
      'ip6',
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'ipv6.src',
      '-e',
      'ipv6.hlim',
      '-e',
      'vrrp.version',
      '-e',
      'vrrp.prio',
      '-e',
      'vrrp.checksum.status',
      '-e',
      'icmpv6.type',
      '-e',
      'icmpv6.nd.na.target_address',
      '-e',
      '_ws.malformed',
    ],
    { netns: bed.ns('b'), timeoutMs: 15000 },
  );
  await new Promise((r) => setTimeout(r, 700));
  u = bed.ulvs('a', ucfg);
  if (!t.ok(await bed.until(async () => (await holder()) === 'a', 9000), 'restarted ulvs preempts'))
    t.comment([await holder(), ...k.out.slice(-25), ...u.out.slice(-10)].join('\n'));
  const lines = (await cap).stdout.split('\n').filter(Boolean);
  const adverts = lines.filter((l) => l.split(',')[2] === '3' && l.split(',')[3] === '200');
  t.ok(adverts.length > 0, `tshark saw our VRRPv3 adverts (${adverts.length})`);
  t.ok(
    adverts.every((l) => {
      const f = l.split(',');
      return f[0].startsWith('fe80::') && f[1] === '255' && f[4] === '1' && f[7] === '';
    }),
    `link-local source, hop limit 255, good checksum: ${adverts[0]}`,
  );
  t.ok(
    lines.some((l) => {
      const f = l.split(',');
      return f[5] === '136' && f[6] === V;
    }),
    'unsolicited neighbour advertisement for the VIP seen',
  );
  await stopProc(u, 'SIGKILL');
  t.ok(await bed.until(() => bed.holds('b', V), 3000), 'kill -9: keepalived takes over');
  await stopProc(k);
});
