// ulvs <-> keepalived 2.2.7 on the wire: each side master and backup, v2 multicast with PASS and
// v3 unicast, clean stop and kill -9 of the master, restart, split brain healing, and tshark
// decoding our adverts as valid VRRP.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, keepalivedInstance, killKeepalived9, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';
import { instanceSpec, vip, vrrpConfig } from '../../src/vrrp/spec.js';

const root = process.getuid?.() === 0;
const VIP = '10.61.0.100';

t.test('v2 multicast PASS: ulvs master (200), keepalived backup (100)', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('k2'), [
    { name: 'a', addrs: ['10.61.0.1/24'] },
    { name: 'b', addrs: ['10.61.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const ucfg = vrrpConfig([instanceSpec({ priority: 200, vips: [vip(`${VIP}/24`)], authentication: { type: 'PASS', password: '1111' } })]);
  const kconf = keepalivedInstance({ vrid: 51, priority: 100, advertInt: 1, vips: [`${VIP}/24`], authPass: '1111' });
  let u = bed.ulvs('a', ucfg);
  const k = bed.keepalived('b', kconf);
  const holder = async (): Promise<string> => `${(await bed.holds('a', VIP)) ? 'a' : ''}${(await bed.holds('b', VIP)) ? 'b' : ''}`;
  t.ok(await bed.until(async () => (await holder()) === 'a', 8000), 'ulvs (higher priority) holds the VIP, keepalived does not');

  const cap = await run(
    [
      'tshark',
      '-i',
      'eth0',
      '-a',
      'duration:2',
      '-f',
      'ip proto 112',
      '-T',
      'fields',
      '-E',
      'separator=,',
      '-e',
      'ip.src',
      '-e',
      'ip.ttl',
      '-e',
      'vrrp.version',
      '-e',
      'vrrp.prio',
      '-e',
      'vrrp.checksum.status',
      '-e',
      '_ws.malformed',
      '-e',
      'vrrp.auth_string',
    ],
    { netns: bed.ns('b'), timeoutMs: 15000 },
  );
  const ours = cap.stdout.split('\n').filter((l) => l.startsWith('10.61.0.1,'));
  t.ok(ours.length >= 1, `tshark saw our adverts (${ours.length})`);
  t.ok(
    ours.every((l) => {
      const f = l.split(',');
      return f[1] === '255' && f[2] === '2' && f[3] === '200' && f[4] !== '0' && f[5] === '' && f[6] === '1111';
    }),
    `tshark decodes them as valid VRRPv2: ${ours[0]}`,
  );

  await stopProc(u);
  t.ok(await bed.until(async () => (await holder()) === 'b', 3000), 'clean stop: keepalived takes over at once (priority 0), ulvs removed the VIP');
  u = bed.ulvs('a', ucfg);
  t.ok(await bed.until(async () => (await holder()) === 'a', 10000), 'restarted ulvs preempts; keepalived releases the VIP');
  await stopProc(u, 'SIGKILL');
  t.ok(await bed.until(async () => bed.holds('b', VIP), 6000), 'kill -9: keepalived takes over after the master down interval');
  t.ok(await bed.holds('a', VIP), 'the killed node keeps a stale VIP (as keepalived does)');
  u = bed.ulvs('a', ucfg);
  t.ok(await bed.until(async () => (await holder()) === 'a', 10000), 'restart removes the stale copy, then preempts: exactly one holder');
  await stopProc(u);
  await stopProc(k);
});

t.test('v3 unicast 0.1 s: keepalived master (200), ulvs backup (100); kill -9 and split brain', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('k3'), [
    { name: 'a', addrs: ['10.62.0.1/24'] },
    { name: 'b', addrs: ['10.62.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const V = '10.62.0.100';
  const ucfg = vrrpConfig([
    instanceSpec({
      version: 3,
      vrid: 7,
      priority: 100,
      advertIntMs: 100,
      srcIp: '10.62.0.1',
      unicastPeers: [{ address: '10.62.0.2' }],
      vips: [vip(`${V}/24`)],
    }),
  ]);
  const kconf = keepalivedInstance({
    vrid: 7,
    priority: 200,
    advertInt: 0.1,
    version: 3,
    vips: [`${V}/24`],
    unicastSrc: '10.62.0.2',
    unicastPeers: ['10.62.0.1'],
  });
  const u = bed.ulvs('a', ucfg);
  let k = bed.keepalived('b', kconf);
  const holder = async (): Promise<string> => `${(await bed.holds('a', V)) ? 'a' : ''}${(await bed.holds('b', V)) ? 'b' : ''}`;
  t.ok(await bed.until(async () => (await holder()) === 'b', 6000), 'keepalived master holds the VIP, ulvs backup does not');
  await new Promise((r) => setTimeout(r, 500));
  t.equal(await holder(), 'b', 'ulvs stays backup while keepalived advertises');
  await killKeepalived9(bed, 'b', k);
  t.ok(await bed.until(async () => bed.holds('a', V), 3000), 'kill -9 of keepalived: ulvs takes over');
  await run(['ip', 'addr', 'del', `${V}/24`, 'dev', 'eth0'], { netns: bed.ns('b') });
  k = bed.keepalived('b', kconf);
  if (!t.ok(await bed.until(async () => (await holder()) === 'b', 6000), 'keepalived back with higher priority preempts; ulvs releases'))
    t.comment([await holder(), ...k.out.slice(-30), ...u.out.slice(-10)].join('\n'));
  await bed.cut('a', true);
  t.ok(await bed.until(async () => (await holder()) === 'ab', 3000), 'link cut: both sides master (split brain)');
  await bed.cut('a', false);
  t.ok(await bed.until(async () => (await holder()) === 'b', 3000), 'link restored: exactly one holder again');
  await stopProc(k);
  t.ok(await bed.until(async () => (await holder()) === 'a', 3000), 'keepalived clean stop: ulvs takes over');
  await stopProc(u);
  t.equal(await holder(), '', 'ulvs clean stop removes the VIP');
});
