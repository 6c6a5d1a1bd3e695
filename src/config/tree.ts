/**
 * Logical lines -> keyword tree. Tokens split on whitespace; a token starting with `"` runs to the next
 * `"` (keepalived's generic tokenizer: single quotes are not special here); `{` and `}` outside double
 * quotes are tokens of their own wherever they appear, so `kw {`, `kw` + newline + `{` and one-line
 * blocks all work. Every node keeps its file:line.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { LogicalLine } from './preprocess.js';

/** One word of a line. */
export interface Token {
  text: string;
  /** Written in double quotes. */
  quoted: boolean;
  /** Offsets in the logical line text. */
  start: number;
  end: number;
}

/** A keyword line, with its block when it opened one. */
export interface ConfNode {
  keyword: string;
  args: string[];
  /** The line text after the keyword, as written (quotes kept), for script keywords. */
  rawArgs: string;
  file: string;
  line: number;
  /** Present when the keyword opened a `{ ... }` block. */
  children?: ConfNode[];
}

/** Splits one logical line into tokens; reports an unmatched quote. */
export function tokenize(l: LogicalLine, sink: DiagnosticSink): Token[] {
  const s = l.text;
  const out: Token[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '{' || c === '}') {
      out.push({ text: c, quoted: false, start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let text = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          text += s[j]! + s[j + 1]!;
          j += 2;
          continue;
        }
        text += s[j++];
      }
      if (j >= s.length) {
        sink.error(l, 'unmatched-quote', `unmatched '"' in: ${s.trim()}; close the quoted string.`);
        out.push({ text, quoted: true, start: i, end: s.length });
        return out;
      }
      out.push({ text, quoted: true, start: i, end: j + 1 });
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < s.length && !/\s/.test(s[j]!) && s[j] !== '{' && s[j] !== '}') {
      // An unexpanded ${NAME} (undefined, e.g. meant for a shell) stays one word.
      if (s[j] === '$' && s[j + 1] === '{') {
        const close = s.indexOf('}', j + 2);
        if (close > 0 && !/\s/.test(s.slice(j + 2, close))) {
          j = close + 1;
          continue;
        }
      }
      j++;
    }
    out.push({ text: s.slice(i, j), quoted: false, start: i, end: j });
    i = j;
  }
  return out;
}

interface Frame {
  nodes: ConfNode[];
  opener?: ConfNode;
}

/** Deepest block nesting accepted (keepalived's own grammar nests at most 4 deep). */
export const MAX_BLOCK_DEPTH = 32;

/** Builds the keyword tree from logical lines; reports brace errors. */
export function buildTree(lines: readonly LogicalLine[], sink: DiagnosticSink): ConfNode[] {
  const root: Frame = { nodes: [] };
  const stack: Frame[] = [root];
  for (const l of lines) {
    const toks = tokenize(l, sink);
    let stmt: Token[] = [];
    const top = (): Frame => stack[stack.length - 1]!;
    const flush = (): ConfNode | undefined => {
      if (stmt.length === 0) return undefined;
      const first = stmt[0]!;
      const last = stmt[stmt.length - 1]!;
      const rawStart = stmt.length > 1 ? stmt[1]!.start : first.end;
      const node: ConfNode = {
        keyword: first.text,
        args: stmt.slice(1).map((t) => t.text),
        rawArgs: stmt.length > 1 ? l.text.slice(rawStart, last.end) : '',
        file: l.file,
        line: l.line,
      };
      top().nodes.push(node);
      stmt = [];
      return node;
    };
    for (let k = 0; k < toks.length; k++) {
      const t = toks[k]!;
      if (!t.quoted && t.text === '{') {
        let opener = flush();
        if (!opener && k === 0) {
          const prev = top().nodes[top().nodes.length - 1];
          if (prev && !prev.children && prev === lastOpenableFor(top())) opener = prev;
        }
        if (!opener) {
          sink.error(l, 'stray-brace', "'{' has no keyword before it; put the block's keyword on the same line or the line above.");
          opener = { keyword: '{', args: [], rawArgs: '', file: l.file, line: l.line };
          top().nodes.push(opener);
        }
        if (stack.length > MAX_BLOCK_DEPTH) {
          sink.error(
            l,
            'block-depth',
            `blocks nest deeper than ${MAX_BLOCK_DEPTH} levels here; the rest of the configuration is not read — remove the extra '{'.`,
          );
          return root.nodes;
        }
        opener.children = [];
        stack.push({ nodes: opener.children, opener });
        continue;
      }
      if (!t.quoted && t.text === '}') {
        flush();
        if (stack.length === 1) {
          sink.error(l, 'extra-brace', "extra '}' with no open block; remove it or add the missing '{'.");
          continue;
        }
        stack.pop();
        continue;
      }
      stmt.push(t);
    }
    flush();
    // The last statement of this frame ends on this line and may take a `{` on a later one.
    markOpenable(top(), top().nodes[top().nodes.length - 1]);
  }
  while (stack.length > 1) {
    const f = stack.pop()!;
    const o = f.opener!;
    sink.error(o, 'missing-brace', `block '${o.keyword}' opened here is never closed; add the missing '}'.`);
  }
  return root.nodes;
}

const openable = new WeakMap<Frame, ConfNode | undefined>();

function markOpenable(f: Frame, n: ConfNode | undefined): void {
  openable.set(f, n && !n.children ? n : undefined);
}

function lastOpenableFor(f: Frame): ConfNode | undefined {
  return openable.get(f);
}
