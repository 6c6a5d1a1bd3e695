// The typed ipvsadm commands a command line parses to: rule changes, listings, save/restore, sync daemons.
import type { IpvsTimeouts, RealServerSpec, ServiceKey, VirtualServiceSpec } from './types.js';

/** Listing modifiers of -L/-l (and -S's -n). */
export interface ListFormat {
  numeric: boolean;
  connection: boolean;
  timeout: boolean;
  daemon: boolean;
  stats: boolean;
  rate: boolean;
  thresholds: boolean;
  persistentConn: boolean;
  noSort: boolean;
  exact: boolean;
  tunInfo: boolean;
}

/** A virtual service's attributes as -A/-E give them (everything but its real servers). */
export type ServiceAttrs = Omit<VirtualServiceSpec, 'realServers'>;

/** One parsed ipvsadm command. */
export type IpvsCommand =
  | { kind: 'add-service' | 'edit-service'; service: ServiceAttrs }
  | { kind: 'delete-service'; key: ServiceKey }
  | { kind: 'add-server' | 'edit-server'; key: ServiceKey; server: RealServerSpec }
  | { kind: 'delete-server'; key: ServiceKey; address: string; port: number }
  | { kind: 'flush' }
  | { kind: 'zero'; key?: ServiceKey }
  | { kind: 'set-timeouts'; timeouts: IpvsTimeouts }
  | { kind: 'list'; key?: ServiceKey; format: ListFormat }
  | { kind: 'save'; numeric: boolean }
  | { kind: 'restore' }
  | { kind: 'start-daemon' | 'stop-daemon'; state: 'master' | 'backup'; options: Record<string, string> }
  | { kind: 'help' }
  | { kind: 'version' };

/** The commands that change rules (what ipvsadm -R reads and the daemon applies). */
export type RuleCommand = Extract<IpvsCommand, { kind: RuleCommandKind }>;

/** Kinds of the rule-changing commands, zero and --set included. */
export type RuleCommandKind =
  | 'add-service'
  | 'edit-service'
  | 'delete-service'
  | 'add-server'
  | 'edit-server'
  | 'delete-server'
  | 'flush'
  | 'zero'
  | 'set-timeouts';

const RULE_KINDS: ReadonlySet<string> = new Set<RuleCommandKind>([
  'add-service',
  'edit-service',
  'delete-service',
  'add-server',
  'edit-server',
  'delete-server',
  'flush',
  'zero',
  'set-timeouts',
]);

/** True when the command changes rules (or zeroes counters / sets timeouts). */
export function isRuleCommand(c: IpvsCommand): c is RuleCommand {
  return RULE_KINDS.has(c.kind);
}

/** A ListFormat with every modifier off, overridden by `f` (-L without options). */
export function emptyFormat(f: Partial<ListFormat> = {}): ListFormat {
  return {
    numeric: false,
    connection: false,
    timeout: false,
    daemon: false,
    stats: false,
    rate: false,
    thresholds: false,
    persistentConn: false,
    noSort: false,
    exact: false,
    tunInfo: false,
    ...f,
  };
}
