#!/usr/bin/env node
// `ulvs-keepalived`: keepalived's command line (`ulvs keepalived ...`), for units whose ExecStart names keepalived.
process.on('SIGUSR1', () => {}); // keepalived's DATA signal must never open Node's inspector
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/ulvs.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write("ulvs-keepalived: dist/ is missing: run 'npm run build' (or 'node scripts/setup.mjs') in the ulvs checkout\n");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(['keepalived', ...process.argv.slice(2)]);
