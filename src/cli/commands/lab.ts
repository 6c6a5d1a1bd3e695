/**
 * `ulvs lab up|down|status|demo`: the network-namespace lab from the command line.
 */
import { parseArgs } from 'node:util';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { requireNetAdmin } from '../../util/privileges.js';
import { Lab, checkLabId } from '../../lab/lab.js';
import { describeLab } from '../../lab/describe.js';

const USAGE = `usage: ulvs lab up     [--id ID] [--mode dr|nat|tun] [--real-servers N] [--directors N --ecmp] [--queues N]
       ulvs lab down   [--id ID | --all]
       ulvs lab status [--id ID]
       ulvs lab demo   [--id ID] [--mode dr|nat|tun]... [--keep]
       ulvs lab dashboard [--id ID] [--node lb1] [--listen 127.0.0.1:9480]
       ulvs lab demo   [--id ID] --ecmp [--directors N] [--keep]

Builds a lab of network namespaces: client -- router -- LAN bridge with two directors (lb1, lb2)
and real servers (rs1..rs3) answering HTTP with their name. Needs root.
  --id ID          lab id (default "lab"); namespaces are named ulvs-ID-<host>
  --mode M         up: also start lb1's director in LVS mode M (dr, nat or tun: 'ulvs run -f' with the
                   mode's example keepalived.conf) and leave it running, its dashboard included
                   demo: the modes to demonstrate (default: all three)
  --real-servers N number of real servers (default 3)
  --directors N    number of directors lb1..lbN (default 2, with --ecmp 3; at most 8)
  --queues N       transmit/receive queues of every veth (default 1, at most 16): with N, a director's
                   eth0 receives on N queues, so 'ulvs run --backend afxdp --workers N' gives worker i queue i
  --ecmp           the router runs FRR (BGP from every director, BFD, ECMP hashed on L4 ports); up: every
                   director runs 'ulvs run --sloppy-tcp' (DR, mh, ulvs_bgp) and announces the VIP;
                   demo: long-lived flows spread over the directors, then one is drained out
                   --ecmp resilient: the router installs the VIP on a kernel resilient nexthop group
                   (following its BGP table; FRR 8.4 cannot) instead of FRR's hash-threshold route:
                   removing or adding a director then moves only the flows of its share
  --all            down: remove every ulvs lab on this host
  --keep           demo: leave the lab up afterwards
  --node N         dashboard: the director whose dashboard to relay (default lb1)
  --listen A       dashboard: this host's address for it (default 127.0.0.1:9480); runs until Ctrl-C`;

const MODES = ['dr', 'nat', 'tun'] as const;
type Mode = (typeof MODES)[number];

