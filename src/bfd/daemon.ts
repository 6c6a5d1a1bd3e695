/**
 * The BFD shell: UDP sockets and timers around the pure sessions (session.ts). One receive socket per
 * (family, port) — 3784 single hop (RFC 5881 §4), 4784 multihop (RFC 5883 §5) — and one send socket per
 * session, from a source port in 49152–65535 with the session's TTL (255 unless `ttl` says otherwise).
 * Received packets are matched by Your Discriminator, else (Your Discriminator 0) by the neighbour's
 * address (RFC 5880 §6.8.6); datagrams that fail decoding or match no session are counted and dropped.
 * Where a raw UDP socket can be had (ttl-receiver.ts), packets are taken from it instead, with their TTL:
 * one below `ttl` - `max_hops` is dropped (RFC 5881 §5: 255 for single hop, keepalived's defaults).
 * Emits 'state' (name, up, state) when a session's state changes.
 */
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { decodeControl, encodeControl, BfdState, STATE_NAMES, type BfdDropReason } from './packet.js';
import { BfdSession } from './session.js';
import { TtlReceiver } from './ttl-receiver.js';
import type { BfdInstanceSpec } from './types.js';

/** UDP port of single-hop BFD Control packets (RFC 5881 §4). */
export const BFD_PORT = 3784;
/** UDP port of multihop BFD Control packets (RFC 5883 §5). */
export const BFD_MULTIHOP_PORT = 4784;

interface Live {
  spec: BfdInstanceSpec;
  session: BfdSession;
  tx: dgram.Socket;
  everUp?: boolean;
  txTimer?: NodeJS.Timeout;
  detectTimer?: NodeJS.Timeout;
}

/** What a change of a session looks like to listeners. */
export interface BfdStateEvent {
  name: string;
  up: boolean;
  state: string;
}

/** Runs the bfd_instance sessions of the current configuration. */
export class BfdDaemon extends EventEmitter {
  /** Dropped datagrams by reason. */
  readonly drops = new Map<BfdDropReason, number>();
  private live = new Map<string, Live>();
  private rx = new Map<string, dgram.Socket>();
  private ttlRx = new Map<4 | 6, TtlReceiver | undefined>();
  private readonly buf = new Uint8Array(24);

  constructor(private readonly log: (m: string) => void = () => {}) {
    super();
  }

  /** (Re)starts the sessions of `specs`; a session whose block did not change keeps running. */
  async apply(specs: readonly BfdInstanceSpec[]): Promise<void> {
    const want = new Map(specs.map((s) => [s.name, s]));
    for (const [name, l] of this.live) {
      const s = want.get(name);
      if (!s || JSON.stringify({ ...s, source: undefined }) !== JSON.stringify({ ...l.spec, source: undefined })) this.close(name);
    }
    for (const s of specs) if (!this.live.has(s.name)) await this.open(s);
    for (const [key, sock] of this.rx) {
      if (![...this.live.values()].some((l) => rxKey(l.spec) === key)) {
        sock.close();
        this.rx.delete(key);
      }
    }
    if (this.live.size === 0) {
      for (const r of this.ttlRx.values()) r?.close();
      this.ttlRx.clear();
    }
  }

  /** Whether session `name` is Up; undefined when there is no such session. */
  isUp(name: string): boolean | undefined {
    const l = this.live.get(name);
    return l ? l.session.state === BfdState.Up : undefined;
  }

  /** Whether session `name` has been Up since it started (keepalived's checkers act on Up/Down events only). */
  everUp(name: string): boolean {
    return this.live.get(name)?.everUp ?? false;
  }

  /** The state name of session `name` (AdminDown/Down/Init/Up), or undefined. */
  stateOf(name: string): string | undefined {
    const l = this.live.get(name);
    return l ? STATE_NAMES[l.session.state] : undefined;
  }

  /** A snapshot of every session, for listings. */
  sessions(): Array<{ name: string; neighbor: string; state: string; localDisc: number; remoteDisc: number }> {
    return [...this.live.values()].map((l) => ({
      name: l.spec.name,
      neighbor: l.spec.neighborIp,
      state: STATE_NAMES[l.session.state],
      localDisc: l.session.localDisc,
      remoteDisc: l.session.remoteDisc,
    }));
  }

  /** Sends AdminDown once (RFC 5880 §6.8.16) and closes every socket and timer. */
  stop(): void {
    for (const name of [...this.live.keys()]) this.close(name);
    for (const s of this.rx.values()) s.close();
    this.rx.clear();
    for (const r of this.ttlRx.values()) r?.close();
    this.ttlRx.clear();
  }

