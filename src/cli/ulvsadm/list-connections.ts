/**
 * `ulvsadm -L -c [-n] [--persistent-conn]`: the connection table as ipvsadm 1.31 prints it from
 * /proc/net/ip_vs_conn (list_conn and print_conn in ipvsadm.c), byte for byte.
 */
import type { ConnectionEntry } from '../../control/types.js';
import type { ListFormat } from '../../ipvs/command-types.js';
import { addrPort } from './format.js';

/** "MM:SS" as print_conn formats the expiry (minutes may pass 99). */
export function expireText(expiresS: number): string {
  const s = Math.max(0, Math.floor(expiresS));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** list_conn: header then one row per entry. */
export function listConnectionsText(conns: ConnectionEntry[], f: ListFormat): string {
  let out = 'IPVS connection entries\n';
  if (f.persistentConn)
    out += `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} ${'destination'.padEnd(18)} ${'pe name'.padEnd(16)} pe_data\n`;
  else out += `pro expire ${'state'.padEnd(11)} ${'source'.padEnd(18)} ${'virtual'.padEnd(18)} destination\n`;
  for (const c of conns) {
    const proto = c.protocol.toUpperCase();
    const cname = addrPort(c.family, c.clientAddress, c.clientPort, c.protocol, f.numeric);
    const vname = addrPort(c.family, c.virtualAddress, c.virtualPort, c.protocol, f.numeric);
    const dname = addrPort(c.destFamily, c.destAddress, c.destPort, c.protocol, f.numeric);
    const head = `${proto.padEnd(3)} ${expireText(c.expiresS).padEnd(6)} ${c.state.padEnd(11)} ${cname.padEnd(18)} ${vname.padEnd(18)} `;
    if (f.persistentConn && c.peName) out += `${head}${dname.padEnd(16)} ${c.peName.padEnd(18)} ${c.peData}\n`;
    else out += `${head}${dname}\n`;
  }
  return out;
}
