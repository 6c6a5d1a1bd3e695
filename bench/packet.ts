/**
 * Micro-benchmark of the packet codec and forwarding transforms on one core: ns/packet and Mpps for
 * parse and each transform on 64-byte TCP frames (Ethernet 14 + IPv4 20 + TCP 20 + 10 payload) in
 * batches of 256, plus the scapy fixture table replayed case by case.
 * Run: node --import @tapjs/typescript/import bench/packet.ts   (see bench/packet.md)
 */
import { cpus, loadavg } from 'node:os';
import { createBatch, type PacketBatch } from '../src/core/batch.js';
import { fillIpv4Checksum, checksum, wr16, wr32 } from '../src/packet/checksum.js';
import { PacketView } from '../src/packet/packet-view.js';
import { parsePacket, verifyL4Checksum } from '../src/packet/parse.js';
import { forwardDr } from '../src/forward/dr.js';
import { frameEther } from '../src/forward/l2.js';
import { natIn, natOut } from '../src/forward/nat.js';
import { tunEncap } from '../src/forward/tun.js';
import { FIXTURE_ENV as E, PACKET_CASES, runCase } from '../test/fixtures/packets/cases.js';

const BATCH = 256;
const ROUNDS = Number(process.env.ULVS_BENCH_ROUNDS ?? 40000); // 256 * 40000 = 10.24 M packets per row

/** Writes a 64-byte Ethernet/IPv4/TCP ACK frame client:port -> dst:80 into slot i. */
function put64(b: PacketBatch, i: number, src: number, dst: number, sport: number, dport: number): void {
  const o = i * b.slotSize + b.headroom;
  const f = b.buf;
  f.fill(0, o, o + 64);
  for (let k = 0; k < 6; k++) {
    f[o + k] = E.directorMac[k];
    f[o + 6 + k] = E.routerMac[k];
  }
  f[o + 12] = 0x08;
  const ip = o + 14;
  f[ip] = 0x45;
  wr16(f, ip + 2, 50);
  wr16(f, ip + 4, i);
  f[ip + 6] = 0x40;
  f[ip + 8] = 64;
  f[ip + 9] = 6;
  wr32(f, ip + 12, src);
  wr32(f, ip + 16, dst);
  fillIpv4Checksum(f, ip);
  const tcp = ip + 20;
  wr16(f, tcp, sport);
  wr16(f, tcp + 2, dport);
  wr32(f, tcp + 4, 1000 + i);
  wr32(f, tcp + 8, 2000);
  f[tcp + 12] = 0x50;
  f[tcp + 13] = 0x10;
  wr16(f, tcp + 14, 64240);
  for (let k = 0; k < 10; k++) f[tcp + 20 + k] = 0x61 + k;
  // TCP checksum with the pseudo-header.
  let ps = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + 30;
  wr16(f, tcp + 16, checksum(f, tcp, 30, ps));
  b.start[i] = o;
  b.length[i] = 64;
  ps = 0;
}

function makeBatch(src: number, dst: number, sport: number, dport: number): { b: PacketBatch; start: Uint32Array } {
  const b = createBatch(1, BATCH);
  for (let i = 0; i < BATCH; i++) put64(b, i, (src + i) >>> 0, dst, sport + i, dport);
  b.count = BATCH;
  return { b, start: b.start.slice() };
}

/** CPU time of this process in ns (user + system): robust against other load on a shared machine. */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

/** One row: processes the whole batch (each row has its own loop so V8 inlines its calls). */
type BatchOp = (b: PacketBatch, start: Uint32Array, pv: PacketView) => number;

function run(name: string, op: BatchOp, src: number, dst: number, sport: number, dport: number): { name: string; ns: number; mpps: number } {
  const { b, start } = makeBatch(src, dst, sport, dport);
  const pv = new PacketView();
  let sink = 0;
  for (let r = 0; r < Math.max(1, ROUNDS >> 3); r++) sink += op(b, start, pv); // warm-up
  const t0 = cpuNs();
  for (let r = 0; r < ROUNDS; r++) sink += op(b, start, pv);
  const ns = (cpuNs() - t0) / (ROUNDS * BATCH);
  if (sink === -1) console.log('');
  return { name, ns, mpps: 1000 / ns };
}

