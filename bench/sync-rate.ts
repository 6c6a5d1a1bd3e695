// Connection sync throughput: a master with N live connections sends its whole table (as for a bulk
// request) over a real UDP socket on loopback to a backup that decodes and installs every entry into its
// own table. Prints entries/s from the first datagram to the last installed, entries lost, datagrams and
// bytes on the wire per connection. One process, the real ConnSync on both ends (pacing, token bucket).
//   node --import @tapjs/typescript/import bench/sync-rate.ts [N=100000]
import dgram from 'node:dgram';
import { ConnSync, type SyncTablePort } from '../src/control/conn-sync.js';
import { fwmarkOfSlot, resolveSyncSlots } from '../src/control/sync-slots.js';
import { scanSync, SyncCore } from '../src/table/conn-sync.js';
import { defaultCoreConfig } from '../src/table/shared-state.js';
import { ACK, Harness, SYN, svc } from '../test/table/harness.js';

const N = Number(process.argv[2] ?? 100_000);
const rs = [
  { address: '192.168.1.10', forward: 'nat' as const },
  { address: '192.168.1.11', forward: 'nat' as const },
];

function port(h: Harness): SyncTablePort {
  const core = new SyncCore(h.state.conns, h.state.stats, defaultCoreConfig());
  return {
    scanSync: (now, fn) => scanSync(h.state.conns, now, (s) => fn(s, fwmarkOfSlot(h.snap.spec, s.svcSlot))),
    installSync: (s, fwmark, now) => {
      const r = resolveSyncSlots(h.snap.spec, s, fwmark);
      return r === 'ok' ? core.install(s, now) : r;
    },
  };
}

const a = new Harness({ maxConns: 1 << 18 });
const b = new Harness({ maxConns: 1 << 18 });
a.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
b.load([svc('tcp', '192.0.2.10', 80, 'rr', rs)]);
const now = Date.now();
for (let i = 0; i < N; i++) {
  const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  a.inp(6, client, 1024 + (i % 60000), '192.0.2.10', 80, SYN, now);
  a.inp(6, client, 1024 + (i % 60000), '192.0.2.10', 80, ACK, now);
  a.inp(6, client, 1024 + (i % 60000), '192.0.2.10', 80, ACK, now);
}

const rx = dgram.createSocket('udp4');
await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
try {
  rx.setRecvBufferSize(4 << 20);
} catch {
  /* default */
}
const tx = dgram.createSocket('udp4');
let wireBytes = 0;
let first = 0;
let last = 0;
const backup = await ConnSync.start({ state: 'backup', mcastInterface: 'lo', syncId: 1, bulk: false, transport: { send: () => {} } }, port(b));
rx.on('message', (m) => {
  if (!first) first = performance.now();
  backup.receive(m, Date.now());
  last = performance.now();
});
const master = await ConnSync.start(
  {
    state: 'master',
    mcastInterface: 'lo',
    syncId: 1,
    periodMs: 0,
    transport: {
      send: (m) => {
        wireBytes += m.length + 28;
        tx.send(m, rx.address().port, '127.0.0.1');
      },
    },
  },
  port(a),
);
const t0 = performance.now();
const sent = master.scan(Date.now(), true);
const scanMs = performance.now() - t0;
for (let idle = 0; idle < 10; ) {
  const before = backup.counters.entriesReceived;
  await new Promise((r) => setTimeout(r, 100));
  idle = backup.counters.entriesReceived === before ? idle + 1 : 0;
}
const c = backup.counters;
const secs = (last - t0) / 1000;
console.log(
  JSON.stringify({
    connections: N,
    sent,
    datagrams: master.counters.messagesSent,
    received: c.entriesReceived,
    installed: c.installedNew,
    lost: sent - c.entriesReceived,
    drops: c.drops,
    scanMs: Math.round(scanMs),
    seconds: Number(secs.toFixed(3)),
    entriesPerS: Math.round(c.installedNew / secs),
    wireBytesPerConn: Number((wireBytes / sent).toFixed(1)),
  }),
);
master.stop();
backup.stop();
rx.close();
tx.close();
