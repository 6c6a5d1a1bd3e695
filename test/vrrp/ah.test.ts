// The AH datagram ulvs builds: layout, an ICV that verifies, and verification failing on a changed byte,
// a wrong key, or an SPI that is not the source (the interop itself is test/lab/vrrp-ah.test.ts).
import t from 'tap';
import { AH_LEN, IPPROTO_AH, ahKey, encodeAhPacket, readAh, verifyAh } from '../../src/vrrp/ah.js';
import { encodeAdvert } from '../../src/vrrp/codec.js';

const vrrp = encodeAdvert({ version: 2, family: 4, vrid: 7, priority: 100, adverIntMs: 1000, addresses: ['10.0.0.100'], ah: true });
const key = ahKey('secret');
const pkt = encodeAhPacket({ srcIp: '10.0.0.1', dstIp: '224.0.0.18', ttl: 255, ipId: 9, seq: 42, key, vrrp, unicast: false });

t.test('layout', async (t) => {
  t.equal(pkt.length, 20 + AH_LEN + vrrp.length);
  t.equal(pkt[9], IPPROTO_AH, 'IP protocol 51');
  t.equal(pkt[20], 112, 'next header VRRP');
  t.equal(pkt[21], 4, 'AH payload length 4');
  t.same([...pkt.subarray(24, 28)], [10, 0, 0, 1], 'SPI = source address');
  t.equal(vrrp[4], 2, 'VRRP auth type 2 (AH)');
  t.equal(key.length, 8, 'key: the password NUL-padded to 8 bytes');
});

t.test('verification', async (t) => {
  const ah = readAh(pkt, 20)!;
  t.equal(ah.seq, 42);
  t.ok(verifyAh(ah, key, false), 'our own ICV verifies');
  const uni = encodeAhPacket({ srcIp: '10.0.0.1', dstIp: '10.0.0.2', ttl: 255, ipId: 9, seq: 43, key, vrrp, unicast: true });
  uni[8] = 64;
  uni[1] = 0x10;
  t.ok(verifyAh(readAh(uni, 20)!, key, true), 'unicast: TTL and TOS are mutable fields');
  const ttl = pkt.slice();
  ttl[8] = 64;
  t.notOk(verifyAh(readAh(ttl, 20)!, key, false), 'multicast: TTL is covered');
  const bad = pkt.slice();
  bad[20 + AH_LEN + 2] ^= 1;
  t.notOk(verifyAh(readAh(bad, 20)!, key, false), 'a changed priority fails');
  t.notOk(verifyAh(ah, ahKey('other'), false), 'a wrong password fails');
  const spi = encodeAhPacket({ srcIp: '10.0.0.1', dstIp: '224.0.0.18', ttl: 255, ipId: 9, seq: 1, key, vrrp, unicast: false });
  spi.set([10, 0, 0, 2], 12);
  t.notOk(verifyAh(readAh(spi, 20)!, key, false), 'SPI not the source fails');
});
