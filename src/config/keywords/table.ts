/**
 * The keyword-table machinery: a table per block kind maps each keepalived keyword (verbatim) to a
 * camelCase field, a value kind, keepalived's range, and the value a bare keyword takes. applyBlock()
 * walks a tree block with a table and yields a raw record of fields plus their positions; unknown
 * keywords are errors with a suggestion, and an unknown block is skipped whole (no cascade).
 */
import type { DiagnosticSink, Pos } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { parseScriptLine, type ScriptLine } from '../script-args.js';
import { canonicalIp, nearestKeyword, parseBool, parseInteger, parseTimerMs } from '../values.js';

/** How a keyword's value is read. */
export type ValueKind = 'uint' | 'int' | 'timerMs' | 'bool' | 'flag' | 'string' | 'words' | 'enum' | 'ip' | 'script' | 'lines' | 'block' | 'ignored' | 'custom';

/** One keyword of a table. */
export interface KeywordSpec {
  /** camelCase field the value lands in. */
  field: string;
  kind: ValueKind;
  min?: number;
  max?: number;
  /** Allowed words for 'enum'. */
  values?: readonly string[];
  /** 'enum' matched ignoring case (keepalived's strcasecmp), e.g. protocol. */
  caseInsensitive?: boolean;
  /** keepalived's default when the keyword is absent, as text for messages and docs. */
  default?: string;
  /** Value taken when the keyword has no argument; absent = an argument is required (flags: true). */
  bare?: unknown;
  /** Sub-table for 'block'. */
  block?: BlockTable;
  /** Collect every occurrence into an array instead of last-wins. */
  multiple?: boolean;
  /** For 'ignored': what keepalived does with it that ulvs does not. */
  note?: string;
  /** keepalived 2.2.7 does not know this keyword (keepalived -t: "Unknown keyword"): why, and what to write instead. */
  refused?: string;
  /** For 'ignored': why ulvs already does what keepalived does with it; then a note, not a warning. */
  equivalent?: string;
  /** For 'ignored': the keyword opens a { } block (true) or takes values on its line (false/absent). */
  takesBlock?: boolean;
  /** Deprecated alias: the keyword to use instead. */
  preferred?: string;
  /** For 'custom': parses the node (may report) and returns the value, or undefined to skip. */
  parse?: (node: ConfNode, sink: DiagnosticSink) => unknown;
}

/** The keywords of one block kind. */
export interface BlockTable {
  /** The block's keepalived name, for messages. */
  name: string;
  keywords: Record<string, KeywordSpec>;
}

/** One line of a value block (`virtual_ipaddress { ... }`): its words and position. */
export interface ValueLine extends Pos {
  words: string[];
  raw: string;
}

/** A named value block such as `virtual_server_group NAME { ... }`. */
export interface NamedLines {
  args: string[];
  pos: Pos;
  lines: ValueLine[];
}

/** The result of applying a table to a block: field values plus where each was set. */
export interface RawBlock {
  /** The table's block name (e.g. 'HTTP_GET'), telling checker kinds apart. */
  table: string;
  /** The words after the block keyword (e.g. the instance name, the VIP and port). */
  args: string[];
  pos: Pos;
  fields: Record<string, unknown>;
  at: Record<string, Pos>;
}

/** Keeps a ScriptLine together with its position. */
export interface ScriptValue extends ScriptLine {
  pos: Pos;
}

function rangeText(spec: KeywordSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `${spec.min}..${spec.max}`;
  if (spec.min !== undefined) return `>= ${spec.min}`;
  return 'a number';
}

