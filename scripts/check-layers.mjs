#!/usr/bin/env node
// Enforces the architecture's import direction: the data plane never imports the control plane, and
// only src/native/addon.ts loads the native addon. Exits 1 listing each offending import.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src');
const DATA = ['packet', 'sched', 'table', 'forward', 'io', 'dataplane'];
const CONTROL = ['config', 'vrrp', 'health', 'metrics', 'control', 'api', 'cli'];

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

const problems = [];
for (const file of files(src)) {
  const rel = path.relative(src, file);
  const layer = rel.split(path.sep)[0];
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (/\.node['"]/.test(line) && /require|import|dlopen/.test(line) && rel !== path.join('native', 'addon.ts')) {
      problems.push(`${rel}:${i + 1}: loads a .node file; only src/native/addon.ts may load the addon`);
    }
    const m = /(?:from|import)\s*\(?\s*['"](\.[^'"]+)['"]/.exec(line);
    if (!m) return;
    const target = path.relative(src, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
    if (DATA.includes(layer) && CONTROL.includes(target)) {
      problems.push(`${rel}:${i + 1}: data plane (${layer}/) imports control plane (${target}/)`);
    }
  });
}
if (problems.length) {
  process.stderr.write(`layer check failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('layer check: data plane imports no control plane; one addon loader\n');
