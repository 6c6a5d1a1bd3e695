// The one address helper (src/core/addr.ts): inet_pton-strict parsing (agrees with node:net's isIP on
// a corpus of good and bad text), words/bytes layouts, RFC 5952 and glibc IPv6 printing.
import t from 'tap';
import { isIPv4, isIPv6 } from 'node:net';
import { canonicalIp, formatIpBytes, formatIpWords, ipBytes, ipv6Ntop, ipWords, parseIpWords } from '../../src/core/addr.js';

const CORPUS = [
  '1.2.3.4',
  '0.0.0.0',
  '255.255.255.255',
  '01.2.3.4',
  '1.2.3',
  '256.1.1.1',
  '1.2.3.4.5',
  ' 1.2.3.4',
  '1.2.3.4 ',
  '::',
  '::1',
  '1::',
  '1:2:3:4:5:6:7::',
  '::1:2:3:4:5:6:7',
  '1:2:3:4:5:6:7:8',
  '1:2:3:4:5:6:7:8::',
  '1:2:3:4:5:6:7:8:9',
  'fe80::1%eth0',
  'fe80::1%',
  '::ffff:1.2.3.4',
  '1.2.3.4::',
  '::01.2.3.4',
  '12345::',
  '1:2:3:4:5:6:1.2.3.4',
  '1:2:3:4:5:6:7:1.2.3.4',
  ':1::2',
  '1::2:',
  '1::2::3',
  'fe80:::1',
  'x::1',
  'ABCD::EF01',
  '',
  ':',
  ':::',
];

t.test('accepts exactly what node:net accepts', async (t) => {
  const out = new Uint32Array(4);
  for (const s of CORPUS) {
    const want = isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
    t.equal(parseIpWords(s, out), want, `'${s}' -> ${want}`);
  }
});

t.test('words, bytes and text', async (t) => {
  t.same([...ipWords('192.0.2.1')!.words], [0xc0000201, 0, 0, 0]);
  t.same([...ipWords('2001:db8::1:0:0:1')!.words], [0x20010db8, 0, 0x00010000, 1]);
  const i32 = new Int32Array(4);
  t.equal(parseIpWords('255.0.0.1', i32), 4);
  t.equal(i32[0], 0xff000001 | 0, 'an Int32Array gets the same bits');
  t.equal(formatIpWords(i32, 4), '255.0.0.1');
  t.same([...ipBytes('10.1.2.3')!], [10, 1, 2, 3]);
  const b6 = ipBytes('fe80::1%eth0')!;
  t.equal(b6.length, 16);
  t.equal(formatIpBytes(b6, 0, 6), 'fe80::1', 'the zone is dropped');
  t.equal(ipBytes('nope'), undefined);
  t.same(canonicalIp('2001:DB8:0:0:1:0:0:1'), { family: 6, address: '2001:db8::1:0:0:1' });
  t.same(canonicalIp('::ffff:192.0.2.1'), { family: 6, address: '::ffff:c000:201' });
  t.same(canonicalIp('::ffff:192.0.2.1', 'glibc'), { family: 6, address: '::ffff:192.0.2.1' });
  t.equal(canonicalIp('1.2.3'), undefined);
});

t.test('RFC 5952: the first longest zero run of two or more groups', async (t) => {
  t.equal(ipv6Ntop([1, 0, 2, 0, 0, 3, 0, 0]), '1:0:2::3:0:0');
  t.equal(ipv6Ntop([1, 0, 2, 3, 4, 5, 6, 7]), '1:0:2:3:4:5:6:7');
  t.equal(ipv6Ntop([0, 0, 0, 0, 0, 0, 0, 0]), '::');
  t.equal(ipv6Ntop([0, 0, 0, 0, 0, 0, 0x102, 0x304], 'glibc'), '::1.2.3.4');
  t.equal(ipv6Ntop([0, 0, 0, 0, 0, 0, 0x102, 0x304]), '::102:304');
});
