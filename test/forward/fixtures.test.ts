// Every scapy-built fixture row: run ulvs' parser/transform and compare with scapy's expected bytes.
import t from 'tap';
import { PacketView } from '../../src/packet/packet-view.js';
import { frameOf } from '../../src/core/batch.js';
import { PACKET_CASES, fixtureBatches, runCase, dropReasonName } from '../fixtures/packets/cases.js';

const batches = fixtureBatches();
const pv = new PacketView();

for (const c of PACKET_CASES) {
  t.test(c.name, async (t) => {
    const b = batches[c.linkType];
    const r = runCase(c, b, 0, pv);
    t.equal(dropReasonName(r), c.reason, 'reason');
    if (c.op === 'parse') {
      t.equal(dropReasonName(pv.anomaly), c.anomaly, 'anomaly');
      for (const [k, v] of Object.entries(c.fields)) {
        if (v === undefined) continue;
        const got = k.startsWith('inner')
          ? (pv.inner as unknown as Record<string, number>)[k[5]!.toLowerCase() + k.slice(6)]
          : (pv as unknown as Record<string, number>)[k];
        t.equal(got, v, k);
      }
      if (c.fields.innerSport !== undefined) t.ok(pv.icmpError, 'recognised as an ICMP error IPVS examines');
    }
    if (c.expect) {
      const out = Buffer.from(frameOf(b, 0)).toString('hex');
      t.equal(out, Buffer.from(c.expect).toString('hex'), 'output bytes equal scapy-built expectation');
    }
  });
}
