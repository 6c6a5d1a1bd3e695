// lab: alone — it loads the machine on purpose (flood/stress); the test command runs it by itself.
// Chaos: crafted adverts from a host on the link (scapy) must not demote the MASTER: off-link ones
// (TTL != 255) sent by unicast to a multicast instance (RFC 5798 §5.1.1.3/§7.1), and adverts from a
// non-peer to 224.0.0.18 / 224.0.0.1 for an instance with check_unicast_src. keepalived stays BACKUP.
import t from 'tap';
import { ChaosBed, VIP_M, VIP_U, craftAdverts } from '../../bench/chaos-lab.js';

const root = process.getuid?.() === 0;

t.test('off-link and non-peer adverts leave the MASTER MASTER', { skip: !root && 'needs root (network namespaces)', timeout: 120000 }, async (t) => {
  const cb = await ChaosBed.up('ca');
  t.teardown(() => cb.down());
  const before = await cb.instances();
  const o = await cb.stressCase('adverts', async () => {
    for (const ttl of [64, 254]) await craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst: '10.71.0.1', ttl, vrid: 51, priority: 254, vip: VIP_M, count: 20 });
    for (const dst of ['224.0.0.18', '224.0.0.1'])
      await craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst, ttl: 255, vrid: 52, priority: 254, vip: VIP_U, count: 20 });
  });
  t.comment(`longest advert gap ${o.maxAdvertGapMs} ms over ${o.adverts} adverts`);
  t.ok(o.alive, 'the director is alive');
  t.notOk(o.backupTookOver, 'keepalived stayed BACKUP and never took a VIP');
  t.same(
    o.instances.map((i) => [i.name, i.state]),
    [
      ['VI_M', 'MASTER'],
      ['VI_U', 'MASTER'],
    ],
    'both instances still MASTER',
  );
  t.same(
    o.instances.map((i) => i.transitions),
    before.map((i) => i.transitions),
    'no transition',
  );
  const m = o.instances.find((i) => i.name === 'VI_M')!;
  const u = o.instances.find((i) => i.name === 'VI_U')!;
  t.ok((m.advertsDropped.ttl ?? 0) >= 40, `VI_M dropped the TTL 64/254 adverts (${m.advertsDropped.ttl})`);
  t.ok((u.advertsDropped['unicast-src'] ?? 0) >= 40, `VI_U dropped the non-peer adverts (${u.advertsDropped['unicast-src']})`);
  t.equal(o.ulvsadm.code, 0, 'ulvsadm -L -n answers');
  t.match(o.ulvsadm.out, `TCP  ${VIP_M}:80 rr`);
});
