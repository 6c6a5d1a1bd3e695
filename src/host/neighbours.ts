/**
 * Active neighbour resolution for the AF_PACKET data plane, which transmits past the kernel's
 * neighbour layer and so never makes the kernel resolve or re-confirm anything by itself. For every
 * next hop ulvs transmits to (real servers, gateways, on-link clients the workers report as misses):
 * the egress device comes from the routing table (`ip route get`), the kernel is made to resolve it
 * (`ip neigh replace ADDR dev DEV use`: NTF_USE, the kernel's own ARP request / Neighbor
 * Solicitation, or a unicast probe of a stale entry), and `ip monitor neigh` reports every change of
 * the neighbour table so a new or changed MAC is published at once. Next hops are used again every
 * `probeIntervalMs`, so a stale entry gets re-probed as the kernel does for its own traffic, and a
 * MAC that changed without an announcement is found when the probe of the old one fails.
 * Control-path code: `ip` processes per change, never per packet.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { run } from '../util/exec.js';

/** Options of a NeighbourTracker. */
export interface NeighbourTrackerOptions {
  /** Director interfaces: only next hops routed out of these are resolved. */
  interfaces: string[];
  /** Called (debounced) when the neighbour table changed or new next hops are wanted. */
  onChange: () => void;
  log: (line: string) => void;
  /** Re-use period of every tracked next hop (default 5000 ms). */
  probeIntervalMs?: number;
  /** On-link clients tracked at most (default 4096; the oldest is forgotten first). */
  maxClients?: number;
}

/** Debounce of neighbour events before onChange (ms). */
const SETTLE_MS = 20;
/** How long a next hop's egress device (from `ip route get`) is reused before it is looked up again. */
const ROUTE_CACHE_MS = 30000;

/** The device an on-link next hop `a` is reached on ('' when it is behind a gateway or not out of `interfaces`). */
async function onLinkDevice(a: string, interfaces: string[], cache?: Map<string, { dev: string; atMs: number }>): Promise<string> {
  const now = Date.now();
  const known = cache?.get(a);
  if (known && now - known.atMs < ROUTE_CACHE_MS) return known.dev;
  const r = await run(['ip', '-j', 'route', 'get', a], { timeoutMs: 3000 });
  let dev = '';
  try {
    const [route] = JSON.parse(r.stdout || '[]') as Array<{ dev?: string; gateway?: string }>;
    // Only an on-link address is its own next hop; one behind a gateway is resolved as that gateway.
    if (route?.dev && !route.gateway && interfaces.includes(route.dev)) dev = route.dev;
  } catch {
    dev = '';
  }
  if (cache) {
    if (cache.size > 8192) cache.clear();
    cache.set(a, { dev, atMs: now });
  }
  return dev;
}

/**
 * Makes the kernel resolve (or re-confirm) the on-link next hops among `addresses` with NTF_USE, in one
 * `ip -batch`; returns an error sentence or ''.
 */
export async function useNeighbours(addresses: string[], interfaces: string[], cache?: Map<string, { dev: string; atMs: number }>): Promise<string> {
  const lines: string[] = [];
  for (const a of addresses) {
    const dev = await onLinkDevice(a, interfaces, cache);
    if (dev) lines.push(`neigh replace ${a} dev ${dev} use`);
  }
  if (!lines.length) return '';
  const r = await run(['ip', '-force', '-batch', '-'], { input: lines.join('\n') + '\n', timeoutMs: 5000 });
  return r.code === 0 ? '' : (r.stderr.trim().split('\n')[0] ?? `ip exited ${r.code}`);
}

/** Keeps the kernel's neighbour entries of every next hop resolved and reports their changes. */
export class NeighbourTracker {
  private fixed: string[] = [];
  /** On-link clients the workers dropped packets for, by when they were last wanted. */
  private readonly clients = new Map<string, number>();
  /** Egress device (or '' when not out of a director interface) of each next hop, and when it was looked up. */
  private readonly devOf = new Map<string, { dev: string; atMs: number }>();
  private monitor?: ChildProcess;
  private timer?: NodeJS.Timeout;
  private settle?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly o: NeighbourTrackerOptions) {}

  /** Starts `ip monitor neigh` and the periodic re-use of every next hop. */
  start(): void {
    this.watch();
    this.timer = setInterval(() => void this.resolve(this.nextHops()), this.o.probeIntervalMs ?? 5000);
    this.timer.unref();
  }

  /** Sets the next hops known from the rules and routes (real servers, gateways) and resolves new ones. */
  setFixed(addresses: string[]): void {
    const added = addresses.filter((a) => !this.fixed.includes(a));
    this.fixed = [...addresses];
    if (added.length) void this.resolve(added);
  }

  /** Next hops workers could not transmit to: tracks them from now on and resolves them at once. */
  want(addresses: string[]): void {
    const now = Date.now();
    const fresh: string[] = [];
    for (const a of addresses) {
      if (!this.fixed.includes(a) && !this.clients.has(a)) fresh.push(a);
      this.clients.delete(a);
      this.clients.set(a, now);
    }
    const max = this.o.maxClients ?? 4096;
    for (const a of this.clients.keys()) {
      if (this.clients.size <= max) break;
      this.clients.delete(a);
    }
    void this.resolve(addresses);
    if (fresh.length) this.changed();
  }

  /** Every tracked next hop: the fixed ones, then on-link clients. */
  nextHops(): string[] {
    return [...new Set([...this.fixed, ...this.clients.keys()])];
  }

  /** Makes the kernel resolve (or re-confirm) `addresses` on their egress devices. */
  async resolve(addresses: string[]): Promise<void> {
    if (this.stopped) return;
    const err = await useNeighbours(addresses, this.o.interfaces, this.devOf);
    if (err) this.o.log(`neighbour resolution: ${err}`);
  }

  /** Stops the monitor and the timers. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.settle) clearTimeout(this.settle);
    if (this.monitor?.pid && this.monitor.exitCode === null) this.monitor.kill('SIGTERM');
    this.monitor = undefined;
  }

  private changed(): void {
    if (this.stopped || this.settle) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      if (!this.stopped) this.o.onChange();
    }, SETTLE_MS);
    this.settle.unref();
  }

  private watch(): void {
    const child = spawn('ip', ['monitor', 'neigh'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.monitor = child;
    child.stdout!.on('data', () => this.changed());
    child.on('error', (e) => this.o.log(`'ip monitor neigh' failed (${e.message}): neighbour changes are seen by the periodic refresh only`));
    child.on('exit', (code) => {
      if (this.stopped || this.monitor !== child) return;
      this.o.log(`'ip monitor neigh' exited (${code}); restarting it`);
      setTimeout(() => {
        if (!this.stopped) this.watch();
      }, 1000).unref();
    });
  }
}
