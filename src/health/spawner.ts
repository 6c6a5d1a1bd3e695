/**
 * Script launcher off the main thread's fork path: one long-lived python3 helper starts MISC_CHECK and
 * notify scripts (its fork/exec from a small process costs far less than Node forking itself), kills the
 * whole process group at the timeout, discards output, and reports how each ended. Protocol (JSON lines):
 * request {id, argv, timeoutMs, uid?, gid?}, reply {id, code, signal, timedOut, error}.
 * The helper is started lazily, restarted after a crash, and killed by its PID in closeSpawner().
 */
import { LineHelper } from './line-helper.js';

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

/** Set when python3 cannot be started: callers spawn directly. */
export let spawnerUnavailable = false;
const helper = new LineHelper<SpawnerResult>({
  script: HELPER,
  name: 'script helper',
  parseReply: (l) => {
    let r: SpawnerResult & { id: number };
    try {
      r = JSON.parse(l);
    } catch {
      return undefined;
    }
    return { id: r.id, result: { code: r.code, signal: r.signal, timedOut: r.timedOut, error: r.error } };
  },
  failed: (reason) => ({ code: null, signal: null, timedOut: false, error: reason }),
  onUnavailable: () => {
    spawnerUnavailable = true;
  },
  unavailableOnThrow: true,
});

/** Runs argv through the helper; resolves null when the helper is unavailable (caller falls back). */
export function spawnViaHelper(argv: string[], timeoutMs: number, uid?: number, gid?: number): Promise<SpawnerResult> | null {
  if (spawnerUnavailable) return null;
  // The helper kills at timeoutMs; the guard only covers a helper that stopped answering.
  return helper.request((id) => JSON.stringify({ id, argv, timeoutMs, uid, gid }) + '\n', timeoutMs + 3000, {
    code: null,
    signal: null,
    timedOut: true,
    error: '',
  });
}

/** Kills the helper (by its PID) if one was started; its scripts' process groups are killed by it on EOF. */
export function closeSpawner(): void {
  helper.detach('script helper closed', (h) => {
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
  });
}

/** PID of the running helper, if any (benchmarks read its CPU time from /proc). */
export function spawnerPid(): number | undefined {
  return helper.pid;
}
