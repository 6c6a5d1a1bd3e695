import t from 'tap';
import { encodeAdvert, decodeAdvert, type Advert } from '../../src/vrrp/codec.js';
import { checkAdvert, type AdvertExpectations } from '../../src/vrrp/check-advert.js';

const wire = encodeAdvert({ version: 3, family: 4, vrid: 51, priority: 200, adverIntMs: 1000, addresses: ['192.168.1.200'] }, '10.0.0.2', '224.0.0.18');
const dec = decodeAdvert(wire, wire.length, 4, '10.0.0.2', '224.0.0.18');
if (!dec.ok) throw new Error('fixture does not decode');
const adv: Advert = dec.advert;
const multicastInst: AdvertExpectations = { version: 3, family: 4, vrid: 51, advertIntMs: 1000, vips: ['192.168.1.200'], ownAddresses: ['10.0.0.1'] };
const unicastInst: AdvertExpectations = { ...multicastInst, unicast: true, unicastPeers: [{ address: '10.0.0.2' }] };

t.test('multicast instance: TTL 255 whatever the destination (RFC 5798 §7.1)', async (t) => {
  t.equal(checkAdvert(adv, multicastInst, { srcIp: '10.0.0.2', dstIp: '224.0.0.18', ttl: 255, multicast: true }), undefined, 'on-link group advert accepted');
  t.equal(
    checkAdvert(adv, multicastInst, { srcIp: '10.0.0.2', dstIp: '10.0.0.1', ttl: 255, multicast: false }),
    undefined,
    'unicast to us with TTL 255 accepted',
  );
  for (const ttl of [64, 254, 1]) {
    t.equal(checkAdvert(adv, multicastInst, { srcIp: '10.9.9.9', dstIp: '10.0.0.1', ttl, multicast: false }), 'ttl', `unicast to us with TTL ${ttl} dropped`);
    t.equal(checkAdvert(adv, multicastInst, { srcIp: '10.0.0.2', dstIp: '224.0.0.18', ttl, multicast: true }), 'ttl', `group advert with TTL ${ttl} dropped`);
  }
});

t.test('check_unicast_src applies to every destination', async (t) => {
  t.equal(checkAdvert(adv, unicastInst, { srcIp: '10.0.0.2', dstIp: '10.0.0.1', ttl: 64, multicast: false }), undefined, 'peer by unicast, any TTL');
  t.equal(checkAdvert(adv, unicastInst, { srcIp: '10.0.0.7', dstIp: '10.0.0.1', ttl: 64, multicast: false }), 'unicast-src', 'non-peer by unicast');
  t.equal(checkAdvert(adv, unicastInst, { srcIp: '10.0.0.7', dstIp: '224.0.0.1', ttl: 255, multicast: true }), 'unicast-src', 'non-peer to 224.0.0.1');
  t.equal(checkAdvert(adv, unicastInst, { srcIp: '10.0.0.7', dstIp: '224.0.0.18', ttl: 255, multicast: true }), 'unicast-src', 'non-peer to 224.0.0.18');
  t.equal(checkAdvert(adv, unicastInst, { srcIp: '10.0.0.2', dstIp: '224.0.0.18', ttl: 64, multicast: true }), 'ttl', 'multicast still needs TTL 255');
  const noCheck: AdvertExpectations = { ...multicastInst, unicast: true };
  t.equal(
    checkAdvert(adv, noCheck, { srcIp: '10.0.0.7', dstIp: '10.0.0.1', ttl: 64, multicast: false }),
    undefined,
    'without check_unicast_src any source is taken (keepalived default)',
  );
});
