// ICMP replies the director builds: never about an ICMP error, NoHeadroom instead of writing outside
// the slot, and the quote cut at 576 (v4) / 1280 (v6) bytes.
import t from 'tap';
import { createBatch, frameOf } from '../../src/core/batch.js';
import { PacketView } from '../../src/packet/packet-view.js';
import { parsePacket } from '../../src/packet/parse.js';
import { DropReason } from '../../src/packet/drop-reasons.js';
import { buildFragNeeded, buildPortUnreachable } from '../../src/forward/icmp-reply.js';
import { PACKET_CASES } from '../fixtures/packets/cases.js';

const byName = (n: string): Uint8Array => PACKET_CASES.find((c) => c.name === n)!.input;
const pv = new PacketView();

function load(frame: Uint8Array, headroom = 128): ReturnType<typeof createBatch> {
  const b = createBatch(1, 1, 2048, headroom);
  b.buf.set(frame, headroom);
  b.start[0] = headroom;
  b.length[0] = frame.length;
  t.equal(parsePacket(pv, b.buf, b.start[0], b.length[0], 1), 0, 'input parses');
  return b;
}

t.test('no ICMP error about an ICMP error', async (t) => {
  for (const n of ['dr icmp v4 error forwarded, TTL - 1', 'dr icmpv6 error forwarded, hop limit - 1']) {
    const frame = byName(n);
    const b = load(frame);
    t.equal(buildPortUnreachable(b, 0, pv), DropReason.NotForwardable, n);
    t.same(Buffer.from(frameOf(b, 0)), Buffer.from(frame), 'slot untouched');
  }
});

t.test('not enough headroom: refused, nothing written before the slot', async (t) => {
  const frame = byName('port-unreachable udp v4');
  const b = load(frame, 20);
  t.equal(buildPortUnreachable(b, 0, pv), DropReason.NoHeadroom);
  t.same(Buffer.from(frameOf(b, 0)), Buffer.from(frame));
});

t.test('quote limits', async (t) => {
  const v4 = byName('tun tcp v4 1500 bytes DF: frag-needed mtu 1480');
  let b = load(v4);
  t.equal(buildFragNeeded(b, 0, pv, 1480), 0);
  t.equal(b.length[0], 14 + 576, 'IPv4 reply is 576 bytes');
  const v6 = byName('tun tcp v6 1500 bytes: packet-too-big mtu 1460');
  b = load(v6);
  t.equal(buildFragNeeded(b, 0, pv, 1000), 0);
  t.equal(b.length[0], 14 + 1280, 'IPv6 reply is 1280 bytes');
  const f = frameOf(b, 0);
  t.equal(((f[14 + 40 + 4]! << 24) | (f[14 + 40 + 5]! << 16) | (f[14 + 40 + 6]! << 8) | f[14 + 40 + 7]!) >>> 0, 1280, 'PTB MTU never below 1280');
});
