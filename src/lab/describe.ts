/**
 * A human-readable picture of a lab: hosts, their namespaces and addresses.
 */
import type { Lab } from './lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, LAB_UDP_PORT } from './topology.js';

/** Multi-line description of `lab` for `ulvs lab status` and the demo. */
export function describeLab(lab: Lab): string {
  const lines = [
    `lab '${lab.id}':  client --- router --- [lan bridge] --- lb1 lb2 (directors), rs1..rs${lab.byRole('realserver').length} (real servers)`,
    `  VIP ${LAB_ADDR.vip4} / ${LAB_ADDR.vip6}   NAT gateway VIP ${LAB_ADDR.natGateway4}   real servers answer HTTP :${LAB_HTTP_PORT} and UDP :${LAB_UDP_PORT} with their name`,
  ];
  for (const n of lab.nodes) {
    const ifs = n.ifaces.map((i) => `${i.name} ${i.v4} ${i.v6}`).join('; ');
    lines.push(`  ${n.name.padEnd(6)} ${n.role.padEnd(10)} netns ${lab.ns(n.name).padEnd(22)} ${ifs}`);
  }
  lines.push(`  run a command in a host: ip netns exec ${lab.ns('client')} curl http://${LAB_ADDR.vip4}/`);
  return lines.join('\n');
}
