/**
 * Connectivity checks of the lab: the client reaches every real server directly (before any load
 * balancer is involved), by HTTP over IPv4 and IPv6.
 */
import type { Lab } from './lab.js';
import { addr4, addr6, LAB_HTTP_PORT } from './topology.js';

/** One probe: which host was asked, over which family, and who answered (empty when none). */
export interface Probe {
  target: string;
  address: string;
  answeredBy: string;
}

/** Asks every real server directly from the client with curl; returns one Probe per server and family. */
export async function probeRealServers(lab: Lab): Promise<Probe[]> {
  const probes: Probe[] = [];
  for (const rs of lab.byRole('realserver')) {
    for (const address of [addr4(rs), `[${addr6(rs)}]`]) {
      const r = await lab.exec('client', ['curl', '-s', '-m', '3', `http://${address}:${LAB_HTTP_PORT}/`], { timeoutMs: 5000 });
      probes.push({ target: rs.name, address, answeredBy: r.code === 0 ? r.stdout.trim() : '' });
    }
  }
  return probes;
}
