// Live packet sampling: off by default (nothing is copied), at most `rate` batches' first packets a second
// per worker, each sample the packet as it arrived plus the pipeline's verdict, the ring keeping the newest.
import t from 'tap';
import { createBatch, putFrame, LinkType, Verdict } from '../../src/core/batch.js';
import { createSampleBuffer, readSamples, sampleRate, setSampleRate, SAMPLE_SLOTS, PacketSampler } from '../../src/dataplane/packet-sampler.js';
import { makeBatchHandler, type WorkerPipeline } from '../../src/dataplane/worker.js';
import { buildFlowPacket } from '../../src/packet/flow-frame.js';

const frame = (sport: number) => buildFlowPacket({ proto: 17, src: '198.51.100.7', dst: '10.0.0.100', sport, dport: 53 });

/** A pipeline that rewrites byte 0 of every packet and transmits it, so "as it arrived" is visible. */
const pipeline: WorkerPipeline = {
  processBatch(b) {
    for (let i = 0; i < b.count; i++) {
      b.buf[b.start[i]!] = 0xee;
      b.verdict[i] = Verdict.Transmit;
      b.outIfindex[i] = 7;
    }
  },
  setSnapshot() {},
};

t.test('off by default; rate-limited per second; the packet before the pipeline, the verdict after', async (t) => {
  const buf = createSampleBuffer();
  const handle = makeBatchHandler(pipeline, new Float64Array(64), new PacketSampler(buf));
  const b = createBatch(LinkType.Ip, 4);
  const batch = (sport: number) => {
    putFrame(b, 0, frame(sport));
    putFrame(b, 1, frame(sport + 1));
    b.count = 2;
    handle(b);
  };
  batch(1000);
  t.equal(sampleRate(buf), 0);
  t.same(readSamples(buf), [], 'nothing sampled while off');
  setSampleRate(buf, 3);
  for (let i = 0; i < 10; i++) batch(2000 + i * 10);
  const s = readSamples(buf);
  t.equal(s.length, 3, 'at most 3 in the second');
  t.same(
    s.map((x) => x.seq),
    [1, 2, 3],
  );
  t.equal(s[0]!.frame[0], 0x45, 'the packet as it arrived (before the pipeline rewrote byte 0)');
  t.equal((s[0]!.frame[20]! << 8) | s[0]!.frame[21]!, 2000, 'the first packet of the batch');
  t.equal(s[0]!.verdict, Verdict.Transmit);
  t.equal(s[0]!.outIfindex, 7);
  setSampleRate(buf, 1000);
  t.equal(sampleRate(buf), 100, 'the rate is capped');
  setSampleRate(buf, 0);
  batch(3000);
  t.equal(readSamples(buf).length, 3, 'off again');
});

t.test('the ring keeps the newest samples', async (t) => {
  const buf = createSampleBuffer();
  setSampleRate(buf, 100);
  const b = createBatch(LinkType.Ip, 1);
  let now = 0;
  for (let i = 0; i < SAMPLE_SLOTS + 10; i++) {
    const sm = new PacketSampler(buf); // several workers share one ring
    putFrame(b, 0, frame(i));
    b.count = 1;
    now += 1;
    t.ok(sm.armed(now, b));
    sm.before(b, now);
    sm.after(b);
  }
  const s = readSamples(buf);
  t.equal(s.length, SAMPLE_SLOTS);
  t.equal(s[0]!.seq, 11);
  t.equal(s.at(-1)!.seq, SAMPLE_SLOTS + 10);
});
