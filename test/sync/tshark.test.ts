// An independent decoder reads our sync datagrams: Wireshark's IPVS sync dissector (tshark 4.0 decodes
// version 1: type, version/size, 32-bit flags, fwmark, timeout, IPv4 and IPv6 addresses) must find
// every field we wrote and no malformed packet. Found doing this: tshark 4.0 reads each v1 entry as its
// fixed 36/72 bytes and ignores the entry's size, so it mis-frames the entry AFTER one that carries
// options (sequence or persistence-engine data, which the kernel sends only for FTP-NAT / SIP entries);
// the entry with options is therefore sent alone, in its own datagram, and only its fixed part checked.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writePcapFile, PcapLinkType } from '../../src/io/pcap.js';
import { encodeSyncMessages, SyncFlag, SyncFwd, SYNC_DEFAULT_PORT, type SyncConn } from '../../src/sync/message.js';

const tshark = ['/usr/bin/tshark', '/usr/local/bin/tshark'].find((p) => existsSync(p));

/** IPv4 + UDP around a payload, 10.9.0.1 -> 224.0.0.81, port 8848 both ways (UDP checksum 0 = none). */
function udp4(payload: Buffer): Uint8Array {
  const ip = Buffer.alloc(28);
  ip.writeUInt8(0x45, 0);
  ip.writeUInt16BE(28 + payload.length, 2);
  ip.writeUInt8(1, 8); // TTL 1, as the kernel's default mcast_ttl
  ip.writeUInt8(17, 9);
  Buffer.from([10, 9, 0, 1, 224, 0, 0, 81]).copy(ip, 12);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  ip.writeUInt16BE(SYNC_DEFAULT_PORT, 20);
  ip.writeUInt16BE(SYNC_DEFAULT_PORT, 22);
  ip.writeUInt16BE(8 + payload.length, 24);
  return Buffer.concat([ip, payload]);
}

const conns: SyncConn[] = [
  {
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
    seq: { in: { initSeq: 0x11, delta: 0x22, previousDelta: 0x33 }, out: { initSeq: 0x44, delta: 0x55, previousDelta: 0x66 } },
  },
  {
    family: 4,
    protocol: 6,
    flags: SyncFwd.DRoute | SyncFlag.NoOutput,
    state: 4,
    cport: 40001,
    vport: 80,
    dport: 80,
    fwmark: 0,
    timeoutS: 120,
    caddr: '10.0.0.6',
    vaddr: '192.0.2.10',
    daddr: '10.1.0.3',
  },
  {
    family: 6,
    protocol: 17,
    flags: SyncFwd.DRoute | SyncFlag.Template,
    state: 0,
    cport: 0,
    vport: 53,
    dport: 53,
    fwmark: 0x2a,
    timeoutS: 360,
    caddr: '2001:db8::5',
    vaddr: '2001:db8:1::10',
    daddr: '2001:db8:2::2',
  },
];

t.test('tshark decodes our version 1 sync messages as IPVS', { skip: !tshark && 'tshark not installed (apt-get install tshark)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ulvs-sync-tshark-'));
  t.teardown(() => {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
    else console.error(dir);
  });
  const file = join(dir, 'sync.pcap');
  const msgs = [...encodeSyncMessages(7, conns.slice(1), 1472), ...encodeSyncMessages(7, conns.slice(0, 1), 1472)];
  writePcapFile(
    file,
    PcapLinkType.Raw,
    msgs.map((m, i) => ({ timeMs: i, data: udp4(m) })),
  );
  const out = execFileSync(tshark!, ['-r', file, '-d', `udp.port==${SYNC_DEFAULT_PORT},ipvs`, '-T', 'json'], { maxBuffer: 16 << 20 }).toString();
  const text = JSON.stringify(JSON.parse(out));
  t.notMatch(text, /_ws\.malformed|_ws\.expert/, 'not malformed, no expert warning');
  const all = (field: string) => [...text.matchAll(new RegExp(`"${field.replace(/\./g, '\\.')}":"([^"]*)"`, 'g'))].map((m) => m[1]);
  // datagram 1: IPv4 DR connection + IPv6 UDP template; datagram 2: the IPv4 NAT entry with sequence data
  t.same(all('ipvs.syncid'), ['7', '7']);
  t.same(all('ipvs.conncount'), ['2', '1']);
  t.same(all('ipvs.version'), ['1', '1']);
  t.same(all('ipvs.size.v1'), ['36', '72', '62'], 'entry sizes (62 = 36 + 2 + 24 of sequence data)');
  t.same(all('ipvs.proto'), ['0x06', '0x11', '0x06']);
  t.same(all('ipvs.cport'), ['40001', '0', '40000']);
  t.same(all('ipvs.vport'), ['80', '53', '80']);
  t.same(all('ipvs.dport'), ['80', '53', '8080']);
  t.same(all('ipvs.caddr'), ['10.0.0.6', '10.0.0.5']);
  t.same(all('ipvs.vaddr'), ['192.0.2.10', '192.0.2.10']);
  t.same(all('ipvs.daddr'), ['10.1.0.3', '10.1.0.2']);
  t.same(all('ipvs.caddr6'), ['2001:db8::5']);
  t.same(all('ipvs.vaddr6'), ['2001:db8:1::10']);
  t.same(all('ipvs.daddr6'), ['2001:db8:2::2']);
  t.same(all('ipvs.timeout'), ['120', '360', '900']);
  t.same(all('ipvs.fwmark'), ['0x00000000', '0x0000002a', '0x00000000']);
  t.same(all('ipvs.flags.v1'), ['0x00000083', '0x00001003', '0x00000000'], 'DR|NOOUTPUT, DR|TEMPLATE, MASQ');
});
