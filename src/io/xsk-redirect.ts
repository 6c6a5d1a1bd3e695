/**
 * The AF_XDP backend's kernel side, owned by the main thread: per director interface an XSKMAP (one
 * slot per receive queue, filled by the workers' sockets) and the redirect program of
 * io/xsk-program.ts linked in the driver (native XDP; veth has it) or, where the driver has none, in the
 * generic hook. A new rule set swaps every interface's program atomically (BPF_LINK_UPDATE): the
 * maps, the sockets in them and every frame in flight stay. The programs go away with the link fds,
 * so also when the process dies.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { loadNative } from '../native/addon.js';
import type { NativeXdpAddon } from '../native/types.js';
import { ifindexOf } from './afpacket.js';
import { IoError, XskUnavailableError } from './types.js';
import { macBytes, type XskRedirectSpec, xskProgram } from './xsk-program.js';

/** How a program is attached: in the driver (native XDP) or in the generic hook. */
export type XdpAttachMode = 'native' | 'generic';

/** One director interface's map and link. */
export interface XskInterface {
  ifname: string;
  ifindex: number;
  /** The XSKMAP the workers put their sockets in (key = receive queue). */
  mapFd: number;
  /** Receive queues of the device (each gets one socket, owned by worker queue % workers). */
  queues: number;
  mode: XdpAttachMode;
  link: number;
  /** The device's MAC (frames to other hosts' MACs pass to the kernel); undefined where sysfs does not say. */
  mac?: Uint8Array;
}

/** errno values of bpf() that mean XDP is not available to this process or device: EPERM, ENOSYS, EOPNOTSUPP (95), ENOTSUPP (524). */
const UNAVAILABLE_ERRNOS = new Set([1, 38, 95, 524]);

/** The MAC of `ifname` from sysfs, or undefined. */
function macOf(ifname: string): Uint8Array | undefined {
  try {
    return macBytes(readFileSync(`/sys/class/net/${ifname}/address`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Number of receive queues of `ifname` (1 when sysfs does not say). */
export function rxQueueCount(ifname: string): number {
  try {
    return Math.max(1, readdirSync(`/sys/class/net/${ifname}/queues`).filter((q) => q.startsWith('rx-')).length);
  } catch {
    return 1;
  }
}

/** The XDP programs and XSKMAPs of every director interface. */
export class XskRedirect {
  private closed = false;

  private constructor(
    private readonly native: NativeXdpAddon,
    /** One entry per interface, in the order given. */
    readonly interfaces: XskInterface[],
  ) {}

  /** Creates the maps and links the program for `spec` to every interface; throws one sentence (everything undone) when it cannot. */
  static attach(ifnames: string[], spec: XskRedirectSpec): XskRedirect {
    const native = loadNative() as unknown as NativeXdpAddon;
    if (typeof native.xskMapCreate !== 'function') throw new IoError('the native addon has no AF_XDP support: rebuild it with npm rebuild');
    const r = new XskRedirect(native, []);
    try {
      for (const ifname of ifnames) {
        const ifindex = ifindexOf(ifname);
        if (!ifindex) throw new IoError(`AF_XDP: no interface ${ifname}`);
        const queues = rxQueueCount(ifname);
        const mapFd = native.xskMapCreate(queues);
        const entry: XskInterface = { ifname, ifindex, mapFd, queues, mode: 'native', link: -1, mac: macOf(ifname) };
        r.interfaces.push(entry);
        const { prog } = native.xdpLoad(xskProgram(spec, entry.mac), 0, mapFd);
        try {
          try {
            entry.link = native.xdpLink(prog, ifindex, false);
          } catch {
            entry.mode = 'generic';
            entry.link = native.xdpLink(prog, ifindex, true);
          }
        } finally {
          native.bpfClose(prog);
        }
      }
    } catch (e) {
      r.close();
      if (e instanceof IoError) throw e;
      // No bpf() or XDP for this process or device: the host cannot run AF_XDP. A refused program is a bug.
      const errno = (e as { errno?: number }).errno;
      const Err = errno !== undefined && UNAVAILABLE_ERRNOS.has(errno) ? XskUnavailableError : IoError;
      throw new Err(`AF_XDP: ${(e as Error).message}`);
    }
    return r;
  }

  /** Swaps every interface's program for one that redirects `spec` (atomic per interface). */
  update(spec: XskRedirectSpec): void {
    if (this.closed) return;
    for (const i of this.interfaces) {
      const { prog } = this.native.xdpLoad(xskProgram(spec, i.mac), 0, i.mapFd);
      try {
        this.native.xdpLinkUpdate(i.link, prog);
      } finally {
        this.native.bpfClose(prog);
      }
    }
  }

  /** Detaches every program and closes the maps; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const i of this.interfaces) {
      if (i.link >= 0) this.native.bpfClose(i.link);
      this.native.bpfClose(i.mapFd);
    }
  }
}
