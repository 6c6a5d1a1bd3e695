// Incremental checksum updates (RFC 1624) agree with full recomputation, including the UDP zero rule.
import t from 'tap';
import { checksum, csumReplace16, csumReplace32, rd16, rewrite16, rewrite32, wr16 } from '../../src/packet/checksum.js';
import { crc32c } from '../../src/packet/crc32c.js';

let seed = 12345;
const rnd = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 8;
};

t.test('RFC 1624 examples and random word replacements', async (t) => {
  // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000.
  t.equal(csumReplace16(0xdd2f, 0x5555, 0x3285), 0x0000);
  let bad = 0;
  const buf = new Uint8Array(64);
  for (let n = 0; n < 20000; n++) {
    for (let i = 0; i < buf.length; i++) buf[i] = rnd() & 255;
    buf[10] = buf[11] = 0;
    wr16(buf, 10, checksum(buf, 0, buf.length));
    const off = 12 + (rnd() % 24) * 2;
    if (n & 1) rewrite32(buf, off, (rnd() * 257) >>> 0, 10, -1);
    else rewrite16(buf, off, rnd() & 0xffff, 10);
    // A correct checksum makes the whole sum fold to 0xffff (verify = 0).
    if (checksum(buf, 0, buf.length) !== 0) bad++;
  }
  t.equal(bad, 0, 'every incremental update verifies');
  t.equal(csumReplace32(0x1234, 0x0a000001, 0x0a000001), 0x1234, 'no change, same checksum');
});

t.test('UDP zero checksum stays zero; computed zero becomes 0xffff', async (t) => {
  const buf = new Uint8Array(8);
  rewrite16(buf, 0, 0x1234, 6, true);
  t.equal(rd16(buf, 6), 0, 'absent checksum untouched');
  wr16(buf, 6, 0xedcb); // ~0x1234: replacing 0x1234 by 0 would give 0 -> 0xffff
  wr16(buf, 0, 0x1234);
  rewrite16(buf, 0, 0x0000, 6, true);
  t.not(rd16(buf, 6), 0, 'a computed zero is sent as 0xffff');
});

t.test('CRC32c check value', async (t) => {
  t.equal(crc32c(Buffer.from('123456789'), 0, 9), 0xe3069283);
});
