/**
 * Checks of host facts: interfaces named in the config exist here (warnings — another host may have
 * them), and notify/check scripts exist, are executable and are safe (errors — keepalived's script
 * security, core/notify.c check_script_secure: no path component writable by others or by a non-root
 * group, or owned by a user other than root or the daemon's; sticky directories such as /tmp excepted).
 */
import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { instanceFieldPos } from './build-vrrp.js';
import type { ScriptUse } from './script-use.js';
import { posString } from './diagnostics.js';
import type { ConfigModel } from './types.js';

/** Interface names of this network namespace (/sys/class/net, falling back to os.networkInterfaces()). */
export function hostInterfaces(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return Object.keys(networkInterfaces());
  }
}

function knownUsers(): Set<string> | undefined {
  try {
    return new Set(
      readFileSync('/etc/passwd', 'utf8')
        .split('\n')
        .map((l) => l.split(':')[0]!)
        .filter(Boolean),
    );
  } catch {
    return undefined;
  }
}

/** Finds `cmd` on PATH the way execvp does; undefined when absent. */
export function resolveCommand(cmd: string, env: NodeJS.ProcessEnv): string | undefined {
  if (cmd.includes('/')) return cmd;
  for (const dir of (env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Why `path` is unsafe to run for a daemon of user `uid`, or undefined when it is safe. */
export function scriptUnsafeReason(path: string, uid: number): string | undefined {
  let p = path;
  for (;;) {
    let st;
    try {
      st = statSync(p);
    } catch {
      return undefined;
    }
    const sticky = p !== path && (st.mode & 0o1000) !== 0;
    if (!sticky) {
      if (st.uid !== 0 && st.uid !== uid) return `${p} is owned by uid ${st.uid}, not root or the daemon's user`;
      if (st.mode & 0o002) return `${p} is writable by everyone`;
      if (st.mode & 0o020 && st.gid !== 0) return `${p} is writable by group ${st.gid}`;
    }
    const parent = dirname(p);
    if (parent === p) return undefined;
    p = parent;
  }
}

/** keepalived's words for what happens to a script it cannot find (lib/notify.c check_script_secure: SC_NOTFOUND). */
function disabledText(kw: string): string {
  return kw === 'script'
    ? 'keepalived disables the vrrp_script ("Disabling track script ... since not found/accessible") and so does ulvs: the instances tracking it ignore it'
    : 'keepalived runs the config and fails when the event fires; so does ulvs';
}

/** Checks one script use; returns true when the script is missing (then it is warned about, not refused). */
function checkScript(u: ScriptUse, sink: DiagnosticSink, env: NodeJS.ProcessEnv, uid: number, users: Set<string> | undefined): boolean {
  const pos: Pos = u.script.pos;
  const cmd = u.script.argv[0]!;
  const kw = keywordName(u.keyword);
  if (!isAbsolute(cmd) && cmd.includes('/')) {
    sink.error(pos, 'script-relative', `${kw} script '${cmd}' is a relative path; keepalived needs an absolute path (or a bare command on PATH).`);
    return false;
  }
  const path = resolveCommand(cmd, env);
  if (!path) {
    sink.warn(
      pos,
      'script-missing',
      `${kw} script '${cmd}' does not exist${cmd.includes('/') ? '' : ' on PATH'}: ${disabledText(u.keyword)} — create it or fix the path.`,
      true,
    );
    return true;
  }
  let st;
  try {
    st = statSync(path);
  } catch {
    sink.warn(pos, 'script-missing', `${kw} script '${path}' does not exist: ${disabledText(u.keyword)} — create it or fix the path.`, true);
    return true;
  }
  if (!st.isFile()) {
    sink.error(pos, 'script-not-file', `${kw} script '${path}' is not a regular file.`);
    return false;
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    sink.error(pos, 'script-not-executable', `${kw} script '${path}' is not executable; chmod +x it.`);
    return false;
  }
  if ((st.mode & 0o111) === 0) {
    sink.error(pos, 'script-not-executable', `${kw} script '${path}' has no execute bit; chmod +x it.`);
    return false;
  }
  const why = scriptUnsafeReason(path, uid);
  if (why)
    sink.error(
      pos,
      'script-unsafe',
      `${kw} script '${path}' is unsafe to run: ${why}; make every directory on its path writable only by root (keepalived refuses it too under enable_script_security).`,
    );
  const user = u.script.user;
  if (user && users && !users.has(user)) {
    sink.warn(
      pos,
      'script-user',
      `${kw} runs as user '${user}', which does not exist on this host${u.script.argv.length === 1 ? ` (if '${user}' was meant as an argument, quote the whole command: "${cmd} ${user}")` : ''}.`,
      true,
    );
  }
  return false;
}

function keywordName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Runs the host checks over the built model and the scripts it references; returns the uses whose script is missing. */
export function checkHost(
  model: ConfigModel,
  uses: readonly ScriptUse[],
  sink: DiagnosticSink,
  interfaces: readonly string[],
  env: NodeJS.ProcessEnv,
  uid: number,
): ScriptUse[] {
  const have = new Set(interfaces);
  const warnIf = (name: string | undefined, source: string | undefined, what: string): void => {
    if (!name || have.has(name)) return;
    const m = /^(.*):(\d+)$/.exec(source ?? '');
    const pos = m ? { file: m[1]!, line: Number(m[2]) } : { file: source ?? '', line: 0 };
    sink.warn(
      pos,
      'interface-missing',
      `${what} interface '${name}' does not exist on this host (have: ${[...have].sort().join(', ') || 'none'}); fine if the config is for another machine.`,
      true,
    );
  };
  for (const i of model.vrrp.instances) {
    const p = instanceFieldPos.get(i);
    warnIf(i.interface, p?.interface ? posString(p.interface) : i.source, `vrrp_instance ${i.name}`);
    for (const t of i.trackInterfaces) warnIf(t.name, i.source, `vrrp_instance ${i.name} track_interface`);
    for (const v of [...i.vips, ...i.excludedVips]) warnIf(v.dev, v.source, `virtual address ${v.address}`);
  }
  for (const g of model.vrrp.syncGroups) for (const t of g.trackInterfaces) warnIf(t.name, g.source, `vrrp_sync_group ${g.name} track_interface`);
  for (const vs of model.health) for (const rs of vs.realServers) for (const c of rs.checkers) warnIf(c.bindIf, c.where, `${c.type} bind_if`);
  for (const f of model.vrrp.trackFiles ?? []) checkTrackFileDir(f.name, f.path, !!f.init, f.source, sink);
  const users = knownUsers();
  return uses.filter((u) => checkScript(u, sink, env, uid, users));
}

/**
 * A track_file in a directory every local user may write gives each of them the instances' priority (or
 * FAULT): without the sticky bit they can replace the file, with it (/tmp) create it while it is missing.
 */
function checkTrackFileDir(name: string, file: string, init: boolean, source: string | undefined, sink: DiagnosticSink): void {
  const dir = dirname(file);
  let mode = 0;
  try {
    mode = statSync(dir).mode;
  } catch {
    return;
  }
  if (!(mode & 0o002) || (mode & 0o1000 && init)) return;
  const m = /^(.*):(\d+)$/.exec(source ?? '');
  const can = mode & 0o1000 ? 'create it while it is missing (init_file creates it at start)' : 'replace it';
  sink.warn(
    m ? { file: m[1]!, line: Number(m[2]) } : { file: source ?? '', line: 0 },
    'track-file-open-dir',
    `track_file ${name}: ${dir} is writable by every local user, who can ${can} and so set the weight it gives (or FAULT); keep it in a directory only root writes, such as /run/keepalived.`,
    true,
  );
}
