// dh, sh, mh and the SipHash core. Expected values come from the kernel algorithms
// (ip_vs_dh.c, ip_vs_sh.c with hash_32, ip_vs_mh.c, lib/siphash.c) worked out independently of
// this code: a separate Python transcription of those C functions (hash_32, the 256-bucket fills,
// SipHash-1-3 hsiphash with mh's fixed keys, Maglev permutation/population) whose SipHash core was
// first checked against the published SipHash-2-4 vector below.
import t from 'tap';
import { ArrayDestView, createScheduler, makeFlow } from '../../src/sched/index.js';
import { hsiphashU32, siphash } from '../../src/sched/siphash.js';
import { MH_HASH1, type MhScheduler } from '../../src/sched/mh.js';
import { hash32 } from '../../src/sched/hash.js';
import type { Scheduler } from '../../src/sched/types.js';

const CLIENTS = [1, 2, 3, 4, 5, 77, 200, 254].map((i) => `203.0.113.${i}`);
const ip = (s: string): number => s.split('.').reduce((a, x) => a * 256 + Number(x), 0) >>> 0;

function picksFor(s: Scheduler, v: ArrayDestView, flows: ReturnType<typeof makeFlow>[]): string {
  return flows
    .map((f) => {
      const k = s.schedule(v, f, 0);
      return k < 0 ? '-' : v.dests[k]!.address.slice(-1) === '1' ? 'A' : v.dests[k]!.address.slice(-1) === '2' ? 'B' : 'C';
    })
    .join('');
}

t.test('SipHash core', async (t) => {
  // The reference SipHash-2-4 vector: key 00..0f, message 00..0e.
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const msg = Uint8Array.from({ length: 15 }, (_, i) => i);
  t.equal(siphash(key, msg), 0xa129ca6149be45e5n);
  // The kernel's 64-bit hsiphash (SipHash-1-3, truncated) with mh's hash1 key.
  t.equal(hsiphashU32(0, MH_HASH1), 0x1d5a77c2);
  t.equal(hsiphashU32((ip('192.168.10.1') + 80) >>> 0, MH_HASH1), 0x93997a7f);
  // hash_32(0x0a000001, 8) = (0x0a000001 * 0x61c88647 mod 2^32) >> 24 = 39.
  t.equal(hash32(0x0a000001, 8), 39);
});

t.test('dh: 256 buckets, one per dest per cycle, bucket from daddr', async (t) => {
  // list A B C (weights ignored): bucket b -> dest b % 3. hash_32 buckets: 10.0.0.1 -> 39 (A),
  // 10.0.0.2 -> 137 (C), 192.168.1.10 -> 248 (C).
  const v = ArrayDestView.inListOrder(['192.168.10.1', '192.168.10.2', '192.168.10.3'].map((a, i) => ({ address: a, port: 80, weight: i + 1 })));
  const s = createScheduler('dh');
  s.update(v, { kind: 'init' });
  const flows = ['10.0.0.1', '10.0.0.2', '192.168.1.10'].map((d) => makeFlow('203.0.113.1', 1000, d, 80));
  t.equal(picksFor(s, v, flows), 'ACC');
  v.dests[2]!.weight = 0; // C quiesced: no fallback in dh
  t.equal(picksFor(s, v, flows), 'A--');
  v.dests[0]!.overloaded = true;
  t.equal(picksFor(s, v, flows), '---');
});

t.test('sh: weighted fill, NULL or fallback, sh-port', async (t) => {
  // list A(w2) B(w1) C(w0): buckets A A B C A A B C ... (weight 0 still gets one bucket).
  const mk = (flags: string[]): { s: Scheduler; v: ArrayDestView } => {
    const v = ArrayDestView.inListOrder([
      { address: '192.168.10.1', port: 80, weight: 2 },
      { address: '192.168.10.2', port: 80, weight: 1 },
      { address: '192.168.10.3', port: 80, weight: 0 },
    ]);
    const s = createScheduler('sh', flags);
    s.update(v, { kind: 'init' });
    return { s, v };
  };
  const flows = CLIENTS.map((c) => makeFlow(c, 40000, '10.0.0.1', 80));
  // hash_32 buckets of the clients: 50 147 245 87 185 57 52 213 -> B C A C A A A A.
  const plain = mk([]);
  t.equal(picksFor(plain.s, plain.v, flows), 'B-A-AAAA', 'C (weight 0) gives NULL');
  // sh-fallback: probe (2*ihash + o) & 255 from o = 0: both C-clients land on B.
  const fb = mk(['sh-fallback']);
  t.equal(picksFor(fb.s, fb.v, flows), 'BBABAAAA');
  // sh-port, list A B C all weight 1, client 203.0.113.9, source ports 1000 1001 1002 1003 40000.
  const v = ArrayDestView.inListOrder(['192.168.10.1', '192.168.10.2', '192.168.10.3'].map((a) => ({ address: a, port: 80, weight: 1 })));
  const s = createScheduler('sh', ['sh-port']);
  s.update(v, { kind: 'init' });
  const portFlows = [1000, 1001, 1002, 1003, 40000].map((p) => makeFlow('203.0.113.9', p, '10.0.0.1', 80));
  t.equal(picksFor(s, v, portFlows), 'BACCA');
  // Without sh-port the port is ignored: all five go to one dest.
  const s2 = createScheduler('sh');
  s2.update(v, { kind: 'init' });
  t.equal(new Set(picksFor(s2, v, portFlows)).size, 1);
  // UDP has ports too; ICMP (protocol 1) hashes with port 0.
  t.equal(s.schedule(v, makeFlow('203.0.113.9', 1000, '10.0.0.1', 80, 17), 0), s.schedule(v, portFlows[0]!, 0));
});

