// frameEtherWords (MAC words computed once per next hop) writes the same frame as frameEther.
import t from 'tap';
import { createBatch, frameOf, LinkType } from '../../src/core/batch.js';
import { frameEther, frameEtherWords, macWords } from '../../src/forward/l2.js';
import { DropReason } from '../../src/packet/drop-reasons.js';
import { PacketView } from '../../src/packet/packet-view.js';

const dst = Uint8Array.from([0xfe, 0x81, 0x02, 0xc3, 0x94, 0xa5]);
const src = Uint8Array.from([0x02, 0xb6, 0xf7, 0x08, 0x99, 0xea]);

for (const family of [4, 6] as const) {
  t.test(`IPv${family}: same bytes, start and length as frameEther`, async (t) => {
    const out: string[] = [];
    for (const words of [false, true]) {
      const b = createBatch(LinkType.Ether, 2, 256, 64);
      const pv = new PacketView();
      pv.family = family;
      pv.l3Off = 256 + 64 + 18; // slot 1, behind a VLAN-tagged header: the new header starts 4 bytes later
      pv.l3End = pv.l3Off + 40;
      b.buf.fill(0x5a, 256, 512);
      const err = words ? frameEtherWords(b, 1, pv, macWords(dst, src, new Int32Array(3))) : frameEther(b, 1, pv, dst, 0, src, 0);
      t.equal(err, 0);
      t.equal(b.start[1], pv.l3Off - 14);
      t.equal(b.length[1], 54);
      t.equal(pv.l2Off, pv.l3Off - 14);
      out.push(Buffer.from(frameOf(b, 1)).toString('hex'));
    }
    t.equal(out[1], out[0]);
    t.match(out[1], new RegExp(`^fe8102c394a502b6f70899ea${family === 6 ? '86dd' : '0800'}5a`));
  });
}

t.test('no headroom: NoHeadroom and nothing written', async (t) => {
  const b = createBatch(LinkType.Ether, 2, 256, 0);
  const pv = new PacketView();
  pv.l3Off = 256 + 10;
  pv.l3End = pv.l3Off + 20;
  t.equal(frameEtherWords(b, 1, pv, macWords(dst, src, new Int32Array(3))), DropReason.NoHeadroom);
  t.equal(b.buf[256], 0);
});
