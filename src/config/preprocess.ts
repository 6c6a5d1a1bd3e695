/**
 * keepalived.conf line preprocessing (lib/parser.c semantics): reads the main file and its includes,
 * strips `#`/`!` comments outside double quotes, applies `@ID`/`@^ID` conditional lines, `$NAME=VALUE`
 * definitions (multi-line with trailing `\`), `${NAME}`/`$NAME` substitution and `~SEQ`/`~LST`
 * generators. Output: logical lines, each with the file and line it came from.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { globFiles } from './glob.js';
import { decomment } from './comments.js';
import { MAX_CONFIG_BYTES, readRegularFile } from './read-config-file.js';

/** One logical config line after preprocessing. */
export interface LogicalLine {
  file: string;
  line: number;
  text: string;
}

/** Inputs of preprocess(). */
export interface PreprocessOptions {
  configId: string;
  env: NodeJS.ProcessEnv;
}

/** Result of preprocess(): the lines and every file read. */
export interface PreprocessResult {
  lines: LogicalLine[];
  files: string[];
}

/** keepalived's MAXBUF: longer lines are reported and skipped. */
export const MAX_LINE_BYTES = 1024;
const INCLUDE_WORDS = new Set(['include', 'includer', 'includem', 'includew', 'includeb', 'includea', 'includef']);
const MAX_INCLUDE_DEPTH = 32;
const MAX_EXPANSION_DEPTH = 16;
const MAX_GENERATED = 65536;

interface Definition {
  lines: string[];
  multiline: boolean;
}

/** Splits `a, {b,c}, d` at top-level commas, trimming each part. */
function splitArgs(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts;
}

/** The preprocessor of one load: keeps definitions and the include stack. */
class Preprocessor {
  readonly lines: LogicalLine[] = [];
  readonly files: string[] = [];
  private readonly defs = new Map<string, Definition>();
  private readonly stack: string[] = [];
  private generated = 0;
  private bytesRead = 0;

  constructor(
    private readonly sink: DiagnosticSink,
    private readonly opts: PreprocessOptions,
  ) {}

  readFile(path: string, from: Pos | undefined): void {
    const abs = resolve(path);
    if (this.stack.includes(abs)) {
      this.sink.error(from ?? { file: abs, line: 0 }, 'include-cycle', `include of ${abs} would loop (it is already being read); remove the circular include.`);
      return;
    }
    if (this.stack.length >= MAX_INCLUDE_DEPTH) {
      this.sink.error(from ?? { file: abs, line: 0 }, 'include-depth', `includes nest deeper than ${MAX_INCLUDE_DEPTH} files; flatten them.`);
      return;
    }
    let text: string;
    try {
      text = readRegularFile(abs, MAX_CONFIG_BYTES - this.bytesRead);
      this.bytesRead += Buffer.byteLength(text);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      const at = from ?? { file: abs, line: 0 };
      if (code === 'ENOTREG' || code === 'ENXIO') {
        const what = code === 'ENXIO' ? 'is a socket, not a regular file' : (e as Error).message;
        this.sink.error(at, 'not-regular-file', `${from ? 'included file' : 'config file'} ${abs} ${what}; ${from ? 'include' : 'give'} only regular files.`);
        return;
      }
      if (code === 'EFBIG') {
        this.sink.error(
          at,
          'config-too-big',
          `${abs} ${(e as Error).message}: the configuration (all files together) may be at most ${MAX_CONFIG_BYTES / 1048576} MiB; split or shrink it.`,
        );
        return;
      }
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : `cannot be read (${code})`;
      this.sink.error(
        at,
        'file-missing',
        from
          ? `included file ${abs} ${why}; fix the include path (keepalived would silently skip it).`
          : `config file ${abs} ${why}; give an existing keepalived.conf with -f.`,
      );
      return;
    }
    this.warnIfWritableByAll(abs, from);
    if (!this.files.includes(abs)) this.files.push(abs);
    this.stack.push(abs);
    const raw = text.split('\n');
    let multi: { name: string; def: Definition } | undefined;
    for (let i = 0; i < raw.length; i++) {
      const pos = { file: abs, line: i + 1 };
      let line = raw[i]!.replace(/\r$/, '');
      if (line.includes('\0')) {
        this.sink.error(pos, 'nul-byte', 'line contains a NUL byte; remove it (keepalived rejects it too).');
        continue;
      }
      if (Buffer.byteLength(line) > MAX_LINE_BYTES) {
        this.sink.error(pos, 'line-too-long', `line is longer than ${MAX_LINE_BYTES} bytes and is ignored (as keepalived does); split it.`);
        continue;
      }
      line = decomment(line);
      if (multi) {
        const cont = line.endsWith('\\');
        const body = cont ? line.slice(0, -1).replace(/\s+$/, '') : line;
        if (body.trim() !== '') multi.def.lines.push(body);
        if (!cont) multi = undefined;
        continue;
      }
      if (line.trim() === '') continue;
      const first = line.trim().split(/\s+/, 1)[0]!;
      if (INCLUDE_WORDS.has(first)) {
        this.include(line.trim().slice(first.length).trim(), first, pos);
        continue;
      }
      const m = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
      if (m && m[2]!.replace(/\s+$/, '').endsWith('\\')) {
        if (!this.checkDefName(m[1]!, pos)) continue;
        const first = m[2]!.replace(/\s+$/, '').slice(0, -1).trim();
        const def: Definition = { lines: first ? [first] : [], multiline: true };
        this.defs.set(m[1]!, def);
        multi = { name: m[1]!, def };
        continue;
      }
      this.processLine(line, pos, this.defs, 0);
    }
    if (multi)
      this.sink.error(
        { file: abs, line: raw.length },
        'unterminated-definition',
        `multi-line definition $${multi.name} is still open at end of file; end its last line without '\\'.`,
      );
    this.stack.pop();
  }

