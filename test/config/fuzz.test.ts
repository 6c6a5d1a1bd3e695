// Fuzz: random edits of valid configs never make the loader throw; it always returns a model and
// well-formed diagnostics (file, line, severity, message). Deterministic PRNG, fixed iteration count.
import t from 'tap';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';

const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ulvs-fuzz-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
cpSync(join(here, 'fixtures', 'samples', 'conf.d'), join(dir, 'conf.d'), { recursive: true });

const corpus = ['seeds', 'samples'].flatMap((sub) => {
  const d = sub === 'seeds' ? join(here, '..', 'fixtures', 'seeds') : join(here, 'fixtures', sub);
  return readdirSync(d)
    .filter((f) => f.endsWith('.conf'))
    .map((f) => readFileSync(join(d, f), 'utf8'));
});

let state = 0x2545f491;
const rnd = (n: number): number => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state % n;
};
const ALPHABET = [
  '{',
  '}',
  '"',
  "'",
  '#',
  '!',
  '$',
  '@',
  '^',
  '~',
  '(',
  ')',
  ',',
  '\\',
  '\n',
  ' ',
  '\t',
  '/',
  '-',
  ':',
  '.',
  '0',
  '1',
  '9',
  '255',
  '65536',
  '-1',
  '${X}',
  '$X=',
  '~SEQ(N, 1, 99999)',
  '~LST(',
  '@lb1 ',
  'include *',
  'include /nonexistent/*',
  '::',
  '1.2.3',
  'weight',
  'priority',
  'real_server',
  'virtual_server_group',
  'fwmark',
  'TUN',
  '\u0000',
  'é',
];

function mutate(text: string): string {
  let s = text;
  const edits = 1 + rnd(4);
  for (let e = 0; e < edits; e++) {
    const lines = s.split('\n');
    const pos = rnd(s.length + 1);
    switch (rnd(7)) {
      case 0:
        s = s.slice(0, pos) + s.slice(pos + 1 + rnd(8));
        break; // delete chars
      case 1:
        s = s.slice(0, pos) + ALPHABET[rnd(ALPHABET.length)] + s.slice(pos);
        break; // insert token
      case 2:
        lines.splice(rnd(lines.length), 1);
        s = lines.join('\n');
        break; // delete a line
      case 3: {
        const i = rnd(lines.length);
        lines.splice(i, 0, lines[rnd(lines.length)]!);
        s = lines.join('\n');
        break;
      } // duplicate a line
      case 4: {
        const i = rnd(lines.length);
        const j = rnd(lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join('\n');
        break;
      } // swap lines
      case 5:
        s = s.slice(0, pos);
        break; // truncate
      default: {
        const words = s.split(/(\s+)/);
        const i = rnd(words.length);
        words[i] = ALPHABET[rnd(ALPHABET.length)]!;
        s = words.join('');
      } // replace a word
    }
  }
  return s;
}

const ITERATIONS = 1200;
t.test(`${ITERATIONS} random edits never throw and always yield a model with well-formed diagnostics`, async (t) => {
  let withErrors = 0;
  let failures = 0;
  for (let i = 0; i < ITERATIONS; i++) {
    const text = mutate(corpus[rnd(corpus.length)]!);
    const file = join(dir, `f${i % 50}.conf`);
    writeFileSync(file, text);
    let r;
    try {
      r = loadConfig(file, { configId: 'lb1', interfaces: ['eth0', 'lo'], env: { PATH: '/usr/bin:/bin' } });
    } catch (e) {
      failures++;
      if (failures <= 3) t.fail(`threw on input:\n${text}\n${(e as Error).stack}`);
      continue;
    }
    const bad = r.diagnostics.find((d) => !d.file || !(d.line >= 0) || !d.message || !['error', 'warning', 'note'].includes(d.severity));
    if (bad || !r.model || !Array.isArray(r.model.ipvs.services) || !Array.isArray(r.model.vrrp.instances)) {
      failures++;
      if (failures <= 3) t.fail(`malformed result for input:\n${text}\n${JSON.stringify(bad)}`);
    }
    if (!r.ok) withErrors++;
  }
  t.equal(failures, 0, 'no throw, no malformed result');
  t.ok(withErrors > ITERATIONS / 10, `edits are caught as errors (${withErrors}/${ITERATIONS})`);
});
