// Address helpers: IPv4/IPv6 text <-> host-order words (FlowKey layout), RFC 5952 formatting, MACs.
import t from 'tap';
import { formatIpWords, formatMac, ipWords, parseIpWords, parseMac } from '../../src/packet/addr.js';

t.test('IPv4 and IPv6 round trips', async (t) => {
  const cases: Array<[string, string, number[]]> = [
    ['192.0.2.1', '192.0.2.1', [0xc0000201, 0, 0, 0]],
    ['255.255.255.255', '255.255.255.255', [0xffffffff, 0, 0, 0]],
    ['2001:db8::1', '2001:db8::1', [0x20010db8, 0, 0, 1]],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1', [0x20010db8, 0, 0x00010000, 1]],
    ['::', '::', [0, 0, 0, 0]],
    ['::1', '::1', [0, 0, 0, 1]],
    ['fe80::', 'fe80::', [0xfe800000, 0, 0, 0]],
    ['::ffff:192.0.2.1', '::ffff:c000:201', [0, 0, 0xffff, 0xc0000201]],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8', [0x10002, 0x30004, 0x50006, 0x70008]],
  ];
  for (const [text, canon, words] of cases) {
    const r = ipWords(text);
    t.ok(r, `${text} parses`);
    t.same([...r!.words], words, `${text} words`);
    t.equal(formatIpWords(r!.words, r!.family), canon, `${text} formats as ${canon}`);
  }
  const out = new Uint32Array(4);
  for (const bad of ['', '1.2.3', '256.0.0.1', 'fe80:::1', 'x::1', '1:2:3:4:5:6:7:8:9']) t.equal(parseIpWords(bad, out), 0, `'${bad}' rejected`);
});

t.test('MACs', async (t) => {
  t.same([...parseMac('02:00:0a:FF:00:01')!], [2, 0, 10, 255, 0, 1]);
  t.same([...parseMac('02-00-0a-ff-00-01')!], [2, 0, 10, 255, 0, 1]);
  t.equal(parseMac('02:00:0a:ff:00'), undefined);
  t.equal(parseMac('02:00:0a:ff:00:zz'), undefined);
  t.equal(formatMac(Uint8Array.of(9, 2, 0, 10, 255, 0, 1), 1), '02:00:0a:ff:00:01');
});
