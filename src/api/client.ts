/**
 * Control socket client used by ulvsadm and `ulvs reload|status`: one connection, requests answered in
 * order. Errors the user can act on (no daemon, permission) become one clear sentence.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import net from 'node:net';
import { PROTOCOL_VERSION, type ApiRequest, type ApiResponse, type Method } from './protocol.js';

/** The daemon answered with an error. */
export class ApiCallError extends UlvsError {
  constructor(
    readonly apiCode: string,
    message: string,
    readonly errno?: string,
  ) {
    super(message, ERROR_CODES.ApiCall);
  }
}

/** The socket cannot be reached. */
export class ApiConnectError extends UlvsError {
  constructor(
    message: string,
    readonly errnoCode?: string,
  ) {
    super(message, ERROR_CODES.ApiConnect);
  }
}

/** How often a connection the daemon closed before answering anything is made again (see ControlClient). */
const RECONNECTS = 5;

/** A connected control client. */
export class ControlClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { line: string; resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Whether the daemon has answered anything on this connection. */
  private answered = false;
  private reconnects = 0;

  private constructor(
    private sock: net.Socket,
    private readonly socketPath: string,
  ) {
    this.attach(sock);
  }

  /**
   * Wires a socket. When the daemon closes it before answering anything, the requests were not read:
   * a full control socket makes room by closing its oldest idle client, and under a connection flood
   * a client that has just connected can be that one before its first request is read. Then the
   * connection is made again and the requests are sent again (a few times, with backoff); any other
   * failure rejects every pending request.
   */
  private attach(sock: net.Socket): void {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    let failed = false;
    const fail = (e: Error): void => {
      if (failed || sock !== this.sock) return;
      failed = true;
      if (!this.answered && this.pending.size > 0 && this.reconnects < RECONNECTS) {
        this.reconnects++;
        setTimeout(() => void this.redo(e), 25 << this.reconnects);
        return;
      }
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    sock.on('error', (e) => fail(new ApiConnectError(`control socket error: ${e.message}`)));
    sock.on('close', () => fail(new ApiConnectError('the daemon closed the control connection')));
  }

  /** Connects again and sends the pending requests again; rejects them with `why` if that fails. */
  private async redo(why: Error): Promise<void> {
    try {
      const sock = await openSocket(this.socketPath, 5000);
      this.sock = sock;
      this.buf = '';
      this.attach(sock);
      for (const p of this.pending.values()) sock.write(p.line);
    } catch {
      for (const p of this.pending.values()) p.reject(why);
      this.pending.clear();
    }
  }

  /** Connects to the daemon's socket. */
  static async connect(socketPath: string, timeoutMs = 5000): Promise<ControlClient> {
    return new ControlClient(await openSocket(socketPath, timeoutMs), socketPath);
  }

  /** Sends one request and resolves with its result, or rejects with ApiCallError. */
  call<T = unknown>(method: Method, params?: ApiRequest['params']): Promise<T> {
    const id = this.nextId++;
    const line = JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }) + '\n';
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { line, resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(line);
    });
  }

  /** Closes the connection. */
  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(d: string): void {
    this.answered = true;
    this.buf += d;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      let r: ApiResponse;
      try {
        r = JSON.parse(line) as ApiResponse;
      } catch {
        continue;
      }
      const p = typeof r.id === 'number' ? this.pending.get(r.id) : undefined;
      if (!p) continue;
      this.pending.delete(r.id as number);
      if (r.ok) p.resolve(r.result);
      else p.reject(new ApiCallError(r.error.code, r.error.message, r.error.errno));
    }
  }
}

/** Opens a connection to the daemon's socket; errors the user can act on become one sentence. */
function openSocket(socketPath: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ApiConnectError(`no answer from ${socketPath} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const why =
        e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
          ? `no ulvs daemon is running in this network namespace (no socket at ${socketPath}); start one with 'ulvs run -f FILE'`
          : e.code === 'EACCES' || e.code === 'EPERM'
            ? `permission denied on ${socketPath}: only root or the daemon's user may use it`
            : `cannot connect to ${socketPath}: ${e.message}`;
      reject(new ApiConnectError(why, e.code));
    });
  });
}

/** Connects, makes one call, closes. */
export async function callOnce<T = unknown>(socketPath: string, method: Method, params?: ApiRequest['params']): Promise<T> {
  const c = await ControlClient.connect(socketPath);
  try {
    return await c.call<T>(method, params);
  } finally {
    c.close();
  }
}
