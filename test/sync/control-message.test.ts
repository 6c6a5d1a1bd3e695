// ulvs's sync control datagrams (bulk request, bulk end, alive): round trip, what they look like to a
// kernel backup (a version 0 message with no entry), and malformed ones dropped with a reason.
import t from 'tap';
import { decodeSyncControl, encodeSyncControl, isSyncControl, SYNC_CONTROL_BYTES } from '../../src/sync/control-message.js';
import { decodeSyncMessage, encodeSyncMessages } from '../../src/sync/message.js';

t.test('round trip of each kind', async (t) => {
  for (const m of [
    { kind: 'bulk-request', nonce: 0xdeadbeef },
    { kind: 'bulk-end', nonce: 7, entries: 100_000 },
    { kind: 'alive', entries: 3 },
  ] as const) {
    const b = encodeSyncControl(5, m);
    t.equal(b.length, SYNC_CONTROL_BYTES);
    t.ok(isSyncControl(b), `${m.kind} is a control datagram`);
    t.same(decodeSyncControl(b, 5), { ok: true, syncid: 5, msg: m });
  }
});

t.test('a kernel backup applies nothing: reserved (its v0 nr_conns) is 0, spare is not 0', async (t) => {
  const b = encodeSyncControl(5, { kind: 'bulk-end', nonce: 1, entries: 9 });
  t.equal(b[0], 0, 'version 0 nr_conns = 0');
  t.equal(b.readUInt16BE(2), b.length, 'size matches the datagram, so it is not dropped as bogus either');
  t.not(b.readUInt16BE(6), 0, 'spare != 0: not taken for a version 1 message');
  t.notOk(isSyncControl(encodeSyncMessages(5, [], 1472)[0] ?? Buffer.alloc(8)), 'a plain version 1 header is no control datagram');
  t.match(decodeSyncMessage(b), { ok: false }, 'our version 1 decoder refuses it too');
});

t.test('malformed control datagrams', async (t) => {
  const b = encodeSyncControl(5, { kind: 'alive', entries: 1 });
  t.same(decodeSyncControl(b, 6), { ok: false, reason: 'syncid' });
  t.same(decodeSyncControl(b.subarray(0, 12), 5), { ok: false, reason: 'size' });
  const bad = Buffer.from(b);
  bad[8] = 9;
  t.same(decodeSyncControl(bad, 5), { ok: false, reason: 'control' });
  const lie = Buffer.from(b);
  lie.writeUInt16BE(24, 2);
  t.same(decodeSyncControl(lie, 5), { ok: false, reason: 'size' });
});
