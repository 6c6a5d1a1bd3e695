// Issue 20 item 4: drop reasons 100 and up (conn-table-full, drop-packet-defence, internal-error) keep
// their names in the counters metrics and `ulvs director` read — one reason table, no 'reason-100'.
import t from 'tap';
import { createBatch, putFrame, LinkType } from '../../src/core/batch.js';
import { attachSharedState, createSharedState } from '../../src/table/shared-state.js';
import { SnapshotCompiler, loadSnapshot } from '../../src/dataplane/snapshot.js';
import { processBatch } from '../../src/dataplane/pipeline.js';
import { readPipelineStats } from '../../src/dataplane/stats.js';
import { DropReason, dropReasonName } from '../../src/packet/drop-reasons.js';
import { createMetricsRegistry } from '../../src/metrics/registry.js';
import { buildFlowPacket } from '../../src/packet/flow-frame.js';
import { svc, env } from '../table/harness.js';

t.test('a full table counts conn-table-full by name, end to end to /metrics', async (t) => {
  const buffers = createSharedState({ maxConns: 16, maxDests: 8, maxServices: 4, maxWorkers: 2, seed: 3 });
  const worker = attachSharedState(buffers, 1);
  const spec = new SnapshotCompiler(attachSharedState(buffers, 0)).compile(
    { services: [svc('tcp', '10.0.0.100', 80, 'rr', [{ address: '192.168.1.10' }])], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } },
    { ...env(), linkType: LinkType.Ether },
  );
  const snap = loadSnapshot(spec, worker);
  const b = createBatch(LinkType.Ether, 32);
  const ether = { dst: Uint8Array.from([2, 0, 0, 0, 0, 1]), src: Uint8Array.from([2, 0, 0, 0, 0, 0xee]) };
  const send = (packets: Array<[sport: number, flags: number]>, nowMs: number): void => {
    packets.forEach(([sport, flags], i) =>
      putFrame(b, i, buildFlowPacket({ proto: 6, src: '198.51.100.7', dst: '10.0.0.100', sport, dport: 80, tcpFlags: flags, ether })),
    );
    b.count = packets.length;
    processBatch(b, snap, worker, nowMs);
  };
  // Fill the table with established connections (drop_entry evicts only half-open ones), then more SYNs.
  for (let i = 0; i < 16; i++)
    send(
      [
        [30000 + i, 0x02],
        [30000 + i, 0x10],
      ],
      1000 + i,
    );
  send(
    Array.from({ length: 32 }, (_, i): [number, number] => [40000 + i, 0x02]),
    1100,
  );
  const st = readPipelineStats(buffers);
  t.ok(st.dropReasons[DropReason.TableFull]! > 0, 'some SYNs met a full table');
  t.ok(st.reasons['conn-table-full']! > 0, 'named conn-table-full');
  t.notOk(
    Object.keys(st.reasons).some((r) => /^(reason|unknown)-/.test(r)),
    `no numbered reasons (${Object.keys(st.reasons)})`,
  );
  for (const [code, name] of [
    [DropReason.TableFull, 'conn-table-full'],
    [DropReason.DefenceDrop, 'drop-packet-defence'],
    [DropReason.Internal, 'internal-error'],
  ] as const)
    t.equal(dropReasonName(code), name);
  const text = await createMetricsRegistry(
    {
      services: () => [],
      vrrp: () => [],
      health: () => [],
      dataPlane: () => ({ workers: [], dropsByReason: { 'conn-table-full': st.reasons['conn-table-full']! } }) as never,
      reloads: () => ({ ok: 0, failed: 0, lastSuccessTimestampS: 0 }),
    },
    { defaultMetrics: false },
  ).metrics();
  t.match(text, /reason="conn-table-full"/);
});
