#!/usr/bin/env node
// Draws bench/live.svg from the tables in bench/live.md: one bar per path, ratio to kernel forwarding,
// for HTTP keep-alive req/s and for 64-byte UDP packets/s. Run by run.mjs after it writes live.md;
// `node bench/live/chart.mjs` redraws it alone.
import { readFileSync, writeFileSync } from 'node:fs';

const md = readFileSync(new URL('../live.md', import.meta.url), 'utf8');

/** Rows of the markdown table that follows `heading`: [path, ratio] for the ×kernel column `col`. */
function ratios(heading, col) {
  const at = md.indexOf(heading);
  if (at < 0) return [];
  const out = [];
  let inTable = false;
  for (const l of md.slice(at).split('\n').slice(1)) {
    if (!l.startsWith('|')) {
      if (inTable) break;
      continue;
    }
    inTable = true;
    if (l.startsWith('| path') || l.startsWith('|---')) continue;
    const cells = l.split('|').slice(1, -1).map((c) => c.trim());
    const v = Number.parseFloat(cells[col]);
    if (Number.isFinite(v)) out.push([cells[0].replace(/\s*\(.*\)$/, ''), v]);
  }
  return out;
}

const sets = [
  ['HTTP requests/s, keep-alive (× kernel forwarding)', ratios('## HTTP', 2)],
  ['64-byte UDP packets/s delivered (× kernel forwarding)', ratios('## UDP', 2)],
];
const W = 900, bar = 16, gap = 6, left = 330, scaleW = W - left - 60;
let y = 30;
const parts = [];
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
for (const [title, rows] of sets) {
  if (!rows.length) continue;
  const max = Math.max(1.0, ...rows.map((r) => r[1]));
  parts.push(`<text x="10" y="${y}" font-size="15" font-weight="bold">${esc(title)}</text>`);
  y += 12;
  const top = y;
  for (const [name, v] of rows) {
    const w = Math.max(1, (v / max) * scaleW);
    const color = name.startsWith('ulvs') ? '#2b7bb9' : name.startsWith('kernel') ? '#555' : '#aaa';
    parts.push(`<text x="${left - 8}" y="${y + bar - 4}" font-size="11" text-anchor="end">${esc(name)}</text>`);
    parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${color}"/>`);
    parts.push(`<text x="${left + w + 4}" y="${y + bar - 4}" font-size="11">${v.toFixed(2)}×</text>`);
    y += bar + gap;
  }
  const x1 = left + scaleW / max;
  parts.push(`<line x1="${x1}" y1="${top - 4}" x2="${x1}" y2="${y}" stroke="#c00" stroke-dasharray="4,3"/>`);
  y += 30;
}
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y}" font-family="sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
writeFileSync(new URL('../live.svg', import.meta.url), svg);
process.stdout.write(`wrote bench/live.svg (${sets.map(([, r]) => r.length).join(' + ')} bars)\n`);
