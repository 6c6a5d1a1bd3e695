/**
 * keepalived's script security rules (core/notify.c check_script_secure), exported for config load:
 * a script (misc_path, notify_up/down, quorum_up/down) must exist, be an executable regular file, and
 * neither it nor any directory above it may be writable by anyone but root (or the user it runs as):
 * no world-writable or non-root-group-writable component (sticky directories such as /tmp excepted),
 * no component owned by another non-root user.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import type { HealthDiagnostic } from './resolve.js';
import type { ScriptSpec } from './types.js';
import { scriptCredentials } from './script-run.js';

/** Resolves argv[0] the way keepalived does: a path containing '/' as is, else searched in PATH. */
export function resolveScriptPath(program: string, envPath = process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'): string | null {
  if (program.includes('/')) return path.resolve(program);
  for (const dir of envPath.split(':')) {
    if (!dir) continue;
    const p = path.join(dir, program);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

/**
 * Checks one script; returns error diagnostics (empty = acceptable). `what` names the keyword in messages,
 * e.g. `misc_path`.
 */
export function checkScriptSecurity(script: ScriptSpec, what = 'script'): HealthDiagnostic[] {
  const where = script.where ?? what;
  const out: HealthDiagnostic[] = [];
  const program = script.argv[0];
  if (!program) return [{ severity: 'error', where, message: `${what} is empty` }];
  const file = resolveScriptPath(program);
  if (!file) return [{ severity: 'error', where, message: `${what} '${program}' not found (give an absolute path or put it in PATH)` }];
  let st;
  try {
    st = statSync(file);
  } catch {
    return [{ severity: 'error', where, message: `${what} '${file}' does not exist` }];
  }
  if (!st.isFile()) return [{ severity: 'error', where, message: `${what} '${file}' is not a regular file` }];
  try {
    accessSync(file, constants.X_OK);
    if ((st.mode & 0o111) === 0) throw new Error('no x bit');
  } catch {
    out.push({ severity: 'error', where, message: `${what} '${file}' is not executable (chmod +x it)` });
  }
  const runAs = scriptCredentials(script).uid ?? process.getuid?.() ?? 0;
  let p = file;
  for (;;) {
    let s;
    try {
      s = statSync(p);
    } catch {
      break;
    }
    const isDir = p !== file;
    const sticky = isDir && (s.mode & 0o1000) !== 0;
    if (!sticky) {
      if (s.mode & 0o002) out.push({ severity: 'error', where, message: `${what} '${file}' is insecure: '${p}' is writable by others (chmod o-w)` });
      else if (s.mode & 0o020 && s.gid !== 0)
        out.push({ severity: 'error', where, message: `${what} '${file}' is insecure: '${p}' is group-writable by a non-root group (chmod g-w)` });
      if (s.uid !== 0 && s.uid !== runAs)
        out.push({ severity: 'error', where, message: `${what} '${file}' is insecure: '${p}' is owned by uid ${s.uid}, not root or the script user` });
    }
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  return out;
}

/** Checks every script of a health spec (misc_path, notify_up/down, quorum_up/down). */
export function checkServiceScripts(vs: import('./types.js').HealthServiceSpec): HealthDiagnostic[] {
  const out: HealthDiagnostic[] = [];
  if (vs.quorumUp) out.push(...checkScriptSecurity(vs.quorumUp, 'quorum_up'));
  if (vs.quorumDown) out.push(...checkScriptSecurity(vs.quorumDown, 'quorum_down'));
  for (const rs of vs.realServers) {
    if (rs.notifyUp) out.push(...checkScriptSecurity(rs.notifyUp, 'notify_up'));
    if (rs.notifyDown) out.push(...checkScriptSecurity(rs.notifyDown, 'notify_down'));
    for (const c of rs.checkers) if (c.type === 'MISC_CHECK') out.push(...checkScriptSecurity(c.misc, 'misc_path'));
  }
  return out;
}