/** Parses a scalar value of `spec` from `node`; reports and returns undefined on failure. */
function parseValue(spec: KeywordSpec, node: ConfNode, sink: DiagnosticSink, table: BlockTable): unknown {
  const kw = node.keyword;
  const arg = node.args[0];
  if (arg === undefined && spec.kind !== 'flag' && spec.kind !== 'ignored' && spec.kind !== 'custom') {
    if (spec.bare !== undefined) return spec.bare;
    const what = spec.kind === 'uint' || spec.kind === 'int' ? ` (${rangeText(spec)})` : spec.kind === 'enum' ? ` (one of ${spec.values!.join(', ')})` : '';
    const dflt = spec.default !== undefined ? ` the default ${spec.default}` : ' its default';
    sink.error(
      node,
      'missing-value',
      `'${kw}' in ${table.name} is missing its value${what}; keepalived -t rejects this too ("missing a parameter after keyword") and keeps${dflt} — write e.g. '${kw} ${spec.default ?? example(spec)}'.`,
    );
    return undefined;
  }
  switch (spec.kind) {
    case 'uint':
    case 'int': {
      const n = parseInteger(arg, spec.kind === 'int');
      if (n === undefined || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        sink.error(node, 'bad-value', `'${kw}' value '${arg}' is not an integer in ${rangeText(spec)}; the setting is ignored.`);
        return undefined;
      }
      return n;
    }
    case 'timerMs': {
      const ms = parseTimerMs(arg);
      const minMs = (spec.min ?? 0) * 1000;
      const maxMs = spec.max !== undefined ? spec.max * 1000 : Infinity;
      if (ms === undefined || ms < minMs || ms > maxMs) {
        const r = spec.max !== undefined ? `${spec.min ?? 0}..${spec.max}` : `>= ${spec.min ?? 0}`;
        sink.error(node, 'bad-value', `'${kw}' value '${arg}' is not a time in seconds in ${r}; the setting is ignored.`);
        return undefined;
      }
      return ms;
    }
    case 'bool': {
      const b = parseBool(arg!);
      if (b === undefined) {
        sink.error(node, 'bad-value', `'${kw}' value '${arg}' is not a boolean; use on/off, true/false or yes/no.`);
        return undefined;
      }
      return b;
    }
    case 'flag': {
      if (arg === undefined) return spec.bare ?? true;
      const b = parseBool(arg);
      if (b === undefined || node.args.length > 1) {
        sink.error(node, 'bad-value', `'${kw}' takes no value (or on/off); remove '${node.args.join(' ')}'.`);
        return undefined;
      }
      return b;
    }
    case 'string':
      if (node.args.length > 1)
        sink.warn(node, 'extra-words', `'${kw}' takes one value; '${node.args.slice(1).join(' ')}' is ignored (quote the value if it contains spaces).`);
      return arg;
    case 'words':
      return [...node.args];
    case 'enum': {
      const exact = spec.values!.find((x) => x === arg);
      const folded = spec.values!.find((x) => x.toLowerCase() === arg!.toLowerCase());
      if (exact !== undefined || (folded !== undefined && spec.caseInsensitive)) return exact ?? folded;
      const hint = folded !== undefined ? ` (keepalived is case-sensitive here: write '${folded}')` : '';
      sink.error(node, 'bad-value', `'${kw}' value '${arg}' is not one of ${spec.values!.join(', ')}${hint}; the setting is ignored.`);
      return undefined;
    }
    case 'ip': {
      const ip = canonicalIp(arg!);
      if (!ip) {
        sink.error(node, 'bad-value', `'${kw}' value '${arg}' is not an IPv4 or IPv6 address.`);
        return undefined;
      }
      return ip.address;
    }
    case 'script': {
      const s = parseScriptLine(node.rawArgs);
      if (!s) {
        sink.error(node, 'missing-value', `'${kw}' needs a command; write e.g. ${kw} "/usr/local/bin/script.sh arg".`);
        return undefined;
      }
      const v: ScriptValue = { ...s, pos: { file: node.file, line: node.line } };
      return v;
    }
    case 'custom':
      return spec.parse!(node, sink);
    default:
      return undefined;
  }
}

function example(spec: KeywordSpec): string {
  switch (spec.kind) {
    case 'uint':
    case 'int':
      return String(spec.min ?? 1);
    case 'timerMs':
      return '1';
    case 'bool':
      return 'on';
    case 'enum':
      return spec.values![0]!;
    case 'ip':
      return '192.0.2.1';
    case 'script':
      return '"/path/to/script arg"';
    default:
      return 'VALUE';
  }
}

