/**
 * Glob expansion for keepalived `include` lines: csh braces `{a,b}`, then `*`, `?` and `[...]` per path
 * segment, like glob(3) with GLOB_BRACE; matches are sorted as glob(3) sorts them.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

/** Expands csh-style braces: `a{b,c}d` -> [abd, acd] (nested braces allowed). */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') {
      if (depth++ === 0) open = i;
    } else if (c === '}' && depth > 0 && --depth === 0) {
      const inner = pattern.slice(open + 1, i);
      const parts: string[] = [];
      let d = 0;
      let start = 0;
      for (let j = 0; j < inner.length; j++) {
        const ch = inner[j];
        if (ch === '\\') {
          j++;
          continue;
        }
        if (ch === '{') d++;
        else if (ch === '}') d--;
        else if (ch === ',' && d === 0) {
          parts.push(inner.slice(start, j));
          start = j + 1;
        }
      }
      parts.push(inner.slice(start));
      if (parts.length === 1) continue; // `{x}` is literal, as in glob(3)
      const pre = pattern.slice(0, open);
      const post = pattern.slice(i + 1);
      return parts.flatMap((p) => expandBraces(pre + p + post));
    }
  }
  return [pattern];
}

/** True when the pattern segment contains a wildcard. */
export function hasWildcard(s: string): boolean {
  return /[*?[]/.test(s);
}

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\' && i + 1 < seg.length) {
      re += escapeRe(seg[++i]!);
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(re + '$');
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Expands one glob pattern relative to baseDir; returns existing paths, sorted. */
export function globFiles(pattern: string, baseDir: string): string[] {
  const out = new Set<string>();
  for (const p of expandBraces(pattern)) {
    const abs = isAbsolute(p) ? p : resolve(baseDir, p);
    const segs = abs.split('/').filter((s, i) => s !== '' || i === 0);
    let current = ['/'];
    for (const seg of segs.slice(1)) {
      const next: string[] = [];
      for (const dir of current) {
        if (!hasWildcard(seg)) {
          const cand = join(dir, seg.replace(/\\(.)/g, '$1'));
          if (exists(cand)) next.push(cand);
          continue;
        }
        if (!isDir(dir)) continue;
        const re = segmentRegex(seg);
        let names: string[] = [];
        try {
          names = readdirSync(dir);
        } catch {
          names = [];
        }
        for (const n of names.sort()) {
          if (n.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(n)) next.push(join(dir, n));
        }
      }
      current = next;
      if (current.length === 0) break;
    }
    for (const c of current) if (c !== '/') out.add(c);
  }
  return [...out].sort();
}
