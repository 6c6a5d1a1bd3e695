/**
 * Received-TTL view of BFD datagrams: a receive-only raw IP protocol-17 socket (native/rawsock.cc) sees
 * each incoming UDP datagram with its IPv4 header (IPv6: the hop limit from IPV6_RECVHOPLIMIT), which
 * Node's UDP sockets never report. BFD packets to 3784/4784 are handed on with their TTL so the shell
 * can apply RFC 5881 §5 / RFC 5883 §5 (keepalived's `ttl` minus `max_hops`). Without the addon (or the
 * privilege) open() returns undefined and the shell falls back to the UDP socket without the TTL check.
 */
import { loadNative } from '../native/addon.js';
import type { RawSockHandle, RawSockModule } from '../native/types.js';

/** Called for each received BFD datagram: payload (UDP data), source address, TTL/hop limit, UDP destination port. */
export type TtlSink = (payload: Uint8Array, from: string, ttl: number, dstPort: number) => void;

/** A raw UDP listener for one address family. */
export class TtlReceiver {
  private readonly buf = new Uint8Array(2048);

  private constructor(
    private readonly sock: RawSockHandle,
    ports: readonly number[],
    sink: TtlSink,
  ) {
    sock.onReadable(() => {
      for (let i = 0; i < 64; i++) {
        const p = this.sock.recv(this.buf);
        if (!p) return;
        // UDP header (RFC 768): source port, destination port, length, checksum — 8 bytes, big-endian.
        const udp = p.offset;
        if (p.truncated || p.length < udp + 8) continue;
        const dst = (this.buf[udp + 2]! << 8) | this.buf[udp + 3]!;
        if (!ports.includes(dst)) continue;
        sink(this.buf.subarray(udp + 8, p.length), p.src, p.ttl, dst);
      }
    });
  }

  /** Opens the listener, or returns undefined (with the reason passed to `log`) when raw sockets are unavailable. */
  static open(family: 4 | 6, ports: readonly number[], sink: TtlSink, log: (m: string) => void): TtlReceiver | undefined {
    try {
      const mod = loadNative() as unknown as RawSockModule;
      return new TtlReceiver(new mod.RawSock(family, '', 17), ports, sink);
    } catch (e) {
      log(`BFD: no raw UDP socket for IPv${family} (${(e as Error).message}); received TTLs are not checked`);
      return undefined;
    }
  }

  /** Closes the socket. */
  close(): void {
    this.sock.close();
  }
}