/** Walks `nodes` with `table`; returns the raw block. `args`/`pos` describe the block's own line. */
export function applyBlock(nodes: readonly ConfNode[], table: BlockTable, sink: DiagnosticSink, args: string[], pos: Pos): RawBlock {
  const raw: RawBlock = { table: table.name, args, pos, fields: {}, at: {} };
  for (const node of nodes) {
    const spec = table.keywords[node.keyword];
    if (!spec) {
      const near = nearestKeyword(node.keyword, Object.keys(table.keywords));
      const hint = near ? ` — did you mean '${near}'?` : '; check its spelling against keepalived.conf(5) or remove it.';
      if (node.children) sink.error(node, 'unknown-block', `unknown block '${node.keyword}' in ${table.name} is skipped whole${hint}`);
      else sink.error(node, 'unknown-keyword', `unknown keyword '${node.keyword}' in ${table.name}${hint}`);
      continue;
    }
    const here: Pos = { file: node.file, line: node.line };
    if (spec.refused) {
      sink.error(
        node,
        'unknown-keyword',
        `keepalived 2.2.7 does not know '${node.keyword}' in ${table.name} (keepalived -t: "Unknown keyword"): ${spec.refused}.`,
      );
      continue;
    }
    if (spec.preferred) sink.note(here, 'deprecated', `'${node.keyword}' is an old name; keepalived now calls it '${spec.preferred}'.`);
    if (spec.kind === 'ignored') {
      if (!spec.takesBlock && node.children) {
        sink.error(node, 'unexpected-block', `'${node.keyword}' does not take a { } block; the block is skipped.`);
        continue;
      }
      if (spec.takesBlock && !node.children) {
        sink.error(node, 'missing-block', `'${node.keyword}' needs a { ... } block.`);
        continue;
      }
      if (spec.equivalent) sink.note(here, 'no-op', `'${node.keyword}' needs nothing in ulvs: ${spec.equivalent}.`);
      else
        sink.warn(
          here,
          'not-implemented',
          `'${node.keyword}' is accepted but has no effect in ulvs${spec.note ? ` (${spec.note})` : ''}; remove it, or run keepalived where you need it.`,
        );
      continue;
    }
    if (spec.kind === 'block' || spec.kind === 'lines') {
      if (!node.children) {
        sink.error(node, 'missing-block', `'${node.keyword}' needs a { ... } block.`);
        continue;
      }
      let value: unknown;
      if (spec.kind === 'block') value = applyBlock(node.children, spec.block!, sink, node.args, here);
      else {
        const lines: ValueLine[] = [];
        collectLines(node.children, lines, sink, node.keyword);
        if (spec.multiple) value = { args: [...node.args], pos: here, lines } satisfies NamedLines;
        else {
          if (node.args.length > 0)
            sink.warn(node, 'extra-words', `'${node.args.join(' ')}' after '${node.keyword}' is ignored; put the values inside the braces.`);
          value = lines;
        }
      }
      store(raw, spec, value, here, sink, node, spec.kind === 'lines');
      continue;
    }
    if (node.children) {
      sink.error(node, 'unexpected-block', `'${node.keyword}' does not take a { } block; the block is skipped.`);
      continue;
    }
    const value = parseValue(spec, node, sink, table);
    if (value === undefined) continue;
    store(raw, spec, value, here, sink, node, false);
  }
  return raw;
}

function collectLines(children: readonly ConfNode[], out: ValueLine[], sink: DiagnosticSink, kw: string): void {
  for (const c of children) {
    if (c.children) {
      sink.error(c, 'unexpected-block', `'${kw}' holds a list of values, not blocks; the nested block '${c.keyword}' is skipped.`);
      continue;
    }
    out.push({ file: c.file, line: c.line, words: [c.keyword, ...c.args], raw: [c.keyword, c.rawArgs].filter(Boolean).join(' ') });
  }
}

function store(raw: RawBlock, spec: KeywordSpec, value: unknown, here: Pos, sink: DiagnosticSink, node: ConfNode, concat: boolean): void {
  const prev = raw.fields[spec.field];
  if (spec.multiple) {
    const arr = (prev as unknown[] | undefined) ?? [];
    arr.push(value);
    raw.fields[spec.field] = arr;
  } else if (concat && Array.isArray(prev)) {
    (prev as unknown[]).push(...(value as unknown[]));
  } else {
    if (prev !== undefined && spec.kind !== 'flag') {
      sink.warn(here, 'duplicate', `'${node.keyword}' is set again (first at line ${raw.at[spec.field]?.line}); the later value wins.`);
    }
    raw.fields[spec.field] = value;
  }
  raw.at[spec.field] ??= here;
}

