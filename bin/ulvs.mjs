#!/usr/bin/env node
// `ulvs` entry: runs the compiled CLI from dist/ (built by `npm ci` / `npm run build`).
// First thing: a SIGUSR1 listener, so the signal (keepalived's DATA dump) never opens Node's inspector.
process.on('SIGUSR1', () => {});
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/ulvs.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("ulvs: dist/ is missing: run 'npm run build' (or 'node scripts/setup.mjs') in the ulvs checkout\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
