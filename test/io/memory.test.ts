/**
 * The in-memory backend honours the batch contract the live backends do: frames land in slots at the
 * headroom, batches are at most `capacity` packets, verdicts/marks/rewritten bytes come back per packet
 * in order, oversize frames are dropped and counted, nothing arrives after close().
 */
import t from 'tap';
import { createBatch, LinkType, Verdict } from '../../src/core/batch.js';
import { MemoryIo } from '../../src/io/memory.js';
import { buildFilter, v6Words } from '../../src/io/bpf.js';

t.test('memory backend: batching, verdicts, rewrite, marks, oversize, close', (t) => {
  const b = createBatch(LinkType.Ip, 4, 256, 32);
  const io = new MemoryIo(b);
  const sizes: number[] = [];
  io.start((batch) => {
    sizes.push(batch.count);
    for (let i = 0; i < batch.count; i++) {
      t.equal(batch.start[i], i * batch.slotSize + batch.headroom, 'frame at the headroom of its slot');
      const s = batch.start[i];
      if (batch.buf[s] === 0x64) batch.verdict[i] = Verdict.Drop;
      else {
        batch.buf[s] -= 0x20; // upper-case the first letter
        batch.verdict[i] = Verdict.AcceptModified;
        batch.mark[i] = 0x42;
      }
    }
  });
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const res = io.inject([enc('abc'), enc('drop'), enc('xyz'), new Uint8Array(300), enc('q'), enc('r')]);
  t.same(sizes, [4, 1], 'six frames (one oversize) in batches of at most four');
  t.same(
    res.map((r) => r.verdict),
    [Verdict.AcceptModified, Verdict.Drop, Verdict.AcceptModified, Verdict.Drop, Verdict.AcceptModified, Verdict.AcceptModified],
  );
  t.equal(new TextDecoder().decode(res[0].bytes), 'Abc', 'rewritten bytes come back');
  t.equal(res[2].mark, 0x42, 'mark set by the handler');
  t.equal(io.stats[6], 1, 'oversize counted');
  t.equal(io.stats[0], 5, 'rx packets');
  io.close();
  t.same(io.inject([enc('late')]), [], 'nothing after close');
  t.end();
});

t.test('BPF filter builder', (t) => {
  const f = buildFilter({ dst: ['198.18.0.100', 'fd75:6c76::100'], src: ['198.18.0.21'] });
  t.equal(f.length % 8, 0, 'whole sock_filter instructions');
  const dv = new DataView(f.buffer);
  const ks = Array.from({ length: f.length / 8 }, (_, i) => dv.getUint32(i * 8 + 4, true));
  t.ok(ks.includes(0xc6120064), 'IPv4 VIP compared');
  t.ok(ks.includes(0xc6120015), 'NAT real server compared');
  t.ok(ks.includes(0x100), 'IPv6 VIP last word compared');
  t.same(v6Words('fd75:6c76::100'), [0xfd756c76, 0, 0, 0x100]);
  t.throws(() => buildFilter({ dst: ['300.1.1.1'], src: [] }), /not an IPv4 address/);
  t.end();
});
