/**
 * The header fields of a frame as named text values, and the field-by-field difference between a
 * packet before and after the director rewrote it (control path: `ulvs explain`, the dashboard's packet
 * walk). Layers: `eth`, `outer` (the IPIP header TUN adds), `ip`, `tcp`/`udp`/`sctp`/`icmp`. Allocates.
 */
import { LinkType } from '../core/batch.js';
import { formatIpWords } from '../core/addr.js';
import { formatMac } from './addr.js';
import { rd16 } from './checksum.js';
import { PacketView } from './packet-view.js';
import { parsePacket } from './parse.js';

/** One header field: layer, name and its value as text. */
export interface HeaderField {
  layer: string;
  name: string;
  value: string;
}

/** A field before and after; `before` null = added (TUN's outer header, a new Ethernet header), `after` null = removed. */
export interface FieldChange {
  layer: string;
  name: string;
  before: string | null;
  after: string | null;
  changed: boolean;
}

const hex16 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;

function tcpFlagText(f: number): string {
  const names = 'FSRPAUEC';
  let s = '';
  for (let k = 0; k < 8; k++) if (f & (1 << k)) s += names[k];
  return s || '.';
}

function ipFields(pv: PacketView, buf: Uint8Array, layer: string, out: HeaderField[]): void {
  const a = (w: Uint32Array): string => formatIpWords(w, pv.family);
  out.push({ layer, name: 'version', value: String(pv.family) });
  out.push({ layer, name: 'src', value: a(pv.saddr) });
  out.push({ layer, name: 'dst', value: a(pv.daddr) });
  out.push({ layer, name: pv.family === 4 ? 'ttl' : 'hop_limit', value: String(pv.ttl) });
  out.push({ layer, name: 'protocol', value: String(pv.protocol) });
  out.push({ layer, name: 'length', value: String(pv.l3End - pv.l3Off) });
  if (pv.family === 4) out.push({ layer, name: 'checksum', value: hex16(rd16(buf, pv.l3Off + 10)) });
}

function l4Fields(pv: PacketView, buf: Uint8Array, out: HeaderField[]): void {
  const p = pv.protocol;
  if (pv.l4Off < 0) return;
  if (p === 1 || p === 58) {
    out.push({ layer: 'icmp', name: 'type', value: String(pv.icmpType) });
    out.push({ layer: 'icmp', name: 'code', value: String(pv.icmpCode) });
    return;
  }
  const layer = p === 6 ? 'tcp' : p === 17 ? 'udp' : p === 132 ? 'sctp' : '';
  if (layer === '') return;
  out.push({ layer, name: 'sport', value: String(pv.sport) });
  out.push({ layer, name: 'dport', value: String(pv.dport) });
  if (p === 6) out.push({ layer, name: 'flags', value: tcpFlagText(pv.tcpFlags) });
  if (pv.l4CsumOff >= 0) out.push({ layer, name: 'checksum', value: hex16(rd16(buf, pv.l4CsumOff)) });
}

/** The header fields of the frame at buf[start, start+length) (`linkType` says whether it starts with Ethernet). */
export function headerFields(buf: Uint8Array, start: number, length: number, linkType: LinkType): HeaderField[] {
  const out: HeaderField[] = [];
  const pv = new PacketView();
  parsePacket(pv, buf, start, length, linkType);
  if (linkType === LinkType.Ether && length >= 14) {
    out.push({ layer: 'eth', name: 'dst', value: formatMac(buf, start) });
    out.push({ layer: 'eth', name: 'src', value: formatMac(buf, start + 6) });
    if (pv.vlanTci >= 0) out.push({ layer: 'eth', name: 'vlan', value: String(pv.vlanTci & 0xfff) });
  }
  if (!pv.isIp) return out;
  if ((pv.protocol === 4 || pv.protocol === 41) && pv.l4Off >= 0) {
    // IPIP / IPv6-in-IP: the outer header, then the packet it carries.
    ipFields(pv, buf, 'outer', out);
    const inner = new PacketView();
    parsePacket(inner, buf, pv.l4Off, pv.l3End - pv.l4Off, LinkType.Ip);
    if (inner.isIp) {
      ipFields(inner, buf, 'ip', out);
      l4Fields(inner, buf, out);
    }
    return out;
  }
  ipFields(pv, buf, 'ip', out);
  l4Fields(pv, buf, out);
  return out;
}

/** Pairs the fields of `before` and `after` by layer and name, in `after`'s order, then what only `before` had. */
export function diffFields(before: HeaderField[], after: HeaderField[]): FieldChange[] {
  const key = (f: HeaderField): string => `${f.layer}.${f.name}`;
  const old = new Map(before.map((f) => [key(f), f.value]));
  const out: FieldChange[] = [];
  const seen = new Set<string>();
  for (const f of after) {
    const b = old.get(key(f)) ?? null;
    seen.add(key(f));
    out.push({ layer: f.layer, name: f.name, before: b, after: f.value, changed: b !== f.value });
  }
  for (const f of before) if (!seen.has(key(f))) out.push({ layer: f.layer, name: f.name, before: f.value, after: null, changed: true });
  return out;
}
