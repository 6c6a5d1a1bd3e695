/**
 * Type declarations of what native/*.cc export. Each native module's owner extends NativeAddon
 * with its functions (one interface per module, merged here).
 */

/** The object build/Release/ulvs_native.node exports. */
export interface NativeAddon {
  /** ABI version of the compiled addon (native/addon.cc kAbiVersion). */
  abiVersion: number;
  [name: string]: unknown;
}

/** What RawSock.recv() reports about one received VRRP datagram (native/rawsock.cc). */
export interface RawSockPacket {
  /** Bytes written into the buffer (IPv4: including the IP header). */
  length: number;
  /** Offset of the VRRP message in the buffer (IPv4 header length; 0 for IPv6). */
  offset: number;
  src: string;
  dst: string;
  /** IPv4 TTL or IPv6 hop limit (IPV6_RECVHOPLIMIT); -1 if unknown. */
  ttl: number;
  /** Ingress interface index (IP_PKTINFO / IPV6_PKTINFO). */
  ifindex: number;
  truncated: boolean;
}

/** A raw IP protocol-112 socket bound to one interface (native/rawsock.cc); one per thread that made it. */
export interface RawSockHandle {
  /** Joins (or leaves) a multicast group on the socket's interface. */
  join(group: string, leave?: boolean): void;
  /** Sends one VRRP message to dst, from src (IP_PKTINFO), with TTL/hop limit ttl (default 255). */
  send(buf: Uint8Array, dst: string, src?: string, ttl?: number): number;
  /** Non-blocking receive; undefined when nothing is queued. */
  recv(buf: Uint8Array): RawSockPacket | undefined;
  /** Calls cb (on this thread's event loop) whenever the socket becomes readable. */
  onReadable(cb: () => void): void;
  close(): void;
}

/** Raw VRRP sockets and the AF_PACKET frame sender (native/rawsock.cc). */
export interface RawSockModule {
  /** protocol: 112 (VRRP, default), 51 (IPsec AH, IPv4: send() then takes the whole IPv4 header, IP_HDRINCL) or 17 (UDP, receive-only copies with the TTL, for BFD). */
  RawSock: new (
    family: 4 | 6,
    ifname: string,
    protocol?: 112 | 51 | 17,
  ) => RawSockHandle;
  /** Sends one complete Ethernet frame (GARP / unsolicited NA) on ifname via AF_PACKET. */
  sendFrame(ifname: string, frame: Uint8Array): number;
}

/** Options of nfqOpen (native/nfqueue.cc). */
export interface NfqOpenOptions {
  /** NFQUEUE number (0-65535). */
  queue: number;
  /** Kernel queue length before packets are dropped, or accepted when failOpen (default 4096). */
  maxLen?: number;
  /** NFQA_CFG_F_FAIL_OPEN: accept instead of drop when the queue is full (default true). */
  failOpen?: boolean;
  /** Bytes of each packet copied to userspace (default: the batch slot's room). */
  copyRange?: number;
  /** NFQA_CFG_F_GSO: take GSO packets unsegmented (default false: larger than a slot, they are dropped). */
  gso?: boolean;
  /** Netlink socket receive buffer in bytes (default 8 MiB, SO_RCVBUFFORCE). */
  rcvbufBytes?: number;
  /** Counters the native code adds to (at least nfqStatCount elements; NfqStat order). */
  stats?: Float64Array;
}

/** Options of afpOpen (native/afpacket.cc). */
export interface AfpOpenOptions {
  /** Interface to receive on (and transmit out of when outIfindex is 0). */
  ifname: string;
  /** PACKET_FANOUT group id (1-65535; 0 = no fanout); all workers on one interface use the same id. */
  fanoutGroup?: number;
  /** Classic BPF program: sock_filter instructions, 8 bytes each (io/bpf.ts builds it). */
  filter?: Uint8Array;
  /**
   * Ring layout (default 2). TPACKET_V2: a wakeup per packet when idle, so nothing waits; TPACKET_V3:
   * block batching, every packet of a quiet flow waits for the block's retire timer (retireMs).
   */
  ringVersion?: 2 | 3;
  /** TPACKET_V2 frame size (multiple of 16, default 2048: a 1500-byte MTU frame and the ring header). */
  frameSizeBytes?: number;
  /** TPACKET_V2 number of frames (default 8192). */
  frameCount?: number;
  /**
   * TPACKET_V2 rx coalescing in µs (default 500; 0 = off): after a walk that found 64 or more packets (kCoalesceMin in native/afpacket-rx.cc)
   * (under load) the worker sleeps this long before the next walk, so batches grow and CPU is freed;
   * a lone packet is never held back.
   */
  coalesceUs?: number;
  /** TPACKET_V3 block size (page multiple, default 1 MiB). */
  blockSizeBytes?: number;
  /** TPACKET_V3 number of ring blocks (default 8). */
  blockCount?: number;
  /** TPACKET_V3 block retire timeout in ms (default 1): the most a packet waits in a partly filled block. */
  retireMs?: number;
  /** PACKET_QDISC_BYPASS for transmit (default true). */
  qdiscBypass?: boolean;
  /** Counters the native code adds to (at least afpStatCount elements; AfpStat order). */
  stats?: Float64Array;
}