/** Declares a keyword table keeping each keyword's literal field name and kind, so fieldsOf() can type its fields. */
export function defineTable<const K extends Record<string, KeywordSpec>>(name: string, keywords: K): { name: string; keywords: K } {
  return { name, keywords };
}

/** Declares keywords shared by several tables (spread into defineTable), keeping their literal fields and kinds. */
export function defineKeywords<const K extends Record<string, KeywordSpec>>(keywords: K): K {
  return keywords;
}

/** The value one keyword's spec stores (before `multiple` makes it a list). */
type ScalarOf<S> = S extends { kind: 'uint' | 'int' | 'timerMs' }
  ? number
  : S extends { kind: 'bool' | 'flag' }
    ? boolean
    : S extends { kind: 'string' | 'ip' }
      ? string
      : S extends { kind: 'words' }
        ? string[]
        : S extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : S extends { kind: 'script' }
            ? ScriptValue
            : S extends { kind: 'lines'; multiple: true }
              ? NamedLines
              : S extends { kind: 'lines' }
                ? ValueLine[]
                : S extends { kind: 'block' }
                  ? RawBlock
                  : S extends { kind: 'custom'; parse: (...args: never[]) => infer R }
                    ? Exclude<R, undefined>
                    : never;

/** The value one keyword's spec stores: a list when `multiple`, or its bare value when it has no argument. */
type ValueOf<S> = S extends { multiple: true } ? ScalarOf<S>[] : ScalarOf<S> | (S extends { bare: infer B } ? B : never);

type SpecsOf<T extends BlockTable> = T['keywords'][keyof T['keywords']];

/** The field names a table's keywords store into (ignored keywords store none). */
export type FieldName<T extends BlockTable> = Exclude<SpecsOf<T>['field'], ''>;

/** A table's fields and their types, derived from its keywords (several keywords may store one field). */
export type Fields<T extends BlockTable> = { readonly [F in FieldName<T>]?: ValueOf<Extract<SpecsOf<T>, { field: F }>> };

/** The fields of `raw` (made by applyBlock with `table`), typed from the table: a misspelt field is a type error. */
export function fieldsOf<T extends BlockTable>(table: T, raw: RawBlock | undefined): Fields<T> {
  return (raw?.fields ?? {}) as Fields<T>;
}

/** Position a field was set at, or the block's own position. */
export function at(raw: RawBlock, field: string): Pos {
  return raw.at[field] ?? raw.pos;
}

/** A keyword whose value ulvs keeps in no field (ignored, equivalent, refused). */
export type NoFieldSpec = KeywordSpec & { field: ''; kind: 'ignored' };

/** Shorthand for keywords kept for compatibility but not implemented. */
export function ignored(note?: string): NoFieldSpec {
  return note ? { field: '', kind: 'ignored', note } : { field: '', kind: 'ignored' };
}

/** Shorthand for block keywords kept for compatibility but not implemented. */
export function ignoredBlock(note?: string): NoFieldSpec {
  return { ...ignored(note), takesBlock: true };
}

/** Shorthand for a keyword whose keepalived effect ulvs already has (only a note). */
export function equivalent(why: string): NoFieldSpec {
  return { field: '', kind: 'ignored', equivalent: why };
}

/** Shorthand for a keyword keepalived 2.2.7 does not register (an older or newer release's): an error, as in keepalived -t. */
export function refused(why: string): NoFieldSpec {
  return { field: '', kind: 'ignored', refused: why };
}

/** Adds many ignored keywords with one note. */
export function ignoredAll(names: readonly string[], note?: string, takesBlock = false): Record<string, NoFieldSpec> {
  return Object.fromEntries(names.map((n) => [n, takesBlock ? ignoredBlock(note) : ignored(note)]));
}
