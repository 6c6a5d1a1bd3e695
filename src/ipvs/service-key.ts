/**
 * The one text form of a virtual service key, for map keys, logs and messages:
 * "TCP 10.0.0.1:80", "UDP [2001:db8::1]:53", "SCTP 10.0.0.1:9", "FWM 7", "FWM 7 IPv6".
 */
import type { ServiceKey } from './types.js';

/** A stable, readable string for a service key (IPv6 addresses in brackets, as ipvsadm -L prints them). */
export function serviceKeyText(k: ServiceKey): string {
  if (k.kind === 'fwmark') return `FWM ${k.fwmark}${k.family === 6 ? ' IPv6' : ''}`;
  return `${k.protocol.toUpperCase()} ${k.family === 6 ? `[${k.address}]` : k.address}:${k.port}`;
}

/** "10.0.0.2:80" or "[2001:db8::2]:80": a real server's address and port as messages print them. */
export function addrPortText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
