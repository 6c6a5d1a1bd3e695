/**
 * Script launcher off the main thread's fork path: one long-lived python3 helper starts MISC_CHECK and
 * notify scripts (its fork/exec from a small process costs far less than Node forking itself), kills the
 * whole process group at the timeout, discards output, and reports how each ended. Protocol (JSON lines):
 * request {id, argv, timeoutMs, uid?, gid?}, reply {id, code, signal, timedOut, error}.
 * The helper is started lazily, restarted after a crash, and killed by its PID in closeSpawner().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const HELPER = String.raw`
import json, os, signal, subprocess, sys, time, select
procs = {}  # id -> (Popen, deadline)
def out(o):
    sys.stdout.write(json.dumps(o) + '\n'); sys.stdout.flush()
def creds(uid, gid):
    def f():
        if gid is not None: os.setgid(gid)
        if uid is not None: os.setuid(uid)
    return f
buf = b''
while True:
    now = time.time()
    for rid, (p, dl) in list(procs.items()):
        rc = p.poll()
        if rc is None and dl <= now:
            try: os.killpg(p.pid, signal.SIGKILL)
            except Exception: pass
            p.wait(); procs.pop(rid)
            out({'id': rid, 'code': None, 'signal': 'SIGKILL', 'timedOut': True, 'error': ''})
        elif rc is not None:
            procs.pop(rid)
            if rc < 0: out({'id': rid, 'code': None, 'signal': signal.Signals(-rc).name, 'timedOut': False, 'error': ''})
            else: out({'id': rid, 'code': rc, 'signal': None, 'timedOut': False, 'error': ''})
    tmo = 0.01 if procs else 1.0
    r, _, _ = select.select([0], [], [], tmo)
    if not r: continue
    chunk = os.read(0, 65536)
    if not chunk:
        for p, _ in procs.values():
            try: os.killpg(p.pid, signal.SIGKILL)
            except Exception: pass
        sys.exit(0)
    buf += chunk
    while b'\n' in buf:
        line, buf = buf.split(b'\n', 1)
        try: q = json.loads(line)
        except Exception: continue
        try:
            uid, gid = q.get('uid'), q.get('gid')
            p = subprocess.Popen(q['argv'], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True, close_fds=True, preexec_fn=creds(uid, gid) if (uid is not None or gid is not None) else None)
            procs[q['id']] = (p, time.time() + q['timeoutMs'] / 1000.0)
        except Exception as e:
            out({'id': q.get('id'), 'code': None, 'signal': None, 'timedOut': False, 'error': str(e)})
`;

/** How a script launched by the helper ended. */
export interface SpawnerResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  error: string;
}

let helper: ChildProcess | null = null;
let seq = 0;
/** Set when python3 cannot be started: callers spawn directly. */
export let spawnerUnavailable = false;
const waiting = new Map<number, (r: SpawnerResult) => void>();

function failAll(reason: string): void {
  for (const cb of waiting.values()) cb({ code: null, signal: null, timedOut: false, error: reason });
  waiting.clear();
}

function ensureHelper(): ChildProcess | null {
  if (helper && helper.exitCode === null && !helper.killed) return helper;
  try {
    const h = spawn('python3', ['-u', '-c', HELPER], { stdio: ['pipe', 'pipe', 'ignore'] });
    h.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') spawnerUnavailable = true;
      if (helper === h) helper = null;
      failAll(`script helper: ${e.message}`);
    });
    h.on('exit', () => {
      if (helper === h) helper = null;
      failAll('script helper exited');
    });
    h.stdin!.on('error', () => {});
    createInterface({ input: h.stdout! }).on('line', (l) => {
      let r: SpawnerResult & { id: number };
      try {
        r = JSON.parse(l);
      } catch {
        return;
      }
      const cb = waiting.get(r.id);
      if (cb) {
        waiting.delete(r.id);
        cb({ code: r.code, signal: r.signal, timedOut: r.timedOut, error: r.error });
      }
    });
    h.unref();
    for (const pipe of [h.stdin, h.stdout]) (pipe as unknown as { unref?: () => void } | null)?.unref?.();
    helper = h;
    return h;
  } catch {
    spawnerUnavailable = true;
    return null;
  }
}

/** Runs argv through the helper; resolves null when the helper is unavailable (caller falls back). */
export function spawnViaHelper(argv: string[], timeoutMs: number, uid?: number, gid?: number): Promise<SpawnerResult> | null {
  if (spawnerUnavailable) return null;
  const h = ensureHelper();
  if (!h) return null;
  const id = (seq = (seq + 1) % 0x7fffffff);
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: SpawnerResult) => {
      if (done) return;
      done = true;
      clearTimeout(guard);
      waiting.delete(id);
      resolve(r);
    };
    // The helper kills at timeoutMs; this guard only covers a helper that stopped answering.
    const guard = setTimeout(() => finish({ code: null, signal: null, timedOut: true, error: '' }), timeoutMs + 3000);
    waiting.set(id, finish);
    h.stdin!.write(JSON.stringify({ id, argv, timeoutMs, uid, gid }) + '\n');
  });
}

/** Kills the helper (by its PID) if one was started; its scripts' process groups are killed by it on EOF. */
export function closeSpawner(): void {
  const h = helper;
  helper = null;
  if (h?.pid && h.exitCode === null) {
    try {
      h.stdin?.end();
    } catch {
      /* ignore */
    }
    setTimeout(() => {
      try {
        if (h.exitCode === null) process.kill(h.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 500).unref();
  }
  failAll('script helper closed');
}

/** PID of the running helper, if any (benchmarks read its CPU time from /proc). */
export function spawnerPid(): number | undefined {
  return helper?.pid;
}
