/**
 * `ulvs`: the daemon and its tools as subcommands. Each subcommand lives in ./commands/<name>.ts and is
 * imported only when used, so `ulvs --help` stays fast and a broken part cannot break the others.
 */
import { UsageError, UserError, type CliCommand } from './command.js';
import { ERROR_CODES, hasErrorCode } from '../core/errors.js';

/** Subcommands in the order `ulvs --help` lists them, with their one-line summaries. */
export const COMMANDS: ReadonlyArray<readonly [name: string, summary: string]> = [
  ['run', 'run the director: VRRP, health checks and the data plane from a keepalived.conf'],
  ['keepalived', "keepalived's command line (-f -n -l -D -P -C -p -t --signum ...): supervisor + daemon, for keepalived units"],
  ['cleanup', 'remove what a dead daemon left in this network namespace (rules, VIPs): for ExecStopPost'],
  ['reload', 'make the running daemon re-read its configuration (like SIGHUP)'],
  ['status', "show the running daemon's state"],
  ['drain', 'withdraw the VIPs from the BGP peers, wait until the traffic moved, then stop the daemon'],
  ['check-config', 'validate a keepalived.conf (like keepalived -t, stricter)'],
  ['director', 'run the data plane alone from ipvsadm-save rules (no VRRP, no health checks)'],
  ['replay', 'run the forwarding pipeline over a pcap: rules + pcap in, pcap + report out'],
  ['explain', 'say step by step what the director does with one packet (live or offline)'],
  ['realserver', 'prepare a real server for DR or TUN (VIP on lo, ARP sysctls, userspace IPIP)'],
  ['lab', 'network-namespace lab: two directors, three real servers, a client (up|down|status|demo)'],
];

/** Text of `ulvs --help`. */
export function usage(): string {
  const w = Math.max(...COMMANDS.map(([n]) => n.length));
  return [
    'usage: ulvs <command> [options]',
    '',
    'A userspace IPVS-style layer-4 load balancer with integrated VRRP.',
    '',
    'commands:',
    ...COMMANDS.map(([n, s]) => `  ${n.padEnd(w)}  ${s}`),
    '',
    "Run 'ulvs <command> --help' for a command's options. ipvsadm's command line is 'ulvsadm'.",
  ].join('\n');
}

async function loadCommand(name: string): Promise<CliCommand | undefined> {
  try {
    const mod = (await import(`./commands/${name}.js`)) as { command?: CliCommand };
    return mod.command;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`commands/${name}.`)) return undefined;
    throw e;
  }
}

/** Runs `ulvs` with argv (without node and script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('ulvs 0.1.0\n');
    return 0;
  }
  if (!COMMANDS.some(([n]) => n === name)) {
    process.stderr.write(`ulvs: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const cmd = await loadCommand(name);
  if (!cmd) {
    process.stderr.write(`ulvs: '${name}' is not available in this build\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ulvs ${name}: ${e.message}\n\n${cmd.usage.trimEnd()}\n`);
      return 2;
    }
    if (e instanceof UserError || hasErrorCode(e, ERROR_CODES.NativeMissing) || hasErrorCode(e, ERROR_CODES.NotRoot)) {
      process.stderr.write(`ulvs ${name}: ${(e as Error).message}\n`);
      return e instanceof UserError ? e.exitCode : 1;
    }
    throw e;
  }
}