/** An open native packet handle (one queue or one ring), owned by the thread that opened it. */
export interface NativeIoHandle {
  /** Unbinds/unmaps and closes the socket (asynchronously, on the owning loop); idempotent. */
  close(): void;
}

/** An open AF_PACKET handle. */
export interface AfpHandle extends NativeIoHandle {
  /** Interface index of the bound interface. */
  readonly ifindex: number;
  /** Reads and resets PACKET_STATISTICS; adds ring drops to stats and returns them. */
  ringStats(): number;
  /** Replaces the BPF filter in place (atomic in the kernel; the ring and fanout membership stay). */
  setFilter(filter: Uint8Array): void;
}

/** Functions of native/nfqueue.cc and native/afpacket.cc (the live data plane). */
export interface NativeIoAddon {
  /** Binds NFQUEUE `queue`; onBatch(count) runs once per received batch, verdicts are sent after it returns. */
  nfqOpen(options: NfqOpenOptions, batch: object, onBatch: (count: number) => void): NativeIoHandle;
  /** Number of counters nfqOpen's stats array needs. */
  nfqStatCount: number;
  /** Opens a TPACKET_V3 ring on an interface; Transmit verdicts are sent after onBatch returns. */
  afpOpen(options: AfpOpenOptions, batch: object, onBatch: (count: number) => void): AfpHandle;
  /** Number of counters afpOpen's stats array needs. */
  afpStatCount: number;
}

/** Options of xskOpen (native/afxdp-open.cc). */
export interface XskOpenOptions {
  /** Interfaces with their XSKMAP fd and the receive queues to open a socket on. */
  interfaces: Array<{ ifname: string; ifindex: number; mapFd: number; queues: number[] }>;
  /** Entries per ring (power of two, default 2048). */
  ringSize?: number;
  /** UMEM frame size (2048 or 4096, default 2048). */
  frameSize?: number;
  /** Interrupt moderation: less than a full batch waits up to this many µs (0 = off, the default; at most 100000). */
  coalesceUs?: number;
  /** Counters the native code adds to (at least xskStatCount elements; XskStat order). */
  stats?: Float64Array;
}

/** An open AF_XDP handle (one worker's sockets and UMEM). */
export interface XskHandle extends NativeIoHandle {
  /** The UMEM region: the buffer of every batch this handle delivers. */
  readonly buf: Uint8Array;
  /** True when the first socket is bound in zero-copy mode. */
  readonly zeroCopy: boolean;
  /** Number of sockets opened. */
  readonly sockets: number;
  /** Adds XDP_STATISTICS deltas to stats; returns the new ring drops. */
  ringStats(): number;
}

/** Functions of native/afxdp-open.cc (the AF_XDP data plane). */
export interface NativeXskAddon {
  /** Opens the sockets; onBatch(count) runs once per batch over the UMEM, transmits after it returns. */
  xskOpen(options: XskOpenOptions, batch: object, onBatch: (count: number) => void): XskHandle;
  /** Number of counters xskOpen's stats array needs. */
  xskStatCount: number;
}

/** Functions of native/xdp.cc (eBPF XDP programs assembled in TypeScript). */
export interface NativeXdpAddon {
  /** Creates the counter map (map -1 when counterSlots is 0), patches its fd into the program, loads it. */
  xdpLoad(insns: Uint8Array, counterSlots: number, mapFd?: number): { prog: number; map: number };
  /** Creates an XSKMAP of `entries` slots (receive queue -> AF_XDP socket). */
  xskMapCreate(entries: number): number;
  /** Replaces a link's program atomically. */
  xdpLinkUpdate(link: number, prog: number): void;
  /** Links the program to an interface (driver or generic XDP); attached while the returned fd is open. */
  xdpLink(prog: number, ifindex: number, skbMode: boolean): number;
  /** Reads each u64 slot of the counter map. */
  xdpCounters(map: number, slots: number): number[];
  /** Closes a program, map or link fd. */
  bpfClose(fd: number): void;
}

/** A signal watcher made by watchSignal (native/sysd.cc). */
export interface SignalWatchHandle {
  /** Stops watching; the signal's previous disposition is restored by libuv when the last watcher goes. */
  close(): void;
}

/** Signals by number and the systemd notify socket (native/sysd.cc). */
export interface SysdModule {
  /** Calls cb(signum) on this thread's event loop on every delivery of signum (any number, real-time ones too). */
  watchSignal(signum: number, cb: (signum: number) => void): SignalWatchHandle;
  /** Sends one sd_notify(3) datagram (e.g. "READY=1") to $NOTIFY_SOCKET; false when there is none. */
  sdNotify(state: string): boolean;
}
