/**
 * keepalived's script-line rules (keepalived/core/notify.c notify_script_init / set_script_params_array):
 * stage 1 splits the text after the keyword into command string, optional user and optional group,
 * honouring `"` and `'` quotes (glued quotes allowed); stage 2 splits the command string into argv,
 * removing quotes and decoding C escapes (\a \b \E \f \n \r \t \v \nnn \xHH \cC \<char>).
 */

/**
 * keepalived's "file openable" test (lib/notify.c check_script_secure: a command starting `<` then `/`,
 * e.g. `</dev/tcp/127.0.0.1/80`, returns SC_SYSTEM and is run with system(3)): argv for `/bin/sh -c`.
 */
export function shellForm(command: string): string[] | undefined {
  return /^<[ \t]*\//.test(command) ? ['/bin/sh', '-c', command] : undefined;
}

/** A parsed script line. */
export interface ScriptLine {
  /** The command string as keepalived's stage 1 yields it (outer quotes removed). */
  command: string;
  argv: string[];
  user?: string;
  group?: string;
}

/** Stage 1: words with quotes removed only at the outer level (inner quotes of the other kind kept). */
export function splitScriptWords(text: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let w = '';
    let quote: string | undefined;
    while (i < text.length && (quote || !/\s/.test(text[i]!))) {
      const c = text[i]!;
      if (quote) {
        if (c === quote) quote = undefined;
        else w += c;
      } else if (c === '"' || c === "'") quote = c;
      else w += c;
      i++;
    }
    words.push(w);
  }
  return words;
}

function decodeEscape(s: string, i: number): [string, number] {
  const c = s[i]!;
  const simple: Record<string, string> = { a: '\x07', b: '\b', E: '\x1b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
  if (c in simple) return [simple[c]!, i + 1];
  if (/[0-7]/.test(c)) {
    const m = /^[0-7]{1,3}/.exec(s.slice(i))![0];
    return [String.fromCharCode(parseInt(m, 8) & 0xff), i + m.length];
  }
  if (c === 'x') {
    const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1));
    if (m) return [String.fromCharCode(parseInt(m[0], 16)), i + 1 + m[0].length];
    return ['x', i + 1];
  }
  if (c === 'c' && i + 1 < s.length) return [String.fromCharCode(s.charCodeAt(i + 1) & 0x1f), i + 2];
  return [c, i + 1];
}

/** Stage 2: command string -> argv, quotes removed, escapes decoded outside single quotes. */
export function splitArgv(cmd: string): string[] {
  const argv: string[] = [];
  let i = 0;
  while (i < cmd.length) {
    while (i < cmd.length && /\s/.test(cmd[i]!)) i++;
    if (i >= cmd.length) break;
    let w = '';
    let quote: string | undefined;
    while (i < cmd.length && (quote || !/\s/.test(cmd[i]!))) {
      const c = cmd[i]!;
      if (quote === "'") {
        if (c === "'") quote = undefined;
        else w += c;
        i++;
      } else if (c === '\\' && i + 1 < cmd.length) {
        const [ch, next] = decodeEscape(cmd, i + 1);
        w += ch;
        i = next;
      } else if (quote === '"') {
        if (c === '"') quote = undefined;
        else w += c;
        i++;
      } else if (c === '"' || c === "'") {
        quote = c;
        i++;
      } else {
        w += c;
        i++;
      }
    }
    argv.push(w);
  }
  return argv;
}

/** Parses a whole script line: `"cmd args" [user [group]]` (also `user:group`). */
export function parseScriptLine(text: string): ScriptLine | undefined {
  const words = splitScriptWords(text);
  if (words.length === 0) return undefined;
  const argv = shellForm(words[0]!) ?? splitArgv(words[0]!);
  if (argv.length === 0) return undefined;
  const out: ScriptLine = { command: words[0]!, argv };
  let user = words[1];
  let group = words[2];
  if (user?.includes(':')) [user, group] = user.split(':', 2) as [string, string];
  if (user) out.user = user;
  if (group) out.group = group;
  return out;
}
