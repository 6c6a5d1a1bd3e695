// Fuzz through the whole pipeline (processBatch with DR, NAT and TUN services on the fixture
// addresses): random and mutated frames in batches; nothing throws out of processBatch, no packet ends
// as an internal error (the pipeline's catch-all), every reason is named, outputs stay in their slot.
import t from 'tap';
import { createBatch, Verdict } from '../../src/core/batch.js';
import { processBatch } from '../../src/dataplane/pipeline.js';
import { DropReason, dropReasonName as reasonName } from '../../src/packet/drop-reasons.js';
import { SnapshotCompiler, loadSnapshot } from '../../src/dataplane/snapshot.js';
import { createSharedState, attachSharedState } from '../../src/table/shared-state.js';
import { parseRulesText } from '../../src/ipvs/rules-text.js';
import { PACKET_CASES } from '../fixtures/packets/cases.js';

const TOTAL = Number(process.env.ULVS_PIPELINE_FUZZ_FRAMES ?? 1_000_000);
const RULES = `
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 10.0.0.11:8080 -m -w 1
-a -t 192.0.2.1:80 -r 10.0.0.12:80 -g -w 1
-a -t 192.0.2.1:80 -r 10.0.0.13:80 -i -w 1
-A -u 192.0.2.1:80 -s wlc
-a -u 192.0.2.1:80 -r 10.0.0.11:8080 -m -w 1
-A -t [2001:db8::1]:80 -s sh
-a -t [2001:db8::1]:80 -r [2001:db8:1::11]:8080 -m -w 1
-a -t [2001:db8::1]:80 -r [2001:db8:1::12]:80 -i -w 1
-A -u [2001:db8::1]:80 -s rr -p 60
-a -u [2001:db8::1]:80 -r [2001:db8:1::11]:8080 -m -w 1
`;

t.test(`${TOTAL} fuzzed frames through processBatch`, async (t) => {
  const rules = parseRulesText(RULES, 'fuzz.rules');
  const shared = createSharedState({ maxConns: 65536, maxWorkers: 2, seed: 7 });
  const state = attachSharedState(shared, 0);
  const env = {
    linkType: 1 as const,
    interfaces: [{ ifindex: 1, mac: '02:00:00:00:00:02', mtu: 1500, addresses: ['192.0.2.2/24', '2001:db8::2/64'] }],
    routes: [
      { prefix: '0.0.0.0', prefixLen: 0, ifindex: 1 },
      { prefix: '::', prefixLen: 0, ifindex: 1 },
    ],
    // The real servers' MACs, as the director's active resolution would have them (an unresolved next hop
    // is a counted drop, never a placeholder MAC).
    neighbours: Object.fromEntries(['10.0.0.11', '10.0.0.12', '10.0.0.13', '2001:db8:1::11', '2001:db8:1::12'].map((a, i) => [a, `02:00:00:00:01:0${i + 1}`])),
  };
  const snap = loadSnapshot(new SnapshotCompiler(attachSharedState(shared, 1)).compile(rules, env), state);
  const ipEnv = { ...env, linkType: 2 as const };
  const snapIp = loadSnapshot(new SnapshotCompiler(attachSharedState(shared, 1)).compile(rules, ipEnv), state);
  let seed = 0x9e3779b9;
  const rnd = (n: number): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const seeds = PACKET_CASES.map((c) => c);
  const batches = { 1: createBatch(1, 64), 2: createBatch(2, 64) };
  let thrown = 0;
  let internal = 0;
  let unnamed = 0;
  let outside = 0;
  let transmitted = 0;
  let first = '';
  let nowMs = 1_000_000;
  for (let done = 0; done < TOTAL; ) {
    const link = (rnd(4) === 0 ? 2 : 1) as 1 | 2;
    const b = batches[link];
    const n = Math.min(b.capacity, TOTAL - done);
    for (let i = 0; i < n; i++) {
      const off = i * b.slotSize + b.headroom;
      let len: number;
      const s = seeds[rnd(seeds.length)]!;
      if (rnd(8) === 0 || s.linkType !== link) {
        len = rnd(120);
        for (let k = 0; k < len; k++) b.buf[off + k] = rnd(256);
        if (link === 1 && len >= 14) {
          b.buf[off + 12] = rnd(2) ? 0x08 : 0x86;
          b.buf[off + 13] = b.buf[off + 12] === 0x08 ? 0 : 0xdd;
        }
        if (link === 2 && len > 0) b.buf[off] = rnd(2) ? 0x45 : 0x60;
      } else {
        len = s.input.length;
        b.buf.set(s.input, off);
        const flips = rnd(4);
        for (let k = 0; k < flips; k++) {
          const at = rnd(Math.min(len, 70) || 1);
          if (rnd(3) === 0) len = Math.max(0, len - rnd(20));
          else b.buf[off + at] = rnd(256);
        }
      }
      b.start[i] = off;
      b.length[i] = len;
      b.timeMs[i] = 0;
      b.mark[i] = rnd(4) === 0 ? rnd(3) : 0;
      b.ifindex[i] = 1;
    }
    b.count = n;
    nowMs += rnd(5000);
    try {
      processBatch(b, link === 1 ? snap : snapIp, state, nowMs);
    } catch (e) {
      if (!thrown) first = String((e as Error).stack);
      thrown++;
    }
    for (let i = 0; i < n; i++) {
      const r = b.reason[i]!;
      if (r === DropReason.Internal) internal++;
      if (reasonName(r).startsWith('unknown-')) unnamed++;
      if (b.verdict[i] === Verdict.Transmit) transmitted++;
      if (b.start[i]! < i * b.slotSize || b.start[i]! + b.length[i]! > (i + 1) * b.slotSize) outside++;
    }
    done += n;
  }
  t.equal(thrown, 0, `processBatch never throws ${first}`);
  t.equal(internal, 0, 'no packet ended in the internal-error catch-all');
  t.equal(unnamed, 0, 'every reason is named');
  t.equal(outside, 0, 'every output lies in its slot');
  t.ok(transmitted > 0, `some packets were forwarded (${transmitted})`);
});
