// Every keyword keepalived 2.2.7 registers with its parser (fixtures/keepalived-keywords.json, replayed from
// keepalived's sources by scripts/keepalived-keywords.py), with what ulvs does with it: it runs (and the test
// files that exercise it are named), it is accepted with a default-level warning naming it and its line (or,
// inside a block ulvs skips, the block's warning covers it), or a note where ulvs already has its effect.
// Nothing may be accepted silently, and nothing keepalived knows may be refused as unknown.
import t from 'tap';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiagnosticSink } from '../../src/config/diagnostics.js';
import { rootTable } from '../../src/config/keywords/root.js';
import { applyBlock, type BlockTable, type KeywordSpec } from '../../src/config/keywords/table.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = JSON.parse(readFileSync(join(here, 'fixtures', 'keepalived-keywords.json'), 'utf8')) as {
  source: string;
  count: number;
  keywords: Array<{ block: string; keyword: string; source: string }>;
};

/** Every test file's text (the corpus the "runs" verdict points into). */
function testTexts(dir: string, out: Array<[string, string]> = []): Array<[string, string]> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) testTexts(p, out);
    else if (/\.(ts|conf)$/.test(e) || e.startsWith('keepalived.conf')) out.push([relative(join(here, '..', '..'), p), readFileSync(p, 'utf8')]);
  }
  return out;
}
const corpus = testTexts(join(here, '..')).filter(([f]) => !f.endsWith('keepalived-keywords.test.ts'));

type Verdict =
  | { kind: 'runs'; tests: string[] }
  | { kind: 'warns'; sentence: string }
  | { kind: 'note'; sentence: string }
  | { kind: 'inside-warned-block'; parent: string }
  | { kind: 'refused'; sentence: string };

/** What ulvs does with `keyword` inside the block at `path` (keepalived's nesting, '' = top level). */
function verdict(path: string[], keyword: string): Verdict {
  let table: BlockTable = rootTable;
  for (let i = 0; i < path.length; i++) {
    const spec: KeywordSpec | undefined = table.keywords[path[i]!];
    if (spec?.kind === 'ignored') return { kind: 'inside-warned-block', parent: path.slice(0, i + 1).join(' > ') };
    if (!spec?.block) return { kind: 'refused', sentence: `no table for ${path.slice(0, i + 1).join(' > ')}` };
    table = spec.block;
  }
  const spec = table.keywords[keyword];
  if (!spec || spec.refused) return { kind: 'refused', sentence: spec?.refused ?? 'unknown keyword' };
  if (spec.kind !== 'ignored') {
    const re = new RegExp(`(^|[\\s'"\`({]|\\\\n)${keyword.replace(/[-]/g, '\\-')}([\\s'"\`:)}]|\\\\n|$)`, 'm');
    return { kind: 'runs', tests: corpus.filter(([, text]) => re.test(text)).map(([f]) => f) };
  }
  const sink = new DiagnosticSink();
  const node = { keyword, args: ['x'], rawArgs: 'x', file: 'k.conf', line: 7, ...(spec.takesBlock ? { children: [] } : {}) };
  applyBlock([node], table, sink, [], { file: 'k.conf', line: 1 });
  const d = sink.list.find((x) => x.line === 7 && x.message.includes(`'${keyword}'`));
  if (d?.severity === 'warning') return { kind: 'warns', sentence: d.message };
  if (d?.severity === 'note' && spec.equivalent) return { kind: 'note', sentence: d.message };
  return { kind: 'refused', sentence: d?.message ?? 'accepted silently' };
}

t.test(`the fixture lists keepalived's registrations (${fixture.source})`, async (t) => {
  t.equal(fixture.keywords.length, fixture.count);
  t.ok(fixture.count >= 500, `${fixture.count} keyword/block pairs`);
});

const tally: Record<string, number> = {};
for (const { block, keyword, source } of fixture.keywords) {
  const path = block ? block.split(' > ') : [];
  const v = verdict(path, keyword);
  tally[v.kind] = (tally[v.kind] ?? 0) + 1;
  t.test(`${block || '(top)'} > ${keyword} (${source})`, async (t) => {
    t.not(
      v.kind,
      'refused',
      `keepalived 2.2.7 accepts '${keyword}' in ${block || 'the top level'}; ulvs must run it or warn: ${'sentence' in v ? v.sentence : ''}`,
    );
    if (v.kind === 'runs') t.ok(v.tests.length > 0, `a test exercises '${keyword}' (${v.tests.slice(0, 3).join(', ')})`);
    if (v.kind === 'warns') t.match(v.sentence, /has no effect|is accepted but/, 'the warning says it has no effect');
  });
}

t.test('summary: every keyword runs or warns', async (t) => {
  t.equal(tally.refused ?? 0, 0);
  t.comment(JSON.stringify(tally));
});
