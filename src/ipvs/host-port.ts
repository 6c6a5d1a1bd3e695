/**
 * ipvsadm's host[:port] arguments (parse_service, string_to_number): IPv4 via inet_aton, IPv6 in
 * brackets with a port, ports numeric or /etc/services names for the service's protocol.
 */
import type { Protocol } from './types.js';
import { inetAton, ipv4Text, ipv6Ntop, ipv6Pton } from './inet.js';
import { serviceToPort } from './services-db.js';

/** string_to_number: strtol with nothing trailing, within [min, max]; -1 otherwise. */
export function stringToNumber(s: string, min: number, max: number): number {
  if (!/^\s*[+-]?\d+$/.test(s)) return -1;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : -1;
}

/** A parsed host[:port] argument. */
export interface Endpoint {
  family: 4 | 6;
  address: string;
  port: number;
  hasPort: boolean;
}

/** parse_service: "host[:port]" or "[v6]:port"; null for SERVICE_NONE. */
export function parseService(buf: string, protocol: Protocol | undefined): Endpoint | null {
  if (/^\d*$/.test(buf)) return null; // str_is_digit (also the empty string)
  let host = buf;
  let portText: string | undefined;
  if (buf.startsWith('[')) {
    const close = buf.indexOf(']');
    if (close < 0 || buf[close + 1] !== ':') return null;
    host = buf.slice(1, close);
    portText = buf.slice(close + 2);
  }
  let family: 4 | 6;
  let address: string;
  const g = ipv6Pton(host);
  if (g) {
    family = 6;
    address = ipv6Ntop(g);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0) {
      portText = host.slice(colon + 1);
      host = host.slice(0, colon);
    }
    const v = inetAton(host);
    if (v === null) return null; // host_to_addr (DNS) is not done
    family = 4;
    address = ipv4Text(v);
  }
  if (portText === undefined) return { family, address, port: 0, hasPort: false };
  let port = stringToNumber(portText, 0, 65535);
  if (port === -1) port = serviceToPort(portText, protocol);
  if (port === -1) return null;
  return { family, address, port, hasPort: true };
}
