/**
 * The control socket server: a Unix stream socket (mode 0600 inside a 0700 directory owned by the
 * daemon's user) speaking JSON lines (protocol.ts). Node has no SO_PEERCRED, so access control is the
 * file system: only root and the socket's owner can connect, and the directory is checked at start.
 * A client that sends garbage gets an error line; one that disconnects mid-request is forgotten; the
 * daemon is never disturbed by either.
 */
import { ERROR_CODES, RuntimePathError, UlvsError } from '../core/errors.js';
import net from 'node:net';
import { chmodSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { MAX_LINE_BYTES, PROTOCOL_VERSION, checkRequest, type ApiRequest, type ApiResponse } from './protocol.js';

/** Answers one request; throw ApiError for a clean error answer. */
export type ApiHandler = (req: ApiRequest) => Promise<unknown>;

/** An error answer with a machine code. */
export class ApiError extends UlvsError {
  constructor(
    readonly apiCode: 'ipvs' | 'reload-failed' | 'forbidden' | 'bad-request' | 'internal',
    message: string,
    readonly errno?: string,
  ) {
    super(message, ERROR_CODES.Api);
  }
}

/**
 * Creates the socket directory (0700) or checks an existing one. A shared sticky directory (1777,
 * like /tmp) is left exactly as it is: the sticky bit keeps others from replacing our 0600 socket.
 * Any other directory must be ours or root's; one of ours that others may write to is made 0700.
 */
export function prepareSocketDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new RuntimePathError(`${dir} is not a directory: remove it or pick another --socket path`);
  if (st.mode & 0o1000) return;
  const uid = process.getuid?.() ?? 0;
  if (st.uid !== uid && st.uid !== 0)
    throw new RuntimePathError(`${dir} belongs to uid ${st.uid}, not to us (uid ${uid}): fix its owner or pick another --socket path`);
  if (st.mode & 0o022) {
    if (st.uid !== uid) throw new RuntimePathError(`${dir} is writable by others and not ours to change: make it 0755 or pick another --socket path`);
    chmodSync(dir, 0o700);
  }
}

/** Resolves once the socket's unsent data is flushed or the socket is closed. */
function drainedOrClosed(sock: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      sock.off('drain', done);
      sock.off('close', done);
      resolve();
    };
    sock.on('drain', done);
    sock.on('close', done);
  });
}

/** Limits of the control socket (defaults keep a flood of clients far from the daemon's fd limit). */
export interface ControlServerLimits {
  /** Clients served at once; a new one closes the oldest idle client, or is answered 'busy'. Default 64. */
  maxConnections?: number;
  /** A client silent this long (no request in flight) is closed. Default 60 s. */
  idleTimeoutMs?: number;
  /** A request still unanswered after this long gets an 'internal' timeout answer. Default 120 s. */
  requestTimeoutMs?: number;
  /** Requests read ahead per client; past it the socket is paused (backpressure). Default 16. */
  maxPendingRequests?: number;
  /** Unsent answer bytes per client; past it reading pauses until the client reads. Default 1 MiB. */
  maxUnsentBytes?: number;
}

const DEFAULT_LIMITS: Required<ControlServerLimits> = {
  maxConnections: 64,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 120_000,
  maxPendingRequests: 16,
  maxUnsentBytes: 1 << 20,
};

/** Listening control socket. */
export class ControlServer {
  private server?: net.Server;
  /** Connected clients in the order they came, each with "is it idle" (no request queued or running). */
  private readonly sockets = new Map<net.Socket, () => boolean>();
  private readonly limits: Required<ControlServerLimits>;
  /** Connections refused because maxConnections clients all had requests in flight. */
  refused = 0;
  /** Idle clients closed to make room for a new one. */
  evicted = 0;

  constructor(
    readonly socketPath: string,
    private readonly handler: ApiHandler,
    private readonly log: (msg: string) => void = () => {},
    limits: ControlServerLimits = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Listens (removing a stale socket file first) and sets mode 0600. */
  async listen(): Promise<void> {
    prepareSocketDir(path.dirname(this.socketPath));
    if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
    const server = net.createServer((s) => this.serve(s));
    server.on('error', (e) => this.log(`control socket error: ${e.message}`));
    const oldMask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.socketPath, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(oldMask);
    }
    chmodSync(this.socketPath, 0o600);
    this.server = server;
  }

  /** Stops listening, drops clients and removes the socket file. */
  async close(): Promise<void> {
    for (const s of this.sockets.keys()) s.destroy();
    if (this.server) await new Promise<void>((r) => this.server!.close(() => r()));
    this.server = undefined;
    try {
      unlinkSync(this.socketPath);
    } catch {
      /* already gone */
    }
  }

