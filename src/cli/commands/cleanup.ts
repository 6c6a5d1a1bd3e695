/**
 * `ulvs cleanup -f FILE`: removes what a dead ulvs of FILE left in this network namespace (netfilter
 * rules, routes, sysctls, the data plane's addresses, the VRRP VIPs). For a unit's ExecStopPost, after a
 * crash of the whole service; a clean stop has already removed everything, so it then removes nothing.
 */
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.js';
import { loadDaemonConfig } from '../../control/config-source.js';
import { cleanupAfterCrash } from '../../control/crash-cleanup.js';
import { runningPid, defaultPidPath } from '../../control/runtime-paths.js';

const usage = `usage: ulvs cleanup -f FILE

Removes what a dead 'ulvs run' or 'ulvs keepalived' of FILE installed in this network namespace:
the data plane's netfilter rules, routes, addresses and sysctls, and the VIPs of FILE's VRRP instances.
Refuses while a daemon runs in this namespace.`;

async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { 'use-file': { type: 'string', short: 'f' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const file = v['use-file'] ?? '/etc/keepalived/keepalived.conf';
  const pid = runningPid(defaultPidPath());
  if (pid !== undefined) {
    process.stderr.write(`ulvs cleanup: a daemon (pid ${pid}) runs in this network namespace: stop it instead\n`);
    return 1;
  }
  const removed = await cleanupAfterCrash(file, loadDaemonConfig);
  for (const r of removed) process.stdout.write(`removed ${r}\n`);
  return 0;
}

/** `ulvs cleanup`. */
export const command: CliCommand = { name: 'cleanup', summary: 'remove what a dead daemon left (rules, VIPs)', usage, run };
