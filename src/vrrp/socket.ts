/**
 * The VRRP socket shell: one native raw protocol-112 socket per (family, interface) in the main
 * thread, shared by the instances on that interface. Received datagrams are decoded once and
 * dispatched by VRID; wire-level drops (short, checksum, version…) are counted per reason.
 * Uses native/rawsock.cc rather than the npm raw-socket package: that one cannot report the
 * received hop limit (IPV6_RECVHOPLIMIT) nor set the source per packet, and cannot load in workers.
 */
import { loadNative } from '../native/addon.js';
import type { RawSockHandle, RawSockModule } from '../native/types.js';
import { isMulticast } from './addr.js';
import { decodeAdvert, parseIpv4, IPPROTO_VRRP, type Advert, type DropReason } from './codec.js';
import type { VrrpFamily } from './types.js';
import { AH_LEN, IPPROTO_AH, readAh, type ReceivedAh } from './ah.js';

/** How a received advert arrived. */
export interface AdvertMeta {
  srcIp: string;
  dstIp: string;
  ttl: number;
  multicast: boolean;
  ifindex: number;
  /** Present when the advert came in an IPsec AH datagram (protocol 51). */
  ah?: ReceivedAh;
}

/** What an instance registers to receive adverts for its VRID. */
export interface AdvertSink {
  onAdvert(adv: Advert, meta: AdvertMeta): void;
  /** A datagram carrying this VRID failed wire-level decoding. */
  onDrop(reason: DropReason): void;
}

/** Something that sends and receives VRRP messages (the native socket, or a fake in tests). */
export interface VrrpTransport {
  send(buf: Uint8Array, dst: string, src?: string, ttl?: number): void;
  register(vrid: number, sink: AdvertSink): void;
  unregister(vrid: number, sink: AdvertSink): void;
  /** Joins the multicast group (refcounted). */
  join(group: string): void;
  leave(group: string): void;
  /** Drops not attributable to any VRID. */
  readonly drops: Map<DropReason, number>;
}

/** A native raw socket on one interface. */
export class RawVrrpSocket implements VrrpTransport {
  readonly drops = new Map<DropReason, number>();
  /** Failed sends (interface down, no route…). */
  sendErrors = 0;
  private readonly sock: RawSockHandle;
  private readonly sinks = new Map<number, Set<AdvertSink>>();
  private readonly groups = new Map<string, number>();
  private readonly buf = new Uint8Array(2048);

  /** `protocol` 51: an IPv4 AH socket (sends whole datagrams built by ah.ts, receives AH adverts). */
  constructor(
    readonly family: VrrpFamily,
    readonly ifname: string,
    readonly protocol: 112 | 51 = 112,
  ) {
    const mod = loadNative() as unknown as RawSockModule;
    this.sock = new mod.RawSock(family, ifname, protocol);
    this.sock.onReadable(() => this.drain());
  }

  /** Sends one message; errors (e.g. interface down) are counted, not thrown. */
  send(buf: Uint8Array, dst: string, src?: string, ttl = 255): void {
    try {
      this.sock.send(buf, dst, src, ttl);
    } catch {
      this.sendErrors++;
    }
  }

  register(vrid: number, sink: AdvertSink): void {
    let s = this.sinks.get(vrid);
    if (!s) this.sinks.set(vrid, (s = new Set()));
    s.add(sink);
  }

  unregister(vrid: number, sink: AdvertSink): void {
    this.sinks.get(vrid)?.delete(sink);
  }

  join(group: string): void {
    const n = this.groups.get(group) ?? 0;
    if (n === 0) this.sock.join(group);
    this.groups.set(group, n + 1);
  }

  leave(group: string): void {
    const n = this.groups.get(group) ?? 0;
    if (n === 1) {
      try {
        this.sock.join(group, true);
      } catch {
        /* interface gone */
      }
    }
    if (n <= 1) this.groups.delete(group);
    else this.groups.set(group, n - 1);
  }

  /** Number of instances still using this socket. */
  get users(): number {
    let n = 0;
    for (const s of this.sinks.values()) n += s.size;
    return n;
  }

  close(): void {
    this.sock.close();
  }

  private count(r: DropReason): void {
    this.drops.set(r, (this.drops.get(r) ?? 0) + 1);
  }

  private drain(): void {
    for (let i = 0; i < 256; i++) {
      let p;
      try {
        p = this.sock.recv(this.buf);
      } catch {
        return;
      }
      if (!p) return;
      this.handle(p.length, p.offset, p.src, p.dst, p.ttl, p.ifindex);
    }
  }

  private handle(length: number, offset: number, src: string, dst: string, ttl: number, ifindex: number): void {
    let off = offset;
    let len = length - offset;
    let ah: ReceivedAh | undefined;
    if (this.family === 4) {
      const ip = parseIpv4(this.buf, length);
      if (!ip || ip.protocol !== (this.protocol === IPPROTO_AH ? IPPROTO_AH : IPPROTO_VRRP)) {
        this.count('ip-header');
        return;
      }
      off = ip.payloadOffset;
      len = ip.payloadLength;
      if (this.protocol === IPPROTO_AH) {
        // RFC 2402 §2: the AH must protect VRRP (next header 112); keepalived ignores AH for anything else.
        ah = readAh(this.buf.subarray(0, length), off);
        if (!ah || this.buf[off] !== IPPROTO_VRRP) {
          this.count('ip-header');
          return;
        }
        off += AH_LEN;
        len -= AH_LEN;
      }
    }
    const msg = this.buf.subarray(off, off + len);
    const vrid = len >= 2 ? msg[1] : -1;
    const sinks = this.sinks.get(vrid);
    const r = decodeAdvert(msg, len, this.family, src, dst);
    if (!sinks || sinks.size === 0) {
      this.count(r.ok ? 'vrid' : r.reason);
      return;
    }
    if (!r.ok) {
      for (const s of sinks) s.onDrop(r.reason);
      return;
    }
    const meta: AdvertMeta = { srcIp: src, dstIp: dst, ttl, multicast: isMulticast(dst), ifindex, ...(ah ? { ah } : {}) };
    for (const s of sinks) s.onAdvert(r.advert, meta);
  }
}
