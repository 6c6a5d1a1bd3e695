// The IPVS sync v1 codec: round trips of both families, templates, options and the forwarding method;
// byte layout against the kernel's struct offsets; every malformed datagram is dropped with a reason
// and decoding never throws (random mutations of valid messages).
import t from 'tap';
import {
  decodeSyncMessage,
  encodeSyncMessages,
  syncEntryBytes,
  syncMaxlenForMtu,
  SyncFlag,
  SyncFwd,
  SYNC_HEADER_BYTES,
  type SyncConn,
} from '../../src/sync/message.js';

const tcp4: SyncConn = {
  family: 4,
  protocol: 6,
  flags: SyncFwd.Masq,
  state: 1,
  cport: 40000,
  vport: 80,
  dport: 8080,
  fwmark: 0,
  timeoutS: 900,
  caddr: '10.0.0.5',
  vaddr: '192.0.2.10',
  daddr: '10.1.0.2',
};
const tpl6: SyncConn = {
  family: 6,
  protocol: 6,
  flags: SyncFwd.DRoute | SyncFlag.Template | SyncFlag.NoCport,
  state: 0,
  cport: 0,
  vport: 443,
  dport: 443,
  fwmark: 7,
  timeoutS: 300,
  caddr: '2001:db8::5',
  vaddr: '2001:db8:1::10',
  daddr: '2001:db8:2::2',
};
const udpTun: SyncConn = {
  family: 4,
  protocol: 17,
  flags: SyncFwd.Tunnel | SyncFlag.NoOutput,
  state: 0,
  cport: 5353,
  vport: 53,
  dport: 53,
  fwmark: 0x10,
  timeoutS: 300,
  caddr: '10.0.0.6',
  vaddr: '192.0.2.10',
  daddr: '10.1.0.3',
  seq: { in: { initSeq: 1, delta: 2, previousDelta: 3 }, out: { initSeq: 0xfffffff0, delta: 5, previousDelta: 6 } },
  peName: 'sip',
  peData: Uint8Array.from([1, 2, 3, 4, 5]),
};

t.test('round trip: IPv4, IPv6 template, options', async (t) => {
  const [m, ...rest] = encodeSyncMessages(9, [tcp4, tpl6, udpTun], 1472);
  t.equal(rest.length, 0, 'one datagram');
  t.equal(m!.length, SYNC_HEADER_BYTES + 36 + 72 + syncEntryBytes(udpTun));
  const r = decodeSyncMessage(m!);
  t.ok(r.ok);
  if (!r.ok) return;
  t.equal(r.syncid, 9);
  t.same(r.conns[0], tcp4);
  t.same(r.conns[1], tpl6);
  t.same({ ...r.conns[2], peData: [...r.conns[2]!.peData!] }, { ...udpTun, peData: [1, 2, 3, 4, 5] });
  t.equal(r.conns[1]!.flags & SyncFlag.FwdMask, SyncFwd.DRoute, 'forwarding method travels in the flags');
});

t.test('byte layout follows struct ip_vs_sync_mesg / ip_vs_sync_v4', async (t) => {
  const [m] = encodeSyncMessages(3, [tcp4], 1472);
  const hex = m!.toString('hex');
  t.equal(hex.slice(0, 16), '0003002c01010000', 'reserved 0, syncid 3, size 44, 1 conn, version 1, spare 0');
  t.equal(hex.slice(16, 24), '00060024', 'type 0 (IPv4), TCP, version 0 + size 36');
  t.equal(hex.slice(24, 32), '00000000', 'flags: MASQ');
  t.equal(hex.slice(32, 48), '00019c4000501f90', 'state ESTABLISHED, cport 40000, vport 80, dport 8080');
  t.equal(hex.slice(48, 64), '0000000000000384', 'fwmark 0, timeout 900 s');
  t.equal(hex.slice(64), '0a000005c000020a0a010002', 'caddr vaddr daddr');
  const [h] = encodeSyncMessages(0, [{ ...tcp4, flags: SyncFlag.Hashed | SyncFwd.DRoute }], 1472);
  t.equal(h!.readUInt32BE(12), SyncFwd.DRoute, 'HASHED is never sent');
});

