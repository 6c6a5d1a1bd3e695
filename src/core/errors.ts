/**
 * The error vocabulary every layer shares (modelled on undici's lib/core/errors.js): one base class,
 * UlvsError, whose `code` is stable across releases, so scripts and callers branch on `e.code`, never
 * on message text. Each error class users can see extends it with its own code from ERROR_CODES.
 * The messages stay free text (file:line and the fix); the codes never change once released.
 */

/** Every code an ulvs error can carry, one per error class (test/core/errors.test.ts pins them). */
export const ERROR_CODES = {
  /** UlvsError itself: a failure with no more specific class. */
  Generic: 'ULVS_ERR',
  /** A bad command-line argument (cli/command.ts UsageError): usage is printed, exit 2. */
  Usage: 'ULVS_USAGE',
  /** An expected failure the user can fix (cli/command.ts UserError): the message alone, exit 1. */
  User: 'ULVS_USER',
  /** A rejected ipvsadm command or rule change (ipvs/errors.ts IpvsadmError). */
  Ipvsadm: 'ULVS_IPVSADM',
  /** A bad line of an ipvsadm-save rules file (ipvs/rules-text.ts RulesTextError). */
  RulesText: 'ULVS_RULES_TEXT',
  /** A control request the daemon refuses (api/server.ts ApiError). */
  Api: 'ULVS_API',
  /** The daemon answered a control call with an error (api/client.ts ApiCallError). */
  ApiCall: 'ULVS_API_CALL',
  /** The control socket cannot be reached (api/client.ts ApiConnectError). */
  ApiConnect: 'ULVS_API_CONNECT',
  /** The daemon did not start: its configuration has errors (control/daemon.ts DaemonStartError). */
  DaemonStart: 'ULVS_DAEMON_START',
  /** A run-time path (pid file, socket directory) cannot be used (control/runtime-paths.ts RuntimePathError). */
  RuntimePath: 'ULVS_RUNTIME_PATH',
  /** Another daemon already runs in this network namespace (control/runtime-paths.ts DaemonRunningError). */
  DaemonRunning: 'ULVS_DAEMON_RUNNING',
  /** The process lacks root / CAP_NET_ADMIN + CAP_NET_RAW (util/privileges.ts PrivilegeError). */
  NotRoot: 'ULVS_NOT_ROOT',
  /** The N-API addon is not built or does not load (native/addon.ts NativeAddonError). */
  NativeMissing: 'ULVS_NATIVE_MISSING',
  /** A capture file cannot be read or written (io/pcap.ts PcapError). */
  Pcap: 'ULVS_PCAP',
  /** A packet I/O backend cannot be opened or run (io/types.ts IoError). */
  Io: 'ULVS_IO',
} as const;

/** One of the stable error codes. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** The base of every error ulvs shows users: an Error with a stable `code` and the class name as `name`. */
export class UlvsError extends Error {
  /** Stable machine-readable code (one of ERROR_CODES). */
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode = ERROR_CODES.Generic, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True when `e` is an ulvs error with code `code`. */
export function hasErrorCode(e: unknown, code: ErrorCode): e is UlvsError {
  return e instanceof UlvsError && e.code === code;
}

/** A run-time path (pid file, control socket directory) that cannot be created or is unsafe to use. */
export class RuntimePathError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.RuntimePath);
  }
}