/** `--ecmp resilient` / `--ecmp threshold` (the value is optional, so parseArgs cannot take it): split off as --ecmp-hash. */
function splitEcmpHash(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const m = /^--ecmp=(.*)$/.exec(argv[i]!);
    if (m) out.push('--ecmp', '--ecmp-hash', m[1]!);
    else if (argv[i] === '--ecmp' && (argv[i + 1] === 'resilient' || argv[i + 1] === 'threshold')) out.push('--ecmp', '--ecmp-hash', argv[++i]!);
    else out.push(argv[i]!);
  }
  return out;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: splitEcmpHash(argv),
      allowPositionals: true,
      options: {
        id: { type: 'string', default: 'lab' },
        mode: { type: 'string', multiple: true },
        'real-servers': { type: 'string' },
        directors: { type: 'string' },
        queues: { type: 'string' },
        ecmp: { type: 'boolean', default: false },
        'ecmp-hash': { type: 'string', default: 'threshold' },
        all: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        node: { type: 'string', default: 'lb1' },
        listen: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function modesOf(values: { mode?: string[] }): Mode[] {
  const modes = values.mode ?? [];
  for (const m of modes) if (!(MODES as readonly string[]).includes(m)) throw new UsageError(`unknown mode '${m}' (expected dr, nat or tun)`);
  return modes as Mode[];
}

/** `--queues N` of `ulvs lab up|demo`: the veths' queue count (1 to 16), undefined when absent (1 queue). */
export function queuesOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 1 && n <= 16)) throw new UsageError(`--queues takes a number from 1 to 16, not '${value}'`);
  return n;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [action, ...extra] = positionals;
  if (!action) throw new UsageError('missing action (up, down, status or demo)');
  if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
  if (!['up', 'down', 'status', 'demo', 'dashboard'].includes(action)) throw new UsageError(`unknown action '${action}'`);
  try {
    checkLabId(values.id!);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const modes = modesOf(values);
  const rsCount = values['real-servers'] === undefined ? 3 : Number(values['real-servers']);
  if (!Number.isInteger(rsCount) || rsCount < 1 || rsCount > 50) throw new UsageError('--real-servers takes a number from 1 to 50');
  const directors = values.directors === undefined ? (values.ecmp ? 3 : 2) : Number(values.directors);
  if (!Number.isInteger(directors) || directors < 1 || directors > 8) throw new UsageError('--directors takes a number from 1 to 8');
  if (values.ecmp && modes.length) throw new UsageError('--ecmp runs DR with mh; it takes no --mode');
  const ecmp = values.ecmp;
  const ecmpHash = values['ecmp-hash'];
  if (ecmpHash !== 'threshold' && ecmpHash !== 'resilient') throw new UsageError(`--ecmp takes threshold or resilient, not '${ecmpHash}'`);
  const queues = queuesOption(values.queues);
  requireNetAdmin('ulvs lab');
  const out = (l: string): void => {
    process.stdout.write(l + '\n');
  };
  const demo = await import('../../lab/demo.js');

  switch (action) {
    case 'up': {
      if (modes.length > 1) throw new UsageError('up takes one --mode');
      const lab = await Lab.up({ id: values.id, realServers: rsCount, directors, ecmp, ecmpHash, queues });
      out(describeLab(lab));
      if (ecmp) {
        try {
          await (await import('../../lab/ecmp-demo.js')).startEcmp(lab, true);
          out(`every director announces the VIP; logs and configs in /run/ulvs/lab/${lab.id}-ecmp/`);
        } catch (e) {
          await lab.down();
          throw new UserError(`lab up --ecmp: ${(e as Error).message}`);
        }
      }
      if (modes[0]) {
        try {
          out(await demo.startMode(lab, modes[0]));
        } catch (e) {
          await lab.down();
          throw new UserError(`lab up --mode ${modes[0]}: ${(e as Error).message}`);
        }
      }
      out(`lab '${lab.id}' is up; 'ulvs lab down${lab.id === 'lab' ? '' : ` --id ${lab.id}`}' removes it`);
      return 0;
    }
    case 'down': {
      const ids = values.all ? await Lab.list() : [values.id!];
      for (const id of ids) {
        const removed = await Lab.destroy(id);
        out(removed.length ? `lab '${id}': removed ${removed.length} namespaces` : `lab '${id}': nothing to remove`);
      }
      return 0;
    }
    case 'dashboard': {
      const lab = await Lab.attach(values.id);
      if (!lab) throw new UserError(`lab '${values.id}' is not up ('ulvs lab up --mode dr' starts one with a director)`);
      if (!lab.nodes.some((n) => n.name === values.node)) throw new UsageError(`lab '${lab.id}' has no host '${values.node}'`);
      const { forwardDashboard } = await import('../../lab/dashboard-forward.js');
      let f;
      try {
        f = await forwardDashboard(lab, values.node!, values.listen);
      } catch (e) {
        throw new UserError(`lab dashboard: ${(e as Error).message}`);
      }
      out(`dashboard of ${values.node} (${lab.ns(values.node!)}): http://${f.address}/   (Ctrl-C stops the relay)`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await f.close();
      return 0;
    }
    case 'status': {
      const lab = await Lab.attach(values.id);
      if (!lab) {
        out(`lab '${values.id}' is not up`);
        const others = await Lab.list();
        if (others.length) out(`labs on this host: ${others.join(', ')}`);
        return 1;
      }
      out(describeLab(lab));
      return 0;
    }
    default: {
      const lab = await Lab.up({ id: values.id, realServers: rsCount, directors, ecmp, ecmpHash, queues });
      let code = 1;
      const stop = (): void => {
        void lab.down().then(() => process.exit(130));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      try {
        code = ecmp ? await (await import('../../lab/ecmp-demo.js')).runEcmpDemo(lab, out) : await demo.runDemo(lab, modes.length ? modes : [...MODES], out);
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (!values.keep) await lab.down();
      }
      if (values.keep) out(`lab '${lab.id}' left up ('ulvs lab down --id ${lab.id}' removes it)`);
      return code;
    }
  }
}

/** The `ulvs lab` subcommand. */
export const command: CliCommand = { name: 'lab', summary: 'network-namespace lab', usage: USAGE, run };
