import t from 'tap';
import { decodeAdvert, encodeAdvert, parseIpv4, vrrpChecksum, DROP_REASONS } from '../../src/vrrp/codec.js';
import { checkAdvert, type AdvertExpectations } from '../../src/vrrp/check-advert.js';

// A VRRPv2 advert captured from keepalived 2.2.7 (VRID 51, prio 100, PASS 1111, VIP 192.168.1.200).
const ka = Uint8Array.from([0x21, 0x33, 0x64, 0x01, 0x01, 0x01, 0, 0, 192, 168, 1, 200, 0x31, 0x31, 0x31, 0x31, 0, 0, 0, 0]);
{
  const c = vrrpChecksum(ka, ka.length, 2);
  ka[6] = c >> 8;
  ka[7] = c & 0xff;
}

const exp: AdvertExpectations = { version: 2, family: 4, vrid: 51, advertIntMs: 1000, authPass: '1111', vips: ['192.168.1.200'], ownAddresses: ['10.0.0.1'] };
const mc = { srcIp: '10.0.0.2', dstIp: '224.0.0.18', ttl: 255, multicast: true };

t.test('v2 round trip with PASS', async (t) => {
  const b = encodeAdvert({ version: 2, family: 4, vrid: 51, priority: 100, adverIntMs: 1000, addresses: ['192.168.1.200'], authPass: '1111' });
  t.same([...b], [...ka], 'byte-identical to a keepalived advert');
  const r = decodeAdvert(b, b.length, 4, mc.srcIp, mc.dstIp);
  t.ok(r.ok);
  if (!r.ok) return;
  t.match(r.advert, { version: 2, vrid: 51, priority: 100, adverIntMs: 1000, authType: 1, addresses: ['192.168.1.200'] });
  t.equal(checkAdvert(r.advert, exp, mc), undefined);
});

t.test('v3 IPv4 and IPv6 round trip with pseudo-header checksum', async (t) => {
  const b = encodeAdvert({ version: 3, family: 4, vrid: 7, priority: 200, adverIntMs: 100, addresses: ['10.1.1.1', '10.1.1.2'] }, '10.0.0.2', '224.0.0.18');
  const r = decodeAdvert(b, b.length, 4, '10.0.0.2', '224.0.0.18');
  t.match(r, { ok: true, advert: { version: 3, vrid: 7, priority: 200, adverIntMs: 100, addresses: ['10.1.1.1', '10.1.1.2'] } });
  t.match(decodeAdvert(b, b.length, 4, '10.0.0.3', '224.0.0.18'), { ok: false, reason: 'checksum' }, 'pseudo-header covers the source');
  const b6 = encodeAdvert({ version: 3, family: 6, vrid: 9, priority: 100, adverIntMs: 1000, addresses: ['fe80::1', '2001:db8::10'] }, 'fe80::a', 'ff02::12');
  t.match(decodeAdvert(b6, b6.length, 6, 'fe80::a', 'ff02::12'), { ok: true, advert: { addresses: ['fe80::1', '2001:db8::10'], adverIntMs: 1000 } });
});

t.test('drops with reasons', async (t) => {
  const bad = ka.slice();
  bad[7] ^= 1;
  t.match(decodeAdvert(bad, bad.length, 4, mc.srcIp, mc.dstIp), { ok: false, reason: 'checksum' });
  t.match(decodeAdvert(ka, 5, 4, mc.srcIp, mc.dstIp), { ok: false, reason: 'short' });
  const v4 = ka.slice();
  v4[0] = 0x41;
  t.match(decodeAdvert(v4, v4.length, 4, mc.srcIp, mc.dstIp), { ok: false, reason: 'version' });
  const ty = ka.slice();
  ty[0] = 0x22;
  t.match(decodeAdvert(ty, ty.length, 4, mc.srcIp, mc.dstIp), { ok: false, reason: 'type' });
  const r = decodeAdvert(ka, ka.length, 4, mc.srcIp, mc.dstIp);
  if (!r.ok) {
    t.fail('decode');
    return;
  }
  t.equal(checkAdvert(r.advert, exp, { ...mc, ttl: 254 }), 'ttl');
  t.equal(checkAdvert(r.advert, { ...exp, vrid: 52 }, mc), 'vrid');
  t.equal(checkAdvert(r.advert, { ...exp, authPass: '2222' }, mc), 'auth');
  t.equal(checkAdvert(r.advert, { ...exp, authPass: undefined }, mc), 'auth-type');
  t.equal(checkAdvert(r.advert, { ...exp, advertIntMs: 2000 }, mc), 'interval');
  t.equal(checkAdvert(r.advert, { ...exp, vips: ['192.168.1.201'] }, mc), 'addr-list');
  t.equal(checkAdvert(r.advert, { ...exp, version: 3 }, mc), 'version');
  const uni = { srcIp: '10.0.0.9', dstIp: '10.0.0.1', ttl: 64, multicast: false };
  t.equal(checkAdvert(r.advert, { ...exp, unicast: true, unicastPeers: [{ address: '10.0.0.2' }] }, uni), 'unicast-src');
  t.equal(checkAdvert(r.advert, { ...exp, unicast: true, unicastPeers: [{ address: '10.0.0.9' }] }, uni), undefined, 'TTL not checked for unicast');
  t.equal(checkAdvert(r.advert, exp, { ...mc, srcIp: '10.0.0.1' }), 'own');
});

t.test('IPv4 header parse', async (t) => {
  const ip = new Uint8Array(20 + ka.length);
  ip[0] = 0x45;
  ip[2] = 0;
  ip[3] = ip.length;
  ip[8] = 255;
  ip[9] = 112;
  ip.set([10, 0, 0, 2], 12);
  ip.set([224, 0, 0, 18], 16);
  ip.set(ka, 20);
  t.match(parseIpv4(ip, ip.length), { srcIp: '10.0.0.2', dstIp: '224.0.0.18', ttl: 255, protocol: 112, payloadOffset: 20, payloadLength: ka.length });
  t.equal(parseIpv4(ip, 10), undefined);
});

t.test('fuzz: the decoder and checks never throw on random or mutated input', async (t) => {
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const seen = new Set<string>();
  const unknown: string[] = [];
  for (let i = 0; i < 20000; i++) {
    let b: Uint8Array;
    if (i % 2 === 0) {
      b = ka.slice();
      for (let k = rnd() % 4; k >= 0; k--) b[rnd() % b.length] = rnd() & 0xff;
    } else {
      b = new Uint8Array(rnd() % 80);
      for (let k = 0; k < b.length; k++) b[k] = rnd() & 0xff;
    }
    const fam = i % 3 === 0 ? 6 : 4;
    const r = decodeAdvert(b, b.length, fam, fam === 4 ? '10.0.0.2' : 'fe80::2', fam === 4 ? '224.0.0.18' : 'ff02::12');
    if (r.ok) {
      seen.add(checkAdvert(r.advert, exp, mc) ?? 'accepted');
    } else {
      if (!DROP_REASONS.includes(r.reason)) unknown.push(r.reason);
      seen.add(r.reason);
    }
    parseIpv4(b, b.length);
  }
  t.same(unknown, [], 'every drop has a known reason');
  t.ok(seen.has('checksum') && seen.has('short'), `reasons seen: ${[...seen].join(',')}`);
});
