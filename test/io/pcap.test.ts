// pcap reader/writer: round trip, both byte orders, µs/ns magic, raw-IP link types, streaming across
// chunk boundaries, and one clear error per kind of broken file.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBatch, frameOf } from '../../src/core/batch.js';
import { PcapError, PcapReader, PcapWriter, readPcapFile, writePcapFile } from '../../src/io/pcap.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-pcap-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function header(le: boolean, magic: number, linkType: number): Buffer {
  const h = Buffer.alloc(24);
  const w32 = (v: number, o: number): number => (le ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o));
  const w16 = (v: number, o: number): number => (le ? h.writeUInt16LE(v, o) : h.writeUInt16BE(v, o));
  w32(magic, 0);
  w16(2, 4);
  w16(4, 6);
  w32(65535, 16);
  w32(linkType, 20);
  return h;
}
function record(le: boolean, sec: number, frac: number, data: Buffer): Buffer {
  const h = Buffer.alloc(16);
  const w32 = (v: number, o: number): number => (le ? h.writeUInt32LE(v, o) : h.writeUInt32BE(v, o));
  w32(sec, 0);
  w32(frac, 4);
  w32(data.length, 8);
  w32(data.length, 12);
  return Buffer.concat([h, data]);
}

t.test('round trip through writer and streaming reader', async (t) => {
  const file = join(dir, 'rt.pcap');
  const recs = Array.from({ length: 12000 }, (_, k) => ({
    timeMs: 1_700_000_000_000 + k * 1.5,
    data: Uint8Array.from({ length: 60 + (k % 90) }, (_, j) => (j + k) & 255),
  }));
  writePcapFile(file, 1, recs);
  const r = await PcapReader.open(file);
  t.equal(r.batchLinkType, 1);
  const b = createBatch(1, 256);
  let k = 0;
  let ok = true;
  for (let n = await r.readBatch(b); n > 0; n = await r.readBatch(b)) {
    for (let i = 0; i < n; i++, k++) {
      if (Buffer.compare(Buffer.from(frameOf(b, i)), Buffer.from(recs[k].data)) !== 0 || Math.abs(b.timeMs[i] - recs[k].timeMs) > 0.001 || b.id[i] !== k + 1)
        ok = false;
    }
  }
  await r.close();
  t.equal(k, recs.length, 'all records read');
  t.ok(ok, 'bytes, timestamps and record numbers match');
});

for (const le of [true, false]) {
  for (const [magic, nanos] of [
    [0xa1b2c3d4, false],
    [0xa1b23c4d, true],
  ] as const) {
    t.test(`${le ? 'little' : 'big'}-endian ${nanos ? 'ns' : 'µs'} file, raw IPv4 link type 228`, async (t) => {
      const file = join(dir, `x-${le}-${nanos}.pcap`);
      const pkt = Buffer.from('4500001c00000000400100000a0000010a000002', 'hex');
      writeFileSync(file, Buffer.concat([header(le, magic, 228), record(le, 10, nanos ? 500_000_000 : 500_000, pkt)]));
      const r = await PcapReader.open(file);
      t.equal(r.batchLinkType, 2, 'bare IP batches');
      const b = createBatch(2, 4);
      t.equal(await r.readBatch(b), 1);
      t.equal(b.timeMs[0], 10_500);
      t.same(Buffer.from(frameOf(b, 0)), pkt);
      t.equal(await r.readBatch(b), 0, 'end of file');
      await r.close();
      t.equal(readPcapFile(file).records[0].timeMs, 10_500, 'whole-file reader agrees');
    });
  }
}

t.test('broken files give one clear error naming the file', async (t) => {
  const cases: Array<[string, Buffer | null, RegExp]> = [
    ['missing.pcap', null, /missing\.pcap: no such file/],
    ['short.pcap', Buffer.from('abc'), /not a pcap file \(only 3 bytes/],
    ['text.pcap', Buffer.from('this is not a capture file at all!'), /not a pcap file \(magic 0x74686973/],
    ['ng.pcap', Buffer.concat([Buffer.from('0a0d0d0a', 'hex'), Buffer.alloc(28)]), /pcapng is not supported/],
    ['lt.pcap', header(true, 0xa1b2c3d4, 105), /unsupported link type 105/],
    ['trunc-hdr.pcap', Buffer.concat([header(true, 0xa1b2c3d4, 1), Buffer.alloc(7)]), /truncated record header at byte 24/],
    [
      'trunc-rec.pcap',
      Buffer.concat([header(true, 0xa1b2c3d4, 1), record(true, 1, 0, Buffer.alloc(60)).subarray(0, 40)]),
      /truncated record 1 at byte 24: 60 bytes announced/,
    ],
    [
      'huge.pcap',
      Buffer.concat([header(true, 0xa1b2c3d4, 1), Buffer.from('01000000000000000000ff7f00000000', 'hex')]),
      /corrupt record 1 at byte 24: captured length/,
    ],
  ];
  for (const [name, data, re] of cases) {
    const file = join(dir, name);
    if (data) writeFileSync(file, data);
    await t.rejects(
      async () => {
        const r = await PcapReader.open(file);
        try {
          await r.readBatch(createBatch(1, 8));
        } finally {
          await r.close();
        }
      },
      re,
      `${name} (streaming reader)`,
    );
    t.throws(() => readPcapFile(file), re, `${name} (whole-file reader)`);
    try {
      readPcapFile(file);
    } catch (e) {
      t.ok(e instanceof PcapError, `${name}: PcapError`);
    }
  }
});

t.test('records longer than a slot are cut and counted', async (t) => {
  const file = join(dir, 'long.pcap');
  const w = PcapWriter.create(file, 1);
  const big = new Uint8Array(3000).fill(7);
  w.write(big, 0, big.length, 0);
  w.close();
  const r = await PcapReader.open(file);
  const b = createBatch(1, 2, 2048, 128);
  t.equal(await r.readBatch(b), 1);
  t.equal(b.length[0], 2048 - 128);
  t.equal(r.truncatedRecords, 1);
  await r.close();
});
