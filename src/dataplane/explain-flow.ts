/**
 * The flow `ulvs explain` asks about: parsed from its command line (`tcp 198.51.100.7:40000
 * 198.18.0.100:80 [--flags S]`) and checked again where the daemon receives it over the socket.
 */
import { ipWords } from '../core/addr.js';
import { parseTcpFlags } from '../packet/flow-frame.js';

/** A packet to explain: its 5-tuple, TCP flags and mark. */
export interface ExplainFlow {
  /** 6 TCP, 17 UDP, 132 SCTP. */
  proto: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** TCP flags byte (default SYN). */
  tcpFlags?: number;
  fwmark?: number;
  /** Also explain the real server's answer (NAT: it comes back through the director). */
  reply?: boolean;
}

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };

/** Splits "ADDR:PORT" or "[V6ADDR]:PORT" into address and port; undefined when it is neither. */
export function splitEndpoint(text: string): { address: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (!ipWords(m[1]!) || port > 65535) return undefined;
  return { address: m[1]!, port };
}

/** Parses `PROTO CLIENT:PORT VIP:PORT` (+ optional TCP flags letters and fwmark) into a flow, or says what is wrong. */
export function parseExplainFlow(proto: string, client: string, vip: string, flags?: string, fwmark?: string): ExplainFlow | string {
  const p = PROTOS[proto.toLowerCase()];
  if (p === undefined) return `protocol must be tcp, udp or sctp, got '${proto}'`;
  const c = splitEndpoint(client);
  if (!c) return `client must be ADDRESS:PORT (or [IPv6]:PORT), got '${client}'`;
  const v = splitEndpoint(vip);
  if (!v) return `virtual service must be ADDRESS:PORT (or [IPv6]:PORT), got '${vip}'`;
  if (c.address.includes(':') !== v.address.includes(':')) return `${c.address} and ${v.address} are of different address families`;
  const f: ExplainFlow = { proto: p, src: c.address, sport: c.port, dst: v.address, dport: v.port };
  if (flags !== undefined) {
    if (p !== 6) return '--flags is for tcp only';
    const n = parseTcpFlags(flags);
    if (n === undefined) return `--flags: expected TCP flag letters like S, SA, A, FA, R, got '${flags}'`;
    f.tcpFlags = n;
  }
  if (fwmark !== undefined) {
    if (!/^\d+$/.test(fwmark) || Number(fwmark) > 0xffffffff) return `--fwmark: expected a number, got '${fwmark}'`;
    f.fwmark = Number(fwmark);
  }
  return f;
}

/** Checks a flow received over the control socket; returns it typed, or a message. */
export function checkExplainFlow(x: unknown): ExplainFlow | string {
  if (typeof x !== 'object' || x === null) return 'explain needs params.flow: {proto, src, sport, dst, dport}';
  const f = x as Record<string, unknown>;
  const port = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535;
  if (f.proto !== 6 && f.proto !== 17 && f.proto !== 132) return 'params.flow.proto must be 6, 17 or 132';
  if (typeof f.src !== 'string' || !ipWords(f.src) || typeof f.dst !== 'string' || !ipWords(f.dst)) return 'params.flow.src and .dst must be IP addresses';
  if (f.src.includes(':') !== f.dst.includes(':')) return 'params.flow.src and .dst must be of one address family';
  if (!port(f.sport) || !port(f.dport)) return 'params.flow.sport and .dport must be ports 0..65535';
  if (f.tcpFlags !== undefined && !(Number.isInteger(f.tcpFlags) && (f.tcpFlags as number) >= 0 && (f.tcpFlags as number) <= 255))
    return 'params.flow.tcpFlags must be a byte';
  if (f.fwmark !== undefined && !(Number.isInteger(f.fwmark) && (f.fwmark as number) >= 0 && (f.fwmark as number) <= 0xffffffff))
    return 'params.flow.fwmark must be a u32';
  return {
    proto: f.proto,
    src: f.src,
    sport: f.sport as number,
    dst: f.dst,
    dport: f.dport as number,
    tcpFlags: f.tcpFlags as number | undefined,
    fwmark: f.fwmark as number | undefined,
  };
}
