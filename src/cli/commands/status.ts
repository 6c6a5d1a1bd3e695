/**
 * `ulvs status`: the running daemon's state (config, uptime, data plane, services, VRRP instances,
 * real-server health, last reload) as text or JSON.
 */
import { parseArgs } from 'node:util';
import { ApiCallError, ApiConnectError, callOnce } from '../../api/client.js';
import { defaultSocketPath } from '../../control/runtime-paths.js';
import type { DataPlaneMetrics, HealthView, VrrpInstanceView } from '../../control/ports.js';
import { UsageError, UserError, type CliCommand } from '../command.js';
import type { BgpStatus } from '../../bgp/announcer.js';

const usage = `usage: ulvs status [--socket PATH] [--json]

Shows the state of the daemon running in this network namespace. Exit 1 when none runs.`;

interface Status {
  pid: number;
  config: string;
  netns: string;
  socket: string;
  uptimeS: number;
  dataPlane: string;
  services: number;
  configServices: number;
  dataPlaneCounters: DataPlaneMetrics | null;
  lastReload: { ok: boolean; file: string; atMs: number; changes: string[]; errors: string[] } | null;
  vrrp: VrrpInstanceView[];
  health: HealthView[];
  /** ulvs_bgp: what is announced and the sessions as bgpd reports them (null without the block). */
  bgp?: BgpStatus | null;
}

/** One real server's health as `ulvs status` prints it: the verdict, its checkers and how many probes ran and failed. */
export function healthLine(
  h: Pick<HealthView, 'service' | 'realServer' | 'alive' | 'inService' | 'checks' | 'failures' | 'firstCheckPending' | 'checkers'>,
): string {
  const head = `health ${h.service} ${h.realServer}:`;
  if (!h.checkers.length) return `${head} no checker (always up)${h.inService ? '' : ' (out of service)'}`;
  const counts = h.firstCheckPending ? 'first check pending (warmup up to delay_loop)' : `${h.checks} check(s), ${h.failures} failed`;
  return `${head} ${h.alive ? 'up' : 'down'}${h.inService ? '' : ' (out of service)'} (${h.checkers.join(' ')}: ${counts})`;
}

async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, strict: true, options: { socket: { type: 'string' }, json: { type: 'boolean' } } }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  let s: Status;
  try {
    s = await callOnce<Status>(v.socket ?? defaultSocketPath(), 'status');
  } catch (e) {
    if (e instanceof ApiCallError || e instanceof ApiConnectError) throw new UserError(e.message);
    throw e;
  }
  if (v.json) {
    process.stdout.write(JSON.stringify(s) + '\n');
    return 0;
  }
  const lines = [
    `ulvs daemon pid ${s.pid}, up ${s.uptimeS} s, network namespace ${s.netns}`,
    `config:     ${s.config}`,
    `socket:     ${s.socket}`,
    `data plane: ${s.dataPlane}`,
    `services:   ${s.services} (${s.configServices} from the config file)`,
  ];
  if (s.dataPlaneCounters) {
    const w = s.dataPlaneCounters.workers;
    const drops =
      Object.entries(s.dataPlaneCounters.dropsByReason)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ') || 'none';
    lines.push(
      `workers:    ${w.length}, packets ${w.reduce((a, x) => a + x.packets, 0)} in ${w.reduce((a, x) => a + x.batches, 0)} batches, queue drops ${w.reduce((a, x) => a + x.queueDrops, 0)}; drops: ${drops}`,
    );
  }
  if (s.lastReload)
    lines.push(
      `last reload: ${new Date(s.lastReload.atMs).toISOString()} ${s.lastReload.ok ? `ok, ${s.lastReload.changes.length} change(s)` : `refused: ${s.lastReload.errors[0] ?? ''}`}`,
    );
  if (s.bgp) {
    lines.push(`bgp:        announced ${s.bgp.announced.join(' ') || 'nothing'}${s.bgp.draining ? ' (draining)' : ''}`);
    for (const p of s.bgp.peers) lines.push(`bgp peer ${p.peer}: ${p.state}, ${p.prefixesSent} prefix(es) sent`);
  }
  for (const i of s.vrrp)
    lines.push(`vrrp ${i.name} (vrid ${i.vrid}, ${i.interface}): ${i.state} priority ${i.effectivePriority}/${i.priority}, ${i.transitions} transition(s)`);
  for (const h of s.health) lines.push(healthLine(h));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** `ulvs status`. */
export const command: CliCommand = { name: 'status', summary: "show the running daemon's state", usage, run };