  /** Clients connected now. */
  get connections(): number {
    return this.sockets.size;
  }

  private serve(sock: net.Socket): void {
    sock.on('error', () => {
      /* client vanished: nothing to do */
    });
    if (this.sockets.size >= this.limits.maxConnections) {
      // Full: make room by closing the longest-connected idle client (a flood of silent connections
      // cannot lock ulvsadm out); refuse only when every client has a request in flight.
      for (const [old, idle] of this.sockets) {
        if (!idle()) continue;
        old.destroy();
        this.sockets.delete(old);
        this.evicted++;
        break;
      }
    }
    if (this.sockets.size >= this.limits.maxConnections) {
      if (this.refused++ % 1000 === 0) this.log(`control socket: ${this.limits.maxConnections} clients busy, refusing more (${this.refused} refused so far)`);
      sock.end(
        JSON.stringify({
          v: PROTOCOL_VERSION,
          id: null,
          ok: false,
          error: { code: 'busy', message: `${this.limits.maxConnections} clients are connected; retry later` },
        }) + '\n',
      );
      sock.setTimeout(1000, () => sock.destroy());
      return;
    }
    const L = this.limits;
    let buf = '';
    const pending: string[] = [];
    let busy = false;
    this.sockets.set(sock, () => !busy && pending.length === 0);
    sock.setEncoding('utf8');
    sock.setTimeout(L.idleTimeoutMs, () => {
      if (!busy) sock.destroy();
    });
    sock.on('close', () => {
      this.sockets.delete(sock);
      pending.length = 0;
    });
    // Backpressure: stop reading while requests queue up or answers are not being read.
    const throttle = (): void => {
      if (pending.length >= L.maxPendingRequests || sock.writableLength > L.maxUnsentBytes) sock.pause();
      else if (sock.isPaused()) sock.resume();
    };
    sock.on('drain', throttle);
    // Requests of one connection are answered in order, one at a time; none runs once the client is gone.
    const pump = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        while (pending.length && !sock.destroyed) {
          const line = pending.shift()!;
          throttle();
          await this.answer(sock, line);
          if (sock.writableLength > L.maxUnsentBytes) await drainedOrClosed(sock);
        }
      } finally {
        busy = false;
      }
      throttle();
    };
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line) pending.push(line);
      }
      if (buf.length > MAX_LINE_BYTES) {
        this.send(sock, {
          v: PROTOCOL_VERSION,
          id: null,
          ok: false,
          error: { code: 'bad-request', message: `request line longer than ${MAX_LINE_BYTES} bytes` },
        });
        sock.end();
        sock.pause();
        buf = '';
        pending.length = 0;
        return;
      }
      throttle();
      void pump();
    });
  }

  private async answer(sock: net.Socket, line: string): Promise<void> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      this.send(sock, {
        v: PROTOCOL_VERSION,
        id: null,
        ok: false,
        error: { code: 'bad-request', message: 'not JSON: each request is one JSON object on one line' },
      });
      return;
    }
    const req = checkRequest(parsed);
    if (typeof req === 'string') {
      const id =
        typeof (parsed as { id?: unknown })?.id === 'number' || typeof (parsed as { id?: unknown })?.id === 'string'
          ? (parsed as { id: number | string }).id
          : null;
      const code = req.startsWith('unsupported protocol') ? 'bad-version' : req.startsWith('unknown method') ? 'unknown-method' : 'bad-request';
      this.send(sock, { v: PROTOCOL_VERSION, id, ok: false, error: { code, message: req } });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError('internal', `no answer after ${this.limits.requestTimeoutMs} ms; the request may still complete`)),
        this.limits.requestTimeoutMs,
      );
    });
    try {
      const result = await Promise.race([this.handler(req), timeout]);
      this.send(sock, { v: PROTOCOL_VERSION, id: req.id, ok: true, result: result ?? null });
    } catch (e) {
      if (e instanceof ApiError)
        this.send(sock, { v: PROTOCOL_VERSION, id: req.id, ok: false, error: { code: e.apiCode, message: e.message, ...(e.errno ? { errno: e.errno } : {}) } });
      else {
        this.log(`control request ${req.method} failed: ${(e as Error).stack ?? e}`);
        this.send(sock, { v: PROTOCOL_VERSION, id: req.id, ok: false, error: { code: 'internal', message: (e as Error).message } });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  private send(sock: net.Socket, r: ApiResponse): void {
    if (sock.destroyed || !sock.writable) return;
    sock.write(JSON.stringify(r) + '\n');
  }
}