const CLIENT = 0xc6336400; // 198.51.100.0
const VIP = E.vip4[0];
const RS = E.rs4[0];
const rows = [
  run(
    'parse (Ether/IPv4/TCP)',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) s += parsePacket(pv, b.buf, start[i], 64, 1);
      return s;
    },
    CLIENT,
    VIP,
    40000,
    80,
  ),
  run(
    'parse + TCP checksum verify (strict mode)',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) s += parsePacket(pv, b.buf, start[i], 64, 1) + (verifyL4Checksum(pv, b.buf) ? 0 : 1);
      return s;
    },
    CLIENT,
    VIP,
    40000,
    80,
  ),
  run(
    'parse + DR (new MACs)',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        b.start[i] = start[i];
        b.length[i] = 64;
        s += parsePacket(pv, b.buf, start[i], 64, 1) + forwardDr(b, i, pv, E.rsMac, E.directorMac);
      }
      return s;
    },
    CLIENT,
    VIP,
    40000,
    80,
  ),
  run(
    'parse + NAT in (dst -> RS:8080) + frame',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        b.start[i] = start[i];
        b.length[i] = 64;
        s += parsePacket(pv, b.buf, start[i], 64, 1) + natIn(b, i, pv, E.rs4, E.rport) + frameEther(b, i, pv, E.rsMac, 0, E.directorMac, 0);
      }
      return s;
    },
    CLIENT,
    VIP,
    40000,
    80,
  ),
  run(
    'parse + NAT out (src -> VIP:80) + frame',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        b.start[i] = start[i];
        b.length[i] = 64;
        s += parsePacket(pv, b.buf, start[i], 64, 1) + natOut(b, i, pv, E.vip4, E.vport) + frameEther(b, i, pv, E.routerMac, 0, E.directorMac, 0);
      }
      return s;
    },
    RS,
    CLIENT,
    8080,
    40000,
  ),
  run(
    'parse + TUN (IPIP, MTU check) + frame',
    (b, start, pv) => {
      let s = 0;
      for (let i = 0; i < BATCH; i++) {
        b.start[i] = start[i];
        b.length[i] = 64;
        s += parsePacket(pv, b.buf, start[i], 64, 1) + tunEncap(b, i, pv, E.local4, E.rs4, 1500) + frameEther(b, i, pv, E.rsMac, 0, E.directorMac, 0);
      }
      return s;
    },
    CLIENT,
    VIP,
    40000,
    80,
  ),
];

// The fixture table, case by case (includes loading the frame into the slot).
const fx: Array<{ name: string; ns: number; mpps: number }> = [];
{
  const batches = { 1: createBatch(1, 1), 2: createBatch(2, 1) };
  const pv = new PacketView();
  const n = Math.max(1, ROUNDS * 2);
  for (const c of PACKET_CASES) {
    if (c.op === 'parse' && c.reason !== 'none') continue;
    const b = batches[c.linkType];
    for (let k = 0; k < n >> 3; k++) runCase(c, b, 0, pv);
    const t0 = cpuNs();
    for (let k = 0; k < n; k++) runCase(c, b, 0, pv);
    const ns = (cpuNs() - t0) / n;
    fx.push({ name: c.name, ns, mpps: 1000 / ns });
  }
}

const line = (r: { name: string; ns: number; mpps: number }): string => `| ${r.name} | ${r.ns.toFixed(1)} | ${r.mpps.toFixed(2)} |`;
console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cpus, load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}; batch ${BATCH}, ${ROUNDS * BATCH} packets per row; times are process CPU time`,
);
console.log('\n64-byte TCP frames, one core:\n');
console.log('| operation | ns/packet | Mpps |\n|---|---:|---:|');
for (const r of rows) console.log(line(r));
console.log('\nFixture table (each case: copy frame into the slot + parse + its transform):\n');
console.log('| fixture | ns/packet | Mpps |\n|---|---:|---:|');
for (const r of fx) console.log(line(r));