  private async open(spec: BfdInstanceSpec): Promise<void> {
    const key = rxKey(spec);
    const family = isIPv6(spec.neighborIp) ? 6 : 4;
    if (!this.ttlRx.has(family)) {
      this.ttlRx.set(
        family,
        TtlReceiver.open(family, [BFD_PORT, BFD_MULTIHOP_PORT], (b, from, ttl, port) => this.onMessage(b, from, port === BFD_MULTIHOP_PORT, ttl), this.log),
      );
    }
    if (!this.rx.has(key)) {
      const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: true });
      // The UDP socket keeps the port open (no ICMP port unreachable); with a raw receiver its copies are ignored.
      sock.on('message', (msg, rinfo) => {
        if (!this.ttlRx.get(family)) this.onMessage(msg, rinfo.address, spec.multihop);
      });
      const port = spec.multihop ? BFD_MULTIHOP_PORT : BFD_PORT;
      try {
        await new Promise<void>((res, rej) => {
          sock.once('error', rej);
          sock.bind(port, () => {
            sock.off('error', rej);
            res();
          });
        });
        sock.on('error', (e) => this.log(`BFD receive socket ${key}: ${e.message}`));
        this.rx.set(key, sock);
      } catch (e) {
        // Any local user may bind UDP 3784/4784 first: that must not stop the session (nor the daemon's start).
        // The raw receiver still gets a copy of every control packet; without it the session cannot hear its peer.
        sock.close();
        this.log(
          `BFD port ${port} (IPv${family}) is held by another process (${(e as Error).message}): ` +
            (this.ttlRx.get(family) ? 'control packets are read from the raw socket only' : 'no raw socket either, so the sessions on it cannot receive'),
        );
      }
    }
    const tx = await bindSource(spec);
    tx.on('message', () => {});
    tx.on('error', (e) => this.log(`bfd_instance ${spec.name}: ${e.message}`));
    const used = new Set([...this.live.values()].map((l) => l.session.localDisc));
    let disc = 0;
    while (disc === 0 || used.has(disc)) disc = randomInt(1, 0xffffffff);
    const l: Live = { spec, session: new BfdSession(disc, spec), tx };
    this.live.set(spec.name, l);
    this.log(`bfd_instance ${spec.name}: session to ${spec.neighborIp} started (discriminator ${disc})`);
    this.scheduleTx(l);
  }

  private close(name: string): void {
    const l = this.live.get(name);
    if (!l) return;
    clearTimeout(l.txTimer);
    clearTimeout(l.detectTimer);
    l.session.setAdminDown(true);
    this.send(l);
    l.tx.close();
    this.live.delete(name);
  }

  private onMessage(msg: Uint8Array, from: string, multihop: boolean, ttl?: number): void {
    const p = decodeControl(msg);
    if (typeof p === 'string') {
      this.count(p);
      return;
    }
    let l: Live | undefined;
    for (const x of this.live.values()) {
      if (x.spec.multihop !== multihop) continue;
      if (p.yourDisc !== 0 ? x.session.localDisc === p.yourDisc : sameIp(x.spec.neighborIp, from)) {
        l = x;
        break;
      }
    }
    if (!l || !sameIp(l.spec.neighborIp, from)) {
      this.count('no-session');
      return;
    }
    if (ttl !== undefined && ttl >= 0 && l.spec.maxHops !== 255 && ttl + l.spec.maxHops < l.spec.ttl) {
      this.count('ttl');
      return;
    }
    if (l.session.state === BfdState.AdminDown) return;
    const before = l.session.state;
    const r = l.session.receive(p, Date.now());
    clearTimeout(l.detectTimer);
    const live = l;
    l.detectTimer = setTimeout(() => this.onExpire(live), Math.max(1, l.session.detectTimeMs()));
    if (r.stateChanged) this.changed(l, before);
    if (r.sendNow) this.send(l);
    if (r.stateChanged || before === BfdState.Down) this.scheduleTx(l);
  }

  private onExpire(l: Live): void {
    const before = l.session.state;
    const r = l.session.expire(Date.now());
    if (r.stateChanged) {
      this.changed(l, before);
      this.send(l);
      this.scheduleTx(l);
    }
  }

  private changed(l: Live, before: BfdState): void {
    const state = STATE_NAMES[l.session.state];
    this.log(`bfd_instance ${l.spec.name}: ${STATE_NAMES[before]} -> ${state}`);
    const wasUp = before === BfdState.Up,
      up = l.session.state === BfdState.Up;
    if (up) l.everUp = true;
    if (wasUp !== up) this.emit('state', { name: l.spec.name, up, state } satisfies BfdStateEvent);
  }

  /** Periodic transmission with 75–100 % jitter (90 % at most with multiplier 1), RFC 5880 §6.8.7. */
  private scheduleTx(l: Live): void {
    clearTimeout(l.txTimer);
    const ivl = l.session.txIntervalMs();
    if (ivl === 0) return;
    const jitter = 0.75 + Math.random() * (l.spec.multiplier === 1 ? 0.15 : 0.25);
    l.txTimer = setTimeout(
      () => {
        this.send(l);
        this.scheduleTx(l);
      },
      Math.max(1, ivl * jitter),
    );
  }

  private send(l: Live): void {
    if (l.session.txIntervalMs() === 0 && l.session.state !== BfdState.AdminDown) return;
    const pkt = encodeControl(l.session.next(), this.buf);
    try {
      l.tx.send(pkt, l.spec.multihop ? BFD_MULTIHOP_PORT : BFD_PORT, l.spec.neighborIp);
    } catch {
      /* socket closing */
    }
  }

  private count(r: BfdDropReason): void {
    this.drops.set(r, (this.drops.get(r) ?? 0) + 1);
  }
}

function rxKey(s: BfdInstanceSpec): string {
  return `${isIPv6(s.neighborIp) ? 6 : 4}/${s.multihop ? BFD_MULTIHOP_PORT : BFD_PORT}`;
}

function sameIp(a: string, b: string): boolean {
  return a.toLowerCase() === b.replace(/^::ffff:/, '').toLowerCase();
}

/** A send socket bound to source_ip and a free port in 49152–65535 (RFC 5881 §4), TTL set. */
async function bindSource(spec: BfdInstanceSpec): Promise<dgram.Socket> {
  for (let attempt = 0; ; attempt++) {
    const sock = dgram.createSocket(isIPv6(spec.neighborIp) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((res, rej) => {
        sock.once('error', rej);
        sock.bind({ address: spec.sourceIp, port: randomInt(49152, 65536) }, () => {
          sock.off('error', rej);
          res();
        });
      });
      sock.setTTL(spec.ttl);
      return sock;
    } catch (e) {
      sock.close();
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt > 20)
        throw new Error(`bfd_instance ${spec.name}: cannot bind source ${spec.sourceIp ?? '*'}: ${(e as Error).message}`);
    }
  }
}
