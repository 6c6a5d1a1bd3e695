// (helper, not a test) An in-memory L2 segment for VrrpManager tests: every transport on the
// wire delivers each multicast message to the others, unicast only to the owner of the address.
import t from 'tap';
import { decodeAdvert, type DropReason } from '../../src/vrrp/codec.js';
import type { AdvertSink, VrrpTransport } from '../../src/vrrp/socket.js';
import type { VrrpConfig, VrrpInstanceSpec } from '../../src/vrrp/types.js';
import { instanceSpec as baseSpec, vip, vrrpConfig } from '../../src/vrrp/spec.js';
import type { InterfaceInfo } from '../../src/vrrp/interface-info.js';

/** One simulated segment. */
export class FakeWire {
  nodes: FakeTransport[] = [];
  /** When false, nothing is delivered (split brain). */
  connected = true;
}

/** A transport attached to a FakeWire with one own address. */
export class FakeTransport implements VrrpTransport {
  readonly drops = new Map<DropReason, number>();
  sinks = new Map<number, Set<AdvertSink>>();
  sent = 0;
  constructor(
    readonly wire: FakeWire,
    readonly addr: string,
  ) {
    wire.nodes.push(this);
  }
  send(buf: Uint8Array, dst: string, src?: string, ttl = 255): void {
    this.sent++;
    if (!this.wire.connected) return;
    for (const n of this.wire.nodes) {
      if (n === this) continue;
      if (!dst.startsWith('224.') && !dst.startsWith('ff') && dst !== n.addr) continue;
      const copy = buf.slice();
      setImmediate(() => n.deliver(copy, src ?? this.addr, dst, ttl));
    }
  }
  deliver(buf: Uint8Array, src: string, dst: string, ttl: number): void {
    const sinks = this.sinks.get(buf[1]);
    if (!sinks) return;
    const r = decodeAdvert(buf, buf.length, src.includes(':') ? 6 : 4, src, dst);
    for (const s of sinks) {
      if (r.ok) s.onAdvert(r.advert, { srcIp: src, dstIp: dst, ttl, multicast: dst.startsWith('224.') || dst.startsWith('ff'), ifindex: 1 });
      else s.onDrop(r.reason);
    }
  }
  register(vrid: number, sink: AdvertSink): void {
    if (!this.sinks.has(vrid)) this.sinks.set(vrid, new Set());
    this.sinks.get(vrid)!.add(sink);
  }
  unregister(vrid: number, sink: AdvertSink): void {
    this.sinks.get(vrid)?.delete(sink);
  }
  join(): void {}
  leave(): void {}
}

/** A fully defaulted instance spec for tests. */
export function instanceSpec(over: Partial<VrrpInstanceSpec> = {}): VrrpInstanceSpec {
  return baseSpec({ vips: [vip('192.0.2.100')], ...over });
}

/** A config of instances with no scripts or groups. */
export const config = (instances: VrrpInstanceSpec[], over: Partial<VrrpConfig> = {}): VrrpConfig => vrrpConfig(instances, over);

/** Fake interface facts for `addr`. */
export function fakeIface(addr: string): (name: string) => Promise<InterfaceInfo> {
  return async (name) => ({ name, index: 1, mac: '02:00:00:00:00:01', up: true, ipv4: [addr], linkLocal6: ['fe80::1'], ipv6: [] });
}

t.pass('helper module');