  /** A file any local user may write is a root shell for them: its notify scripts and checkers run as root. */
  private warnIfWritableByAll(abs: string, from: Pos | undefined): void {
    let mode = 0;
    try {
      mode = statSync(abs).mode;
    } catch {
      return;
    }
    if (mode & 0o002)
      this.sink.warn(
        from ?? { file: abs, line: 0 },
        'config-world-writable',
        `${abs} is writable by every local user, who can then make the daemon run any command as root (a notify script, a MISC_CHECK); chmod o-w ${abs}.`,
      );
  }

  private checkDefName(name: string, pos: Pos): boolean {
    if (name.startsWith('_')) {
      this.sink.error(pos, 'reserved-definition', `definition names starting with '_' are reserved ($${name}); rename it.`);
      return false;
    }
    return true;
  }

  private include(rest: string, word: string, pos: Pos): void {
    if (rest === '') {
      this.sink.error(pos, 'include-empty', `'${word}' needs a file name or glob pattern.`);
      return;
    }
    const baseDir = dirname(pos.file);
    for (const pattern of rest.split(/\s+/)) {
      const unq = pattern.replace(/^"(.*)"$/, '$1');
      const matches = globFiles(unq, baseDir);
      if (matches.length === 0) {
        this.sink.error(
          pos,
          'include-missing',
          `${word} '${unq}' matches no file (relative paths start at ${baseDir}); fix the path — keepalived's plain include would only log this.`,
        );
        continue;
      }
      const wildcard = /[*?[]/.test(unq);
      for (const f of matches) {
        // A directory matched by a wildcard is skipped (keepalived reads files only); named plainly it is an error.
        try {
          if (wildcard && statSync(f).isDirectory()) continue;
        } catch {
          /* reported by readFile */
        }
        this.readFile(f, pos);
      }
    }
  }

  /** Conditional, definition, generator and substitution for one line. */
  private processLine(text: string, pos: Pos, defs: Map<string, Definition>, depth: number): void {
    if (depth > MAX_EXPANSION_DEPTH) {
      this.sink.error(pos, 'expansion-depth', 'definitions expand too deeply (a definition probably uses itself); break the cycle.');
      return;
    }
    let line = text;
    // @ID / @^ID conditional lines.
    const cond = /^\s*@(\^?)(\S+)\s*(.*)$/.exec(line);
    if (cond) {
      const matches = cond[2] === this.opts.configId;
      if (matches === (cond[1] === '^')) return;
      line = cond[3]!;
      if (line.trim() === '') return;
    }
    // $NAME=VALUE definitions.
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (def) {
      if (this.checkDefName(def[1]!, pos)) defs.set(def[1]!, { lines: [def[2]!.trim()], multiline: false });
      return;
    }
    // ~SEQ / ~SEQx / ~LST generators.
    const gen = /^\s*~(SEQx?|LST)\(/.exec(line);
    if (gen) {
      this.generate(line, gen, pos, defs, depth);
      return;
    }
    const expanded = this.substitute(line, pos, defs);
    if (expanded === undefined) return;
    if (expanded !== line) {
      for (const part of expanded.split('\n')) if (part.trim() !== '') this.processLine(part, pos, defs, depth + 1);
      return;
    }
    if (++this.generated > MAX_GENERATED) {
      if (this.generated === MAX_GENERATED + 1)
        this.sink.error(pos, 'too-many-lines', `more than ${MAX_GENERATED} config lines generated; check ~SEQ/~LST ranges.`);
      return;
    }
    this.lines.push({ file: pos.file, line: pos.line, text: line });
  }

  private generate(line: string, gen: RegExpExecArray, pos: Pos, defs: Map<string, Definition>, depth: number): void {
    const open = gen[0].length - 1;
    let close = -1;
    let d = 0;
    for (let i = open; i < line.length; i++) {
      if (line[i] === '(') d++;
      else if (line[i] === ')' && --d === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) {
      this.sink.error(pos, 'generator-syntax', `~${gen[1]}( has no closing ')'.`);
      return;
    }
    const args = splitArgs(this.substitute(line.slice(open + 1, close), pos, defs) ?? '');
    const rest = line.slice(close + 1);
    const runs: Array<Array<[string, string]>> = [];
    if (gen[1] === 'LST') {
      const vars = args[0]!.startsWith('{') ? splitArgs(args[0]!.slice(1, -1)) : [args[0]!];
      for (const v of args.slice(1)) {
        const vals = v.startsWith('{') ? splitArgs(v.slice(1, -1)) : [v];
        runs.push(vars.map((name, i) => [name, vals[i] ?? '']));
      }
      if (args.length < 2) this.sink.error(pos, 'generator-syntax', '~LST needs a variable and at least one value: ~LST(var, v1, v2, ...).');
    } else {
      const nums = args.slice(1).map((a) => Number(a));
      if (args.length < 2 || args.length > 4 || nums.some((n) => !Number.isInteger(n))) {
        this.sink.error(pos, 'generator-syntax', `~${gen[1]} takes (var, [start,] [step,] end) with integers; got (${args.join(', ')}).`);
        return;
      }
      const [start, step, end] =
        nums.length === 1 ? [1, 1, nums[0]!] : nums.length === 2 ? [nums[0]!, nums[0]! <= nums[1]! ? 1 : -1, nums[1]!] : [nums[0]!, nums[1]!, nums[2]!];
      if (step === 0 || Math.abs((end - start) / step) > 4096) {
        this.sink.error(pos, 'generator-syntax', `~${gen[1]} range ${start}..${end} step ${step} is empty, endless or longer than 4096 values.`);
        return;
      }
      for (let v = start; step > 0 ? v <= end : v >= end; v += step) runs.push([[args[0]!, gen[1] === 'SEQx' ? v.toString(16) : String(v)]]);
    }
    for (const run of runs) {
      const local = new Map(defs);
      for (const [name, value] of run) local.set(name, { lines: [value], multiline: false });
      this.processLine(rest, pos, local, depth + 1);
    }
  }

  /** Replaces `${NAME}` anywhere and `$NAME` before whitespace/EOL; undefined names stay as written. */
  private substitute(line: string, pos: Pos, defs: Map<string, Definition>): string | undefined {
    let out = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c !== '$') {
        out += c;
        continue;
      }
      if (line[i + 1] === '{') {
        const end = line.indexOf('}', i + 2);
        if (end < 0) {
          out += c;
          continue;
        }
        const inner = line.slice(i + 2, end).trim();
        const value = this.lookup(inner, pos, defs);
        if (value === undefined) {
          out += line.slice(i, end + 1);
          i = end;
          continue;
        }
        out += value;
        i = end;
        continue;
      }
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(line.slice(i + 1));
      const after = m ? line[i + 1 + m[0].length] : undefined;
      if (m && (after === undefined || /\s/.test(after)) && defs.has(m[0])) {
        out += defs.get(m[0])!.lines.join('\n');
        i += m[0].length;
        continue;
      }
      out += c;
    }
    return out;
  }

  private lookup(inner: string, pos: Pos, defs: Map<string, Definition>): string | undefined {
    const [name, ...params] = inner.split(/\s+/);
    switch (name) {
      case '_PWD':
        return dirname(pos.file);
      case '_INSTANCE':
        return this.opts.configId;
      case '_HASH':
        return '#';
      case '_BANG':
        return '!';
      case '_ENV':
        return this.opts.env[params[0] ?? ''] ?? '';
      case '_RANDOM': {
        const min = params.length >= 2 ? Number(params[0]) : 0;
        const max = params.length >= 2 ? Number(params[1]) : params.length === 1 ? Number(params[0]) : 32767;
        if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return '0';
        return String(min + Math.floor(Math.random() * (max - min + 1)));
      }
      default:
        return defs.get(name ?? '')?.lines.join('\n');
    }
  }
}

/** Reads `mainFile` with its includes and returns the logical lines; problems go to `sink`. */
export function preprocess(mainFile: string, sink: DiagnosticSink, opts: PreprocessOptions): PreprocessResult {
  const p = new Preprocessor(sink, opts);
  p.readFile(mainFile, undefined);
  return { lines: p.lines, files: p.files };
}
