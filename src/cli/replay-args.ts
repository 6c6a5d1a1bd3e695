/**
 * `ulvs replay`'s command line and the shapes its engine (commands/replay.ts) and the replay dashboard
 * (replay-dashboard.ts) share: the options, one packet's fate, the replay's state at a packet.
 */
import type { DashReplayPacket } from '../dashboard/source.js';
import { UsageError } from './command.js';
import { DEFAULT_PLACEHOLDER_MAC } from '../dataplane/snapshot.js';
import type { SnapshotSpec } from '../dataplane/snapshot-types.js';
import type { IpvsRules } from '../ipvs/types.js';
import { formatIpWords, ipWords, parseMac } from '../packet/addr.js';
import type { SharedState } from '../table/shared-state.js';

/** Where `ulvs replay --dashboard` serves by default (next to the daemon's 127.0.0.1:9406). */
export const DEFAULT_REPLAY_DASHBOARD = '127.0.0.1:9407';

/** The usage text of `ulvs replay`. */
export const REPLAY_USAGE = `usage: ulvs replay --rules RULES --in IN.pcap --out OUT.pcap [--neigh IP=MAC ...] [--local-ip IP]
                   [--mtu N] [--mac MAC] [--report FILE] [--max-conns N] [--explain N [--json]]
       ulvs replay --rules RULES --in IN.pcap --dashboard [--listen ADDR] [--out OUT.pcap] [...]

Runs the ulvs forwarding pipeline over a capture, as a director would see it.
  --rules RULES     ipvsadm-save rules (-A/-a lines, as 'ipvsadm-save -n' prints them)
  --in IN.pcap      input capture (pcap; Ethernet or raw IP link type), processed in file order;
                    the pcap timestamps are the clock (timeouts and persistence follow them)
  --out OUT.pcap    what the director transmits, in order, as Ethernet frames
  --neigh IP=MAC    neighbour entry for a real server or client (repeatable); a next hop without
                    one gets the placeholder MAC ${DEFAULT_PLACEHOLDER_MAC}
  --local-ip IP     director address (repeatable; the TUN outer source, one per family)
  --mtu N           MTU of the director's interfaces (default 1500): TUN frag-needed / Packet Too Big
  --mac MAC         the director's MAC (default: destination MAC of the first input frame)
  --report FILE     one JSON line per input packet: its fate (transmitted to which real server,
                    passed to the kernel, dropped and why)
  --max-conns N     connection table size (default 262144)
  --explain N       replay up to input packet N (1 = the first) and print, step by step, what the
                    director does with packet N (service, connection, scheduler, rewrite, verdict);
                    --json prints it as one JSON object
  --dashboard       replay the capture, then serve the web dashboard for it (read only, until Ctrl-C):
                    the capture's packets (time, 5-tuple, flags, verdict, real server), and a click on
                    one walks it as the replay saw it (the table as the packets before it left it);
                    the services with their counters and the connection table as the capture ends
  --listen ADDR     the dashboard's address (default ${DEFAULT_REPLAY_DASHBOARD}; loopback unless told)`;

/** One input packet's fate, as the replay's onPacket hook and the dashboard's packet list see it (one shape: the dashboard's). */
export type ReplayPacket = DashReplayPacket;

/** The replay's table and rules (at a packet, or when the capture ends). */
export interface ReplayState {
  state: SharedState;
  spec: SnapshotSpec;
  rules: IpvsRules;
  /** The director's MAC (a made-up packet's destination) and interface names by ifindex. */
  directorMac: string;
  ifnames: Record<number, string>;
  /** The capture's clock at this point. */
  nowMs: number;
}

/** Parsed command line of `ulvs replay`. */
export interface ReplayOptions {
  rules: string;
  in: string;
  out: string;
  neigh: Record<string, string>;
  localIps: string[];
  mtu: number;
  mac?: string;
  report?: string;
  maxConns: number;
  /** Explain input packet N (1-based) and stop there. */
  explain?: number;
  /** Print the explanation as JSON. */
  json?: boolean;
  /** With explain: also explain a NAT real server's answer through the same copy (the packet walk). */
  reply?: boolean;
  /** One packet per batch, so each packet meets exactly the table the packets before it left (explain does so too). */
  onePerBatch?: boolean;
  /** Called after each input packet with its fate and the replay's state at that point. */
  onPacket?: (p: ReplayPacket, at: ReplayState) => void;
  /** Serve the dashboard for the replay (`--dashboard`), on `listen`. */
  dashboard?: boolean;
  listen?: string;
}

/** Parses `ulvs replay` arguments; throws UsageError. */
export function parseReplayArgs(argv: string[]): ReplayOptions {
  const o: Partial<ReplayOptions> & { neigh: Record<string, string>; localIps: string[] } = { neigh: {}, localIps: [] };
  let mtu = 1500;
  let maxConns = 262144;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const value = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    switch (name) {
      case '--rules':
        o.rules = value();
        break;
      case '--in':
        o.in = value();
        break;
      case '--out':
        o.out = value();
        break;
      case '--report':
        o.report = value();
        break;
      case '--mac': {
        const v = value();
        if (!parseMac(v)) throw new UsageError(`--mac: expected a MAC address like 02:00:00:00:00:01, got '${v}'`);
        o.mac = v;
        break;
      }
      case '--local-ip': {
        const v = value();
        if (!ipWords(v)) throw new UsageError(`--local-ip: expected an IPv4 or IPv6 address, got '${v}'`);
        o.localIps.push(v);
        break;
      }
      case '--neigh': {
        const v = value();
        const at = v.lastIndexOf('=');
        const ip = at > 0 ? v.slice(0, at) : '';
        const mac = at > 0 ? v.slice(at + 1) : '';
        if (!ipWords(ip) || !parseMac(mac)) throw new UsageError(`--neigh: expected IP=MAC like 10.0.0.11=02:00:00:00:00:11, got '${v}'`);
        o.neigh[formatIpWords(ipWords(ip)!.words, ipWords(ip)!.family)] = mac;
        break;
      }
      case '--mtu': {
        const v = value();
        mtu = Number(v);
        if (!/^\d+$/.test(v) || mtu < 68 || mtu > 65535) throw new UsageError(`--mtu: expected a number 68..65535, got '${v}'`);
        break;
      }
      case '--explain': {
        const v = value();
        if (!/^[1-9]\d*$/.test(v)) throw new UsageError(`--explain: expected a packet number (1 = the first), got '${v}'`);
        o.explain = Number(v);
        break;
      }
      case '--json':
        o.json = true;
        break;
      case '--dashboard':
        o.dashboard = true;
        break;
      case '--listen':
        o.listen = value();
        break;
      case '--max-conns': {
        const v = value();
        maxConns = Number(v);
        if (!/^\d+$/.test(v) || maxConns < 16 || maxConns > 1 << 26) throw new UsageError(`--max-conns: expected a number 16..67108864, got '${v}'`);
        break;
      }
      default:
        throw new UsageError(`unknown option '${a}'`);
    }
  }
  if (o.listen !== undefined && !o.dashboard) throw new UsageError('--listen is the address of --dashboard; add --dashboard');
  if (o.dashboard && o.explain !== undefined) throw new UsageError('--dashboard and --explain: pick one (the dashboard walks any packet you click)');
  if ((o.explain !== undefined || o.dashboard) && !o.out) o.out = '/dev/null';
  for (const req of ['rules', 'in', 'out'] as const) if (!o[req]) throw new UsageError(`--${req} is required`);
  return { ...(o as ReplayOptions), mtu, maxConns };
}
