/**
 * The sync daemon's UDP socket (ip_vs_sync.c make_send_sock / make_receive_sock, as one socket): bound
 * to the sync port on the multicast group (default 224.0.0.81:8848), joined on one interface, sending
 * there with the configured TTL and without loopback. A master sends connections and hears bulk
 * requests; a backup hears connections and sends its bulk requests. With `peer` set, both sides use
 * unicast to that one address instead, bound to the interface's address (datagrams from any other
 * source are refused and counted).
 */
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { SYNC_DEFAULT_GROUP, SYNC_DEFAULT_PORT, SYNC_DEFAULT_TTL } from './message.js';

/** Where and how a sync socket talks. */
export interface SyncSocketOptions {
  role: 'master' | 'backup';
  /** Interface the group is joined on / sent from (ipvsadm --mcast-interface). */
  interface: string;
  group?: string;
  port?: number;
  ttl?: number;
  /** Unicast peer address instead of the multicast group. */
  peer?: string;
  /** Each received datagram with its source address. */
  onMessage?: (msg: Buffer, from: string) => void;
  /** A datagram from a source other than `peer` (counted by the caller). */
  onForeign?: (from: string) => void;
}

/** The interface's first IPv4 address, or undefined (the kernel warns likewise: bind_mcastif_addr). */
export function interfaceIpv4(name: string): string | undefined {
  return networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address;
}

/** An open sync socket; close() releases it. */
export class SyncSocket {
  private constructor(
    private readonly sock: dgram.Socket,
    private readonly dest: { address: string; port: number },
  ) {}

  /** Opens the socket for `o.role`; rejects with the reason (no such interface, no IPv4 address, bind failure). */
  static async open(o: SyncSocketOptions): Promise<SyncSocket> {
    const local = interfaceIpv4(o.interface);
    if (!local) throw new Error(`sync daemon: interface ${o.interface} does not exist or has no IPv4 address`);
    const group = o.group ?? SYNC_DEFAULT_GROUP;
    const port = o.port ?? SYNC_DEFAULT_PORT;
    const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind({ address: o.peer ? local : group, port }, () => resolve());
    });
    sock.removeAllListeners('error');
    try {
      sock.setRecvBufferSize(4 << 20); // a whole-table answer arrives as a stream of datagrams (capped by net.core.rmem_max)
    } catch {
      /* the default buffer */
    }
    sock.on('error', () => {
      /* a send error (no route) is retried by the next period; nothing to crash */
    });
    if (!o.peer) {
      sock.addMembership(group, local);
      sock.setMulticastInterface(local);
      sock.setMulticastTTL(o.ttl ?? SYNC_DEFAULT_TTL);
      sock.setMulticastLoopback(false);
    }
    sock.on('message', (msg, rinfo) => {
      if (o.peer && rinfo.address !== o.peer) o.onForeign?.(rinfo.address);
      else o.onMessage?.(msg, rinfo.address);
    });
    return new SyncSocket(sock, { address: o.peer ?? group, port });
  }

  /** Sends one datagram (fire and forget; a full socket buffer drops it, as MSG_DONTWAIT would). */
  send(msg: Buffer): void {
    this.sock.send(msg, this.dest.port, this.dest.address);
  }

  /** Closes the socket. */
  close(): void {
    try {
      this.sock.close();
    } catch {
      /* already closed */
    }
  }
}
