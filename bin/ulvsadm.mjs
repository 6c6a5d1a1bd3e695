#!/usr/bin/env node
// `ulvsadm` entry: ipvsadm's command line against the running ulvs daemon (compiled CLI in dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/ulvsadm.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("ulvsadm: dist/ is missing: run 'npm run build' (or 'node scripts/setup.mjs') in the ulvs checkout\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
