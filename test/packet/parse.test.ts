// Parser edge cases beyond the fixture table: bare-IP link type, QinQ, offsets at the end of the
// buffer, lengths that lie, ARP fields, PacketView as a FlowKey.
import t from 'tap';
import { PacketView } from '../../src/packet/packet-view.js';
import { parsePacket } from '../../src/packet/parse.js';
import { DropReason, DROP_REASONS, DROP_REASON_LIST, dropReasonName } from '../../src/packet/drop-reasons.js';
import { PACKET_CASES } from '../fixtures/packets/cases.js';
import type { FlowKey } from '../../src/sched/types.js';

const syn = PACKET_CASES.find((c) => c.name === 'parse tcp v4 SYN')!.input;
const pv = new PacketView();

t.test('the same packet as Ethernet frame and as bare IP', async (t) => {
  t.equal(parsePacket(pv, syn, 0, syn.length, 1), 0);
  const key: FlowKey = pv;
  t.equal(key.family, 4);
  t.equal(pv.l2Off, 0);
  t.equal(pv.l3Off, 14);
  const ip = syn.subarray(14);
  t.equal(parsePacket(pv, ip, 0, ip.length, 2), 0);
  t.equal(pv.l2Off, -1);
  t.equal(pv.l3Off, 0);
  t.equal(pv.sport, 40000);
  t.equal(pv.dport, 80);
  t.equal(pv.tcpFlags, 2);
  t.equal(pv.l3End, ip.length);
});

t.test('802.1Q and QinQ tags', async (t) => {
  const tagged = new Uint8Array(syn.length + 8);
  tagged.set(syn.subarray(0, 12));
  tagged.set([0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x2a], 12);
  tagged.set(syn.subarray(12), 20);
  t.equal(parsePacket(pv, tagged, 0, tagged.length, 1), 0);
  t.equal(pv.vlanTci, 100, 'outer tag kept');
  t.equal(pv.l3Off, 22);
  t.equal(pv.dport, 80);
});

t.test('bounds: slices at the end of the buffer, negative and oversized lengths', async (t) => {
  const buf = new Uint8Array(200);
  buf.set(syn, 200 - syn.length);
  t.equal(parsePacket(pv, buf, 200 - syn.length, syn.length, 1), 0);
  t.equal(parsePacket(pv, buf, 200 - syn.length, syn.length + 1, 1), DropReason.EthTruncated, 'length past the buffer');
  t.equal(parsePacket(pv, buf, 0, -1, 1), DropReason.EthTruncated);
  t.equal(parsePacket(pv, buf, 0, 0, 2), DropReason.Ipv4Truncated);
  for (let len = 0; len < syn.length; len++) t.not(parsePacket(pv, syn, 0, len, 1), 0, `truncated to ${len} bytes is refused`);
});

t.test('Ethernet padding after a short IP packet is ignored', async (t) => {
  const padded = new Uint8Array(syn.length + 30);
  padded.set(syn);
  t.equal(parsePacket(pv, padded, 0, padded.length, 1), 0);
  t.equal(pv.l3End, syn.length);
});

t.test('ARP request fields', async (t) => {
  const arp = PACKET_CASES.find((c) => c.name === 'parse arp request')!.input;
  t.equal(parsePacket(pv, arp, 0, arp.length, 1), 0);
  t.notOk(pv.isIp);
  t.equal(pv.arpOp, 1);
  t.equal(pv.arpSpa, 0xc633640a);
  t.equal(pv.arpTpa, 0xc0000201);
});

t.test('reason table: unique names and codes, every code named', async (t) => {
  const names = new Set(DROP_REASON_LIST.map((r) => r.name));
  t.equal(names.size, DROP_REASON_LIST.length, 'names unique');
  for (const code of Object.values(DropReason)) t.ok(DROP_REASONS[code], `code ${code} (${dropReasonName(code)}) in the table`);
  t.equal(dropReasonName(999), 'unknown-999');
});