t.test('splits by maxlen and by the 255-entry count', async (t) => {
  const many = Array.from({ length: 600 }, (_, i) => ({ ...tcp4, cport: 1000 + i }));
  const maxlen = syncMaxlenForMtu(1500);
  t.equal(maxlen, 1472);
  const ms = encodeSyncMessages(1, many, maxlen);
  for (const m of ms) t.ok(m.length <= maxlen, `datagram ${m.length} <= ${maxlen}`);
  const back = ms.flatMap((m) => {
    const r = decodeSyncMessage(m);
    return r.ok ? r.conns : [];
  });
  t.same(
    back.map((c) => c.cport),
    many.map((c) => c.cport),
    'every entry, in order',
  );
  const big = encodeSyncMessages(1, many, 65000);
  t.same(
    big.map((m) => m[4]),
    [255, 255, 90],
    'nr_conns is a u8',
  );
});

t.test('malformed datagrams are dropped with a reason', async (t) => {
  const [good] = encodeSyncMessages(5, [tcp4, udpTun], 1472);
  const mut = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(good!);
    f(b);
    return b;
  };
  const reason = (b: Uint8Array, syncid?: number) => {
    const r = decodeSyncMessage(b, { syncid });
    return r.ok ? 'ok' : r.reason;
  };
  t.equal(reason(new Uint8Array(2)), 'short');
  t.equal(reason(good!.subarray(0, 30)), 'size', 'truncated datagram: size field lies');
  t.equal(reason(mut((b) => b.writeUInt16BE(b.length + 4, 2))), 'size');
  t.equal(reason(good!, 6), 'syncid');
  t.equal(reason(good!, 5), 'ok');
  t.equal(
    reason(
      mut((b) => {
        b[5] = 0;
      }),
    ),
    'version',
    'version 0 header',
  );
  t.equal(
    reason(
      mut((b) => {
        b[0] = 2;
      }),
    ),
    'version',
    'reserved byte set (a version 0 message)',
  );
  t.equal(
    reason(
      mut((b) => {
        b[4] = 3;
      }),
    ),
    'truncated',
    'nr_conns larger than the entries',
  );
  t.equal(reason(mut((b) => b.writeUInt16BE(0x0fff, 10))), 'truncated', 'entry size past the datagram');
  t.equal(reason(mut((b) => b.writeUInt16BE(0x1024, 10))), 'entry-version');
  t.equal(
    reason(
      mut((b) => {
        b[8] = 4;
      }),
    ),
    'family',
  );
  t.equal(reason(mut((b) => b.writeUInt16BE(20, 10))), 'truncated', 'entry shorter than its fixed part');
  const opt = 8 + 36 + 36; // first option of the second entry
  t.equal(
    reason(
      mut((b) => {
        b[opt + 1] = 0;
      }),
    ),
    'option',
    'zero option length',
  );
  t.equal(
    reason(
      mut((b) => {
        b[opt + 1] = 23;
      }),
    ),
    'option',
    'sequence data of the wrong size',
  );
  t.equal(
    reason(
      mut((b) => {
        b[opt + 1] = 200;
      }),
    ),
    'option',
    'option past the entry',
  );
  t.equal(
    reason(
      mut((b) => {
        b[opt + 26] = 1;
      }),
    ),
    'option',
    'sequence data twice',
  );
  const skip = (b: Uint8Array) => {
    const r = decodeSyncMessage(b);
    return r.ok ? [r.conns.length, r.skipped] : r.reason;
  };
  t.same(
    skip(
      mut((b) => {
        b[9] = 47;
      }),
    ),
    [1, ['protocol']],
    'unsupported protocol drops one entry',
  );
  t.same(skip(mut((b) => b.writeUInt16BE(11, 16))), [1, ['state']], 'TCP state 11 drops one entry');
  t.same(
    skip(
      mut((b) => {
        b[opt + 26] = 9;
      }),
    ),
    [1, ['mandatory-option']],
    'unknown mandatory option',
  );
  t.same(
    skip(
      mut((b) => {
        b[opt + 26] = 9 | 0x40;
      }),
    ),
    [2, []],
    'unknown option marked skippable',
  );
});

t.test('random mutations never throw', async (t) => {
  const [good] = encodeSyncMessages(5, [tcp4, tpl6, udpTun], 1472);
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let ok = 0;
  let dropped = 0;
  for (let i = 0; i < 20000; i++) {
    const b = Buffer.from(good!.subarray(0, rnd(4) === 0 ? rnd(good!.length) : good!.length));
    for (let k = rnd(4) + 1; k > 0; k--) if (b.length) b[rnd(b.length)] = rnd(256);
    if (rnd(2) && b.length >= 4) b.writeUInt16BE(b.length, 2);
    const r = decodeSyncMessage(b);
    if (r.ok) ok++;
    else dropped++;
  }
  t.ok(ok > 0 && dropped > 0, `decoded ${ok}, dropped ${dropped}, no exception`);
});
