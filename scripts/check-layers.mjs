#!/usr/bin/env node
// Enforces ARCHITECTURE.md's import table: each src/ folder imports only the folders its row names
// (so the data plane never imports the control plane), and only src/native/addon.ts loads the native
// addon. Exits 1 listing each offending import; the allow-list below names what is left to fix.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = process.env.ULVS_LAYERS_SRC ?? path.join(root, 'src'); // another tree: for the script's own test

const BASE = ['core', 'util', 'native', 'ipvs'];
const DATA = ['packet', 'sched', 'table', 'forward', 'io', 'dataplane'];
const CONTROL = ['host', 'config', 'bfd', 'bgp', 'vrrp', 'health', 'sync', 'metrics', 'dashboard', 'control', 'api', 'cli'];

// Who may import whom (ARCHITECTURE.md "Folders"). A target written 'dir/file.ts' allows that one
// file; `types` lists targets a folder may import with `import type` only.
const MAY = {
  core: [],
  util: [],
  native: ['util'],
  ipvs: ['util'],
  packet: [...BASE],
  sched: [...BASE],
  table: [...BASE, 'packet', 'sched'],
  forward: [...BASE, 'packet'],
  io: [...BASE, 'packet'],
  dataplane: [...BASE, ...DATA],
  host: [...BASE],
  config: [...BASE, 'vrrp/types.ts', 'health/types.ts', 'bfd/types.ts', 'bgp/types.ts'],
  bfd: [...BASE],
  bgp: [...BASE],
  vrrp: [...BASE, 'bfd'],
  health: [...BASE, 'bfd'],
  sync: [...BASE],
  metrics: [...BASE, 'dataplane/pool.ts'],
  dashboard: [...BASE, 'packet', 'dataplane/explain-flow.ts', 'metrics/server.ts'],
  control: [...BASE, ...DATA, 'host', 'config', 'bfd', 'bgp', 'vrrp', 'health', 'sync', 'metrics', 'dashboard', 'api/server.ts', 'api/protocol.ts'],
  api: [...BASE],
  cli: [...BASE, ...DATA, ...CONTROL, 'lab', 'realserver'],
  lab: ['core', 'util', 'api/client.ts'],
  realserver: ['core', 'util', 'native', 'packet', 'io/afpacket.ts', 'io/bpf.ts'],
};
const TYPES = {
  dashboard: ['dataplane/explain.ts', 'metrics/source.ts'],
  host: ['dataplane/snapshot-types.ts'],
  api: ['control'],
  lab: ['realserver/ipip-decap.ts'],
};
// Base folders may use the shared vocabulary in core/ (it imports nothing but node).
for (const f of ['util', 'native', 'ipvs']) MAY[f].push('core');

// Imports against the table that are still in the tree, each with why and where it goes. Remove a
// line when its import is gone; the check fails on a stale line too, so this list stays what is left.
const ALLOWED = [];

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

function allows(list, targetRel) {
  const folder = targetRel.split('/')[0];
  return list.includes(folder) || list.includes(targetRel);
}

const IMPORT = /(?:^|\n)[ \t]*(?:import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
const problems = [];
const used = new Set();
for (const file of files(src)) {
  const rel = path.relative(src, file).split(path.sep).join('/');
  const layer = rel.split('/')[0];
  const text = readFileSync(file, 'utf8');
  text.split('\n').forEach((line, i) => {
    if (/\.node['"]/.test(line) && /require|import|dlopen/.test(line) && rel !== 'native/addon.ts') {
      problems.push(`${rel}:${i + 1}: loads a .node file; only src/native/addon.ts may load the addon`);
    }
  });
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[2] ?? m[3];
    const typeOnly = m[1] !== undefined;
    const target = path
      .relative(src, path.resolve(path.dirname(file), spec))
      .split(path.sep)
      .join('/')
      .replace(/\.js$/, '.ts');
    const tLayer = target.split('/')[0];
    if (tLayer === layer || tLayer.startsWith('..')) continue;
    if (!(layer in MAY)) {
      problems.push(`${rel}: folder ${layer}/ has no row in the import table (ARCHITECTURE.md)`);
      continue;
    }
    if (allows(MAY[layer], target) || (typeOnly && allows(TYPES[layer] ?? [], target))) continue;
    const id = `${rel} -> ${target}`;
    if (ALLOWED.includes(id)) {
      used.add(id);
      continue;
    }
    const line = text.slice(0, m.index).split('\n').length + (m[0].startsWith('\n') ? 1 : 0);
    const why = DATA.includes(layer) && CONTROL.includes(tLayer) ? 'data plane imports control plane' : `${layer}/ may not import ${tLayer}/`;
    problems.push(`${rel}:${line}: ${why} (${target}${typeOnly ? ', type' : ''})`);
  }
}
if (!process.env.ULVS_LAYERS_SRC)
  for (const a of ALLOWED) if (!used.has(a)) problems.push(`allow-list line '${a}' matches no import any more: remove it from scripts/check-layers.mjs`);
if (problems.length) {
  process.stderr.write(`layer check failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(
  `layer check: every import follows the table, data plane imports no control plane; one addon loader; ${ALLOWED.length} allowed exception(s) left\n`,
);
