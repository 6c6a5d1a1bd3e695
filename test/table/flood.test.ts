// Flood defence: 1 M SYNs from random sources against a bounded table keep the table within its bound
// and evict no established (busy) connection; drop_entry removes half-open entries to make room.
import t from 'tap';
import { Harness, svc, SYN, ACK } from './harness.js';
import { ConnStatus } from '../../src/table/ipvs-core.js';

t.test('1 M random SYNs: bounded, established flows intact, new clients still served', async (t) => {
  const MAX = 65_536;
  const h = new Harness({ maxConns: MAX });
  h.load([svc('tcp', '10.0.0.100', 80, 'wlc', [{ address: '192.168.1.10' }, { address: '192.168.1.11' }])]);
  const entriesBytes = h.buffers.conns.entries.byteLength;
  const ESTAB = 5000;
  let now = 1_000;
  for (let i = 0; i < ESTAB; i++) {
    const client = `172.16.${i >> 8}.${i & 255}`;
    h.inp(6, client, 40_000, '10.0.0.100', 80, SYN, now);
    for (let p = 0; p < 10; p++) h.inp(6, client, 40_000, '10.0.0.100', 80, ACK, now);
  }
  let seed = 42;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const k = h.k;
  const core = h.state.core;
  let full = 0;
  let created = 0;
  for (let i = 0; i < 1_000_000; i++) {
    now += 0.02; // 1 M SYNs in 20 s: nothing times out on its own
    if ((i & 63) === 0) core.beginBatch(now, 128);
    k.setV4(6, rnd() | 0, rnd() & 0xffff, 0x0a000064, 80);
    const st = core.inPacket(k, SYN, 60, 0, now, h.snap, h.r);
    if (st === ConnStatus.TableFull) full++;
    else if (st === ConnStatus.Hit) created++;
  }
  const live = h.state.conns.liveCount();
  t.ok(live <= MAX, `live ${live} <= ${MAX}`);
  t.equal(h.buffers.conns.entries.byteLength, entriesBytes, 'no growth: memory is the preallocated bound');
  t.ok(created > 900_000, `most SYNs got an entry by evicting half-open ones (${created}, ${full} refused)`);
  let intact = 0;
  for (let i = 0; i < ESTAB; i++) {
    const client = `172.16.${i >> 8}.${i & 255}`;
    const st = h.inp(6, client, 40_000, '10.0.0.100', 80, ACK, now);
    if (st === ConnStatus.Hit && !h.r.created && h.r.state === 1) intact++;
  }
  t.equal(intact, ESTAB, 'every established connection survived');
  t.equal(h.inp(6, '198.51.100.7', 1234, '10.0.0.100', 80, SYN, now), ConnStatus.Hit, 'a new client is served');
  const [a1, i1] = h.counts('192.168.1.10');
  const [a2, i2] = h.counts('192.168.1.11');
  t.equal(a1 + i1 + a2 + i2, h.state.conns.liveCount(), 'dest counters match the live entries');
});
