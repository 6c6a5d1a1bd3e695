// decrementTtl's fixed-constant checksum update gives RFC 1624 eqn 3's result for every header checksum.
import t from 'tap';
import { createBatch, LinkType } from '../../src/core/batch.js';
import { decrementTtl } from '../../src/forward/nat.js';
import { csumReplace16, fillIpv4Checksum, ipv4ChecksumOk, rd16, wr16 } from '../../src/packet/checksum.js';
import { DropReason } from '../../src/packet/drop-reasons.js';
import { PacketView } from '../../src/packet/packet-view.js';

const b = createBatch(LinkType.Ip, 1, 128, 0);
const pv = new PacketView();
pv.family = 4;
pv.l3Off = 0;

t.test('every checksum value: the RFC 1624 eqn 3 update of the TTL/protocol word', async (t) => {
  let bad = 0;
  for (const ttl of [2, 64, 255]) {
    for (let hc = 0; hc < 0x10000; hc++) {
      b.buf[8] = ttl;
      b.buf[9] = 6;
      wr16(b.buf, 10, hc);
      if (decrementTtl(b, 0, pv) !== 0 || b.buf[8] !== ttl - 1 || pv.ttl !== ttl - 1) bad++;
      else if (rd16(b.buf, 10) !== csumReplace16(hc, (ttl << 8) | 6, ((ttl - 1) << 8) | 6)) bad++;
    }
  }
  t.equal(bad, 0);
});

t.test('a valid header stays valid; TTL 1 is TtlExpired and untouched', async (t) => {
  b.buf.fill(0, 0, 20);
  b.buf[0] = 0x45;
  wr16(b.buf, 2, 20);
  b.buf[8] = 17;
  b.buf[9] = 17;
  b.buf.set([10, 1, 2, 3, 192, 168, 7, 9], 12);
  fillIpv4Checksum(b.buf, 0);
  t.equal(decrementTtl(b, 0, pv), 0);
  t.ok(ipv4ChecksumOk(b.buf, 0, 20));
  b.buf[8] = 1;
  fillIpv4Checksum(b.buf, 0);
  const before = rd16(b.buf, 10);
  t.equal(decrementTtl(b, 0, pv), DropReason.TtlExpired);
  t.equal(b.buf[8], 1);
  t.equal(rd16(b.buf, 10), before);
});
