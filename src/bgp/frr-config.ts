/**
 * What ulvs tells FRR's bgpd, as text: the startup configuration of a director's bgpd (sessions only,
 * no routes) and the vtysh command lines that announce (`network P`) or withdraw (`no network P`) VIPs.
 * Pure: src/bgp/bgpd.ts runs bgpd and vtysh with these.
 */
import { isIPv6 } from 'node:net';
import type { BgpConfig } from './types.js';

/** The bgpd.conf of a director: one `router bgp`, its neighbors with their timers, no network yet. */
export function bgpdConfig(c: BgpConfig): string {
  const l: string[] = ['frr defaults datacenter', 'hostname ulvs', '!', `router bgp ${c.localAs}`, ` bgp router-id ${c.routerId}`];
  // The VIPs are announced while in service whether or not this host routes them (no zebra here), and
  // eBGP sends them without a policy: ulvs decides what is announced, bgpd only speaks the protocol.
  l.push(' no bgp network import-check', ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast');
  for (const n of c.neighbors) {
    l.push(` neighbor ${n.address} remote-as ${n.remoteAs}`);
    l.push(` neighbor ${n.address} timers ${n.keepaliveS} ${n.holdTimeS}`);
    l.push(` neighbor ${n.address} timers connect ${n.connectRetryS}`);
    l.push(` neighbor ${n.address} advertisement-interval 0`);
    if (n.sourceIp) l.push(` neighbor ${n.address} update-source ${n.sourceIp}`);
  }
  for (const fam of [4, 6] as const) {
    const peers = c.neighbors.filter((n) => isIPv6(n.address) === (fam === 6));
    if (!peers.length) continue;
    l.push(` address-family ipv${fam} unicast`);
    for (const n of peers) l.push(`  neighbor ${n.address} activate`);
    l.push(' exit-address-family');
  }
  l.push('!', 'line vty', '!', '');
  return l.join('\n');
}

/** vtysh `-c` lines that announce `add` and withdraw `remove` (host prefixes) in one configuration session. */
export function networkCommands(c: BgpConfig, add: readonly string[], remove: readonly string[]): string[] {
  const out = ['configure terminal', `router bgp ${c.localAs}`];
  for (const fam of [4, 6] as const) {
    const mine = (p: string): boolean => isIPv6(p.split('/')[0]!) === (fam === 6);
    const lines = [...add.filter(mine).map((p) => `network ${p}`), ...remove.filter(mine).map((p) => `no network ${p}`)];
    if (!lines.length) continue;
    out.push(`address-family ipv${fam} unicast`, ...lines, 'exit-address-family');
  }
  out.push('end');
  return out;
}
