/**
 * DNS_CHECK (keepalived check_dns.c): send one query (type, default SOA; name, default ".") over UDP and
 * require a response carrying our query id with QR set and RCODE 0 within connect_timeout.
 * Wire format: RFC 1035 section 4.1 (12-byte header, big-endian fields).
 */
import { randomInt } from 'node:crypto';
import type { DnsCheckSpec, DnsQueryType } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import { HEALTH_DEFAULTS } from '../types.js';
import { udpExchange } from './check-udp.js';
import type { CheckOutcome } from './outcome.js';

/** RFC 1035 / RFC 3596 QTYPE numbers. */
export const DNS_QTYPE: Record<DnsQueryType, number> = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 };

/** Encodes a query: header (id, RD set, QDCOUNT 1), QNAME labels, QTYPE, QCLASS IN. */
export function encodeDnsQuery(id: number, name: string, type: DnsQueryType): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  parts.push(header);
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    parts.push(Buffer.from([Math.min(63, b.length)]), b.subarray(0, 63));
  }
  const tail = Buffer.alloc(5);
  tail.writeUInt8(0, 0);
  tail.writeUInt16BE(DNS_QTYPE[type], 1);
  tail.writeUInt16BE(1, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

/** Judges a response to query id: null when it is not ours (keep waiting), else ok or a reason. */
export function judgeDnsResponse(msg: Buffer, id: number): true | string | null {
  if (msg.length < 12) return 'DNS response shorter than its header';
  if (msg.readUInt16BE(0) !== id) return null;
  const flags = msg.readUInt16BE(2);
  if (!(flags & 0x8000)) return 'DNS reply is not a response (QR clear)';
  const rcode = flags & 0xf;
  if (rcode !== 0) return `DNS rcode ${rcode}`;
  return true;
}

/** One DNS_CHECK attempt. */
export function probeDns(c: ResolvedChecker): Promise<CheckOutcome> {
  const spec = c.spec as DnsCheckSpec;
  const id = randomInt(0, 65536);
  const q = encodeDnsQuery(id, spec.name ?? HEALTH_DEFAULTS.dnsName, spec.dnsType ?? HEALTH_DEFAULTS.dnsType);
  return udpExchange(c, q, c.connectTimeoutMs, (msg) => judgeDnsResponse(msg, id), { ok: false, reason: `no DNS response within ${c.connectTimeoutMs} ms` });
}
