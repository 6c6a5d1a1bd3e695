/**
 * The control-socket protocol: JSON lines over a Unix stream socket. Each request is one line
 * `{"v":1,"id":N,"method":M,"params":{...}}`; each answer is one line `{"v":1,"id":N,"ok":true,"result":…}`
 * or `{"v":1,"id":N,"ok":false,"error":{"code":C,"message":S}}`. Version 1 methods are listed in METHODS.
 */
import type { RuleOp } from '../control/rule-table.js';
import type { ExplainFlow } from '../control/ports.js';

/** Protocol version this build speaks. */
export const PROTOCOL_VERSION = 1;

/** Longest request line accepted, in bytes; a longer one closes the connection. */
export const MAX_LINE_BYTES = 1 << 20;

/** Methods of protocol version 1, and whether each changes the daemon. */
export const METHODS = {
  /** IpvsListing: services, real servers, counters, rates, timeouts. */
  list: { mutates: false },
  /** ConnectionEntry[]: the connection table. */
  connections: { mutates: false },
  /** Daemon status: pid, config file, uptime, data plane, VRRP instances, health, last reload. */
  status: { mutates: false },
  /**
   * Applies one ipvsadm rule change (params.op: RuleOp, including zero and set-timeouts), or a batch
   * (params.ops: RuleOp[], for -R: applied in order, published once, one result per change).
   */
  apply: { mutates: true },
  /** Re-reads the configuration file (params.file optional); answers with the reload report. */
  reload: { mutates: true },
  /** Starts a connection sync daemon (params.state master|backup, params.options as ulvsadm parsed them). */
  'sync-start': { mutates: true },
  /** Stops the connection sync daemon of params.state. */
  'sync-stop': { mutates: true },
  /** Explanation: what the data plane does with one packet of params.flow (an ExplainFlow) or sampled packet params.sample, run on a copy. */
  explain: { mutates: false },
  /** The live packet sampling rate and the newest samples: { rate, samples: SampleView[] }. */
  samples: { mutates: false },
  /** Sets live packet sampling to params.rate packets a second per worker (0 = off). */
  sampling: { mutates: true },
  /** ulvs_bgp: withdraws every VIP, waits until the traffic moved, answers, then the daemon stops. */
  drain: { mutates: true },
} as const;

/** A method name. */
export type Method = keyof typeof METHODS;

/** One request line. */
export interface ApiRequest {
  v: number;
  id: number | string;
  method: Method;
  params?: { op?: RuleOp; ops?: RuleOp[]; file?: string; state?: string; options?: Record<string, string>; flow?: ExplainFlow; sample?: number; rate?: number };
}

/** Outcome of one change of a batch apply. */
export type OpResult = { ok: true } | { ok: false; errno: string; message: string };

/** Machine codes of API errors. */
export type ApiErrorCode = 'bad-request' | 'bad-version' | 'unknown-method' | 'ipvs' | 'reload-failed' | 'forbidden' | 'internal' | 'busy';

/** One answer line. */
export type ApiResponse =
  | { v: number; id: number | string | null; ok: true; result: unknown }
  | { v: number; id: number | string | null; ok: false; error: { code: ApiErrorCode; message: string; errno?: string } };

/** Validates a parsed line as a request; returns an error message for anything else. */
export function checkRequest(x: unknown): ApiRequest | string {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return 'a request must be a JSON object';
  const r = x as Record<string, unknown>;
  if (typeof r.id !== 'number' && typeof r.id !== 'string') return 'a request needs an "id" (number or string)';
  if (r.v !== PROTOCOL_VERSION) return `unsupported protocol version ${JSON.stringify(r.v)}; this daemon speaks v${PROTOCOL_VERSION}`;
  if (typeof r.method !== 'string' || !Object.hasOwn(METHODS, r.method)) return `unknown method ${JSON.stringify(r.method)}`;
  if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null)) return '"params" must be an object';
  return r as unknown as ApiRequest;
}
