/**
 * `ulvs reload [-f FILE]`: asks the daemon of this network namespace to re-read its configuration
 * (like SIGHUP, but it answers): a broken file changes nothing and the errors are printed.
 */
import { parseArgs } from 'node:util';
import { ApiCallError, ApiConnectError, callOnce } from '../../api/client.js';
import { defaultSocketPath } from '../../control/runtime-paths.js';
import type { ReloadReport } from '../../control/daemon-options.js';
import { UsageError, UserError, type CliCommand } from '../command.js';

const usage = `usage: ulvs reload [-f FILE] [--socket PATH] [--json]

Makes the running daemon re-read its configuration (or FILE). Unchanged virtual services keep their
connections and checker state; a file with errors changes nothing. The file's services are put back
as the file says whatever ulvsadm did to them (printed as "reverted"); services added only with
ulvsadm stay. Exit 0 when the reload happened.`;

async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({
      args: argv,
      strict: true,
      options: { 'use-file': { type: 'string', short: 'f' }, socket: { type: 'string' }, json: { type: 'boolean' } },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  try {
    const r = await callOnce<ReloadReport>(v.socket ?? defaultSocketPath(), 'reload', v['use-file'] ? { file: v['use-file'] } : undefined);
    if (v.json) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      process.stdout.write(`reloaded ${r.file}: ${r.changes.length} rule change(s)\n`);
      for (const c of r.changes) process.stdout.write(`  ${c}\n`);
      if (r.reverted?.length) {
        process.stdout.write(`reverted ${r.reverted.length} change(s) made outside the file (ulvsadm):\n`);
        for (const c of r.reverted) process.stdout.write(`  ${c}\n`);
      }
      for (const w of r.warnings) process.stdout.write(`warning: ${w}\n`);
      for (const f of r.failed) process.stdout.write(`failed: ${f}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ApiCallError || e instanceof ApiConnectError) throw new UserError(e.message);
    throw e;
  }
}

/** `ulvs reload`. */
export const command: CliCommand = { name: 'reload', summary: 'make the running daemon re-read its configuration', usage, run };