t.test('mh: M = 4093 Maglev table matching the kernel', async (t) => {
  // -a A, -a B, -a C (192.168.10.1..3:80) -> list C B A.
  const build = (weights: [number, number, number]): { s: MhScheduler; v: ArrayDestView } => {
    const v = new ArrayDestView();
    const s = createScheduler('mh') as MhScheduler;
    s.update(v, { kind: 'init' });
    ['192.168.10.1', '192.168.10.2', '192.168.10.3'].forEach((a, i) => {
      s.update(v, { kind: 'add', index: v.add({ address: a, port: 80, weight: weights[i] }) });
    });
    return { s, v };
  };
  const flows = CLIENTS.map((c) => makeFlow(c, 40000, '10.0.0.1', 80));
  const counts = (s: MhScheduler, n: number): number[] => Array.from({ length: n }, (_, i) => s.table.filter((x) => x === i).length);

  const eq = build([1, 1, 1]);
  t.same(Array.from(eq.s.table.slice(0, 12)), [0, 2, 2, 1, 0, 0, 0, 1, 2, 1, 2, 2], 'first slots (0 = C, 1 = B, 2 = A)');
  t.same(counts(eq.s, 3), [1365, 1364, 1364]);
  t.equal(picksFor(eq.s, eq.v, flows), 'CBACABAC');

  // Weights A3 B2 C1 -> turns 3/2/1 per round.
  const w = build([3, 2, 1]);
  t.same(counts(w.s, 3), [683, 1364, 2046]);
  t.equal(picksFor(w.s, w.v, flows), 'BBACABAC');

  // -e B -w 0: last_weight stays 2, the table is unchanged; B's clients see NULL or fall back.
  const bi = w.v.indexOf('192.168.10.2');
  w.v.setWeight(bi, 0);
  w.s.update(w.v, { kind: 'edit', index: bi });
  t.same(counts(w.s, 3), [683, 1364, 2046], 'weight 0 keeps its slots');
  t.equal(picksFor(w.s, w.v, flows), '--ACA-AC');
  const fb = createScheduler('mh', ['mh-fallback']);
  fb.update(w.v, { kind: 'init' });
  t.equal(picksFor(fb, w.v, flows), 'ACACAAAC', 'mh-fallback rehashes with offsets');

  // -d B: rebuilt from list C(1) A(3).
  w.v.remove(bi);
  w.s.update(w.v, { kind: 'del', index: bi });
  t.same(counts(w.s, 2), [1024, 3069]);
  t.equal(picksFor(w.s, w.v, flows), 'CAACAAAC');

  // mh-port on the equal-weight table: client 203.0.113.9, ports 1000 1001 1002 1003 40000.
  const p = createScheduler('mh', ['mh-port']);
  p.update(eq.v, { kind: 'init' });
  t.equal(
    picksFor(
      p,
      eq.v,
      [1000, 1001, 1002, 1003, 40000].map((x) => makeFlow('203.0.113.9', x, '10.0.0.1', 80)),
    ),
    'AACBC',
  );

  // Large weights: gcd 1000, max/gcd 100, fls(100) = 7 -> rshift 1: turns 1 (0 -> 1), 1, 50.
  const big = build([100000, 3000, 1000]);
  t.same(counts(big.s, 3), [79, 79, 3935]);
});

t.test('IPv6: addresses fold to the XOR of their four words', async (t) => {
  // -a [2001:db8::10]:443, ::11, ::12 -> list ::12 ::11 ::10 (names C B A below: 2 -> C, 1 -> B, 0 -> A).
  const v = new ArrayDestView();
  const mh = createScheduler('mh');
  const sh = createScheduler('sh');
  const dh = createScheduler('dh');
  for (const s of [mh, sh, dh]) s.update(v, { kind: 'init' });
  for (const a of ['2001:db8::10', '2001:db8::11', '2001:db8::12']) {
    const index = v.add({ address: a, port: 443, weight: 1 });
    for (const s of [mh, sh, dh]) s.update(v, { kind: 'add', index });
  }
  const name = (k: number): string =>
    k < 0 ? '-' : ({ '2001:db8::12': 'C', '2001:db8::11': 'B', '2001:db8::10': 'A' } as Record<string, string>)[v.dests[k]!.address]!;
  const clients = [1, 2, 3, 0xa, 0xbeef, 0x1234].map((i) => `2001:db8:ffff::${i.toString(16)}`);
  // list index 0 = C, 1 = B, 2 = A; expected indexes from the independent transcription:
  // mh [0 0 2 2 1 1], sh [2 2 1 0 0 0]; dh keys on the destination address, here the same clients.
  t.equal(clients.map((c) => name(mh.schedule(v, makeFlow(c, 1000, '2001:db8::1', 443), 0))).join(''), 'CCAABB');
  t.equal(clients.map((c) => name(sh.schedule(v, makeFlow(c, 1000, '2001:db8::1', 443), 0))).join(''), 'AABCCC');
  t.equal(clients.map((c) => name(dh.schedule(v, makeFlow('2001:db8::1', 1000, c, 443), 0))).join(''), 'AABCCC');
});
