/**
 * The director's interfaces when `ulvs run -f FILE` is given no --iface, as keepalived needs none: the
 * VRRP instances' `interface`s, then the devices the routing table uses to reach each virtual address
 * and each real server (`ip route get`). Order: the first is where DR routes and the data plane's VIPs go.
 */
import { run } from '../util/exec.js';
import type { VirtualServiceSpec } from '../ipvs/types.js';

/** The device `ip route get ADDR` names (undefined when there is no route, or it is a local address on lo). */
export async function routeDevice(address: string): Promise<string | undefined> {
  const r = await run(['ip', address.includes(':') ? '-6' : '-4', '-o', 'route', 'get', address], { timeoutMs: 3000 });
  if (r.code !== 0) return undefined;
  const dev = / dev (\S+)/.exec(r.stdout)?.[1];
  return dev === 'lo' ? undefined : dev;
}

/** Interfaces for the data plane from a loaded model: VRRP interfaces first, then routes to real servers and VIPs. */
export async function inferInterfaces(services: VirtualServiceSpec[], vrrpInterfaces: string[]): Promise<string[]> {
  const out: string[] = [];
  const add = (d: string | undefined): void => {
    if (d && !out.includes(d)) out.push(d);
  };
  for (const i of vrrpInterfaces) add(i);
  for (const s of services) for (const rs of s.realServers) add(await routeDevice(rs.address));
  for (const s of services) if (s.key.kind === 'addr') add(await routeDevice(s.key.address));
  return out;
}
