/**
 * `ulvs drain`: the graceful way out of an ECMP group. The daemon withdraws its VIPs from the routers
 * (ulvs_bgp), waits until no packet arrives any more (the router moved the flows to the other
 * directors) or drain_wait has passed, and then stops as on SIGTERM.
 */
import { parseArgs } from 'node:util';
import { ApiCallError, ApiConnectError, callOnce } from '../../api/client.js';
import { defaultSocketPath } from '../../control/runtime-paths.js';
import { UsageError, UserError, type CliCommand } from '../command.js';

const usage = `usage: ulvs drain [--socket PATH] [--json]

Withdraws the running daemon's VIPs from its BGP peers (the ulvs_bgp block), waits until no packet has
arrived for 1 s (at most drain_wait seconds), then stops the daemon. Exit 0 once it is stopping.`;

async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, options: { socket: { type: 'string' }, json: { type: 'boolean' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  try {
    const r = await callOnce<{ withdrawn: string[]; waitedMs: number; quiet: boolean }>(v.socket ?? defaultSocketPath(), 'drain');
    if (v.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `withdrew ${r.withdrawn.join(' ') || 'nothing'}; ${r.quiet ? 'no packet for 1 s' : 'drain_wait over with packets still arriving'} after ${r.waitedMs} ms; the daemon stops now\n`,
      );
    return 0;
  } catch (e) {
    if (e instanceof ApiCallError || e instanceof ApiConnectError) throw new UserError(e.message);
    throw e;
  }
}

/** `ulvs drain`. */
export const command: CliCommand = { name: 'drain', summary: 'withdraw the VIPs (BGP), wait until the traffic moved, then stop the daemon', usage, run };
