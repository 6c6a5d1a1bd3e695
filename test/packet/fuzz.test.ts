// Fuzz: a million random and mutated frames through parse + every transform. Nothing may throw; parse
// results may not depend on bytes outside the frame; transforms may not write outside their slot.
import t from 'tap';
import { createBatch } from '../../src/core/batch.js';
import { PacketView } from '../../src/packet/packet-view.js';
import { parsePacket, verifyL4Checksum } from '../../src/packet/parse.js';
import { DROP_REASONS } from '../../src/packet/drop-reasons.js';
import { forwardDr } from '../../src/forward/dr.js';
import { frameEther } from '../../src/forward/l2.js';
import { decrementTtl, natIn, natOut } from '../../src/forward/nat.js';
import { natIcmpIn, natIcmpOut } from '../../src/forward/nat-icmp.js';
import { tunEncap } from '../../src/forward/tun.js';
import { buildFragNeeded, buildPortUnreachable } from '../../src/forward/icmp-reply.js';
import { PACKET_CASES, FIXTURE_ENV as E } from '../fixtures/packets/cases.js';

const TOTAL = Number(process.env.ULVS_FUZZ_FRAMES ?? 1_000_000);
let seed = 0x2545f491;
const rnd = (n: number): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const seeds = PACKET_CASES.map((c) => ({ data: c.input, link: c.linkType }));
const frame = new Uint8Array(2048);

/** Builds the next fuzz frame into `frame`; returns [length, linkType]. */
function nextFrame(): [number, 1 | 2] {
  const kind = rnd(10);
  if (kind < 2) {
    // Pure garbage, sometimes with a plausible EtherType / version nibble to get past layer 2.
    const len = rnd(160);
    for (let i = 0; i < len; i++) frame[i] = rnd(256);
    const link = (rnd(2) + 1) as 1 | 2;
    if (link === 1 && len >= 14 && rnd(2)) {
      frame[12] = rnd(2) ? 0x08 : 0x86;
      frame[13] = frame[12] === 0x08 ? 0x00 : 0xdd;
    }
    if (link === 2 && len > 0) frame[0] = (rnd(2) ? 0x40 : 0x60) | (frame[0] & 0x0f);
    return [len, link];
  }
  const s = seeds[rnd(seeds.length)];
  let len = s.data.length;
  frame.set(s.data);
  const flips = 1 + rnd(4);
  for (let k = 0; k < flips; k++) {
    const m = rnd(4);
    const at = rnd(Math.min(len, 80) || 1);
    if (m === 0) frame[at] = rnd(256);
    else if (m === 1) frame[at] ^= 1 << rnd(8);
    else if (m === 2) len = rnd(len + 1);
    else if (len + 8 < frame.length) {
      for (let i = 0; i < 8; i++) frame[len + i] = rnd(256);
      len += rnd(9);
    }
  }
  return [len, s.link];
}

t.test(`${TOTAL} fuzzed frames through parse and transforms`, async (t) => {
  // Three slots: the frame lives in slot 1; slots 0 and 2 hold canaries that must never change.
  const batches = { 1: createBatch(1, 3), 2: createBatch(2, 3) };
  const pv = new PacketView();
  const pv2 = new PacketView();
  let thrown = 0;
  let firstError = '';
  let outside = 0;
  let dependsOnOutside = 0;
  let unknownReason = 0;
  const parsedOk = { n: 0 };
  for (const b of Object.values(batches)) {
    b.buf.fill(0xa5, 0, b.slotSize);
    b.buf.fill(0x5a, 2 * b.slotSize);
  }
  for (let n = 0; n < TOTAL; n++) {
    const [len, link] = nextFrame();
    const b = batches[link];
    const base = b.slotSize;
    try {
      b.buf.fill(0xcc, base, 2 * base);
      const off = base + b.headroom;
      b.buf.set(frame.subarray(0, len), off);
      const r = parsePacket(pv, b.buf, off, len, link);
      if (DROP_REASONS[r] === undefined || (pv.anomaly && !DROP_REASONS[pv.anomaly])) unknownReason++;
      if (n % 10 === 0) {
        // Same frame, different bytes around it: the parse must come out identical.
        b.buf.fill(0x33, base, off);
        b.buf.fill(0x33, off + len, 2 * base);
        const r2 = parsePacket(pv2, b.buf, off, len, link);
        if (
          r2 !== r ||
          (r === 0 &&
            (pv2.sport !== pv.sport ||
              pv2.dport !== pv.dport ||
              pv2.protocol !== pv.protocol ||
              pv2.l3End !== pv.l3End ||
              pv2.icmpError !== pv.icmpError ||
              pv2.anomaly !== pv.anomaly ||
              (pv.icmpError && pv2.inner.sport !== pv.inner.sport)))
        ) {
          if (!dependsOnOutside) firstError += ` outside-dependence r=${r} r2=${r2} link=${link} frame=${Buffer.from(frame.subarray(0, len)).toString('hex')}`;
          dependsOnOutside++;
        }
      }
      if (r === 0 && pv.isIp) {
        parsedOk.n++;
        const v4 = pv.family === 4;
        verifyL4Checksum(pv, b.buf);
        const i = 1;
        switch (n % 8) {
          case 0:
            forwardDr(b, i, pv, E.rsMac, E.directorMac);
            break;
          case 1:
            natIn(b, i, pv, v4 ? E.rs4 : E.rs6, E.rport);
            frameEther(b, i, pv, E.rsMac, 0, E.directorMac, 0);
            break;
          case 2:
            if (decrementTtl(b, i, pv) === 0) natOut(b, i, pv, v4 ? E.vip4 : E.vip6, E.vport);
            break;
          case 3:
            natIcmpIn(b, i, pv, v4 ? E.rs4 : E.rs6, E.rport);
            break;
          case 4:
            natIcmpOut(b, i, pv, v4 ? E.vip4 : E.vip6, E.vport);
            break;
          case 5:
            if (tunEncap(b, i, pv, v4 ? E.local4 : E.local6, v4 ? E.rs4 : E.rs6, 68 + rnd(1500)) === 0) frameEther(b, i, pv, E.rsMac, 0, E.directorMac, 0);
            break;
          case 6:
            buildPortUnreachable(b, i, pv);
            break;
          case 7:
            buildFragNeeded(b, i, pv, 576 + rnd(1000));
            break;
        }
        // The output must itself parse without throwing and lie inside the slot.
        if (b.start[i] < base || b.start[i] + b.length[i] > 2 * base) outside++;
        parsePacket(pv2, b.buf, b.start[i], b.length[i], link);
      }
    } catch (e) {
      if (!thrown) firstError = `${(e as Error).stack} frame=${Buffer.from(frame.subarray(0, len)).toString('hex')}`;
      thrown++;
    }
    if (n % 4096 === 0) {
      for (const bb of Object.values(batches)) {
        for (let k = 0; k < bb.slotSize; k++)
          if (bb.buf[k] !== 0xa5 || bb.buf[2 * bb.slotSize + k] !== 0x5a) {
            outside++;
            break;
          }
      }
    }
  }
  t.equal(thrown, 0, `nothing throws ${firstError}`);
  t.equal(outside, 0, 'no write or output outside the slot');
  t.equal(dependsOnOutside, 0, 'parse never depends on bytes outside the frame');
  t.equal(unknownReason, 0, 'every reason is a named one');
  t.ok(parsedOk.n > TOTAL / 10, `a good share parsed and was transformed (${parsedOk.n})`);
});
