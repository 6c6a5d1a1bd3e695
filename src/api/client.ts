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

/** A connected control client. */
export class ControlClient {
  private nextId = 1;
  private buf = '';
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => this.onData(d));
    const failAll = (e: Error) => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    sock.on('error', (e) => failAll(new ApiConnectError(`control socket error: ${e.message}`)));
    sock.on('close', () => failAll(new ApiConnectError('the daemon closed the control connection')));
  }

  /** Connects to the daemon's socket. */
  static connect(socketPath: string, timeoutMs = 5000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      const sock = net.createConnection(socketPath);
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new ApiConnectError(`no answer from ${socketPath} within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(timer);
        sock.removeAllListeners('error');
        resolve(new ControlClient(sock));
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

  /** Sends one request and resolves with its result, or rejects with ApiCallError. */
  call<T = unknown>(method: Method, params?: ApiRequest['params']): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id, method, params }) + '\n');
    });
  }

  /** Closes the connection. */
  close(): void {
    this.sock.end();
    this.sock.destroy();
  }

  private onData(d: string): void {
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

/** Connects, makes one call, closes. */
export async function callOnce<T = unknown>(socketPath: string, method: Method, params?: ApiRequest['params']): Promise<T> {
  const c = await ControlClient.connect(socketPath);
  try {
    return await c.call<T>(method, params);
  } finally {
    c.close();
  }
}
