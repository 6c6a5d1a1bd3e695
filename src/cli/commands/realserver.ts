/**
 * `ulvs realserver setup|teardown|status|decap|run`: prepares a host to be an LVS DR or TUN real
 * server (VIP on lo/tunl0, ARP sysctls, rp_filter) and, on kernels without ipip, runs the userspace
 * IPIP decapsulator. Runnable directly: `node dist/cli/commands/realserver.js ...`.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { kernelHasIpip, realServerSetup, realServerStatus, realServerTeardown, type RealServerMode } from '../../realserver/setup.js';
import { DECAP_PATHS, startIpipDecap, type DecapPath } from '../../realserver/ipip-decap.js';
import { run } from '../../util/exec.js';

const USAGE = `usage: ulvs realserver setup    --mode dr|tun --vip VIP [--vip VIP...]
       ulvs realserver teardown
       ulvs realserver status   --mode dr|tun --vip VIP [--vip VIP...]
       ulvs realserver decap    [--iface IF] [--decap auto|xdp|userspace]   (IPIP decapsulator, until Ctrl-C)
       ulvs realserver run      --mode dr|tun --vip VIP [--iface IF] [--decap auto|xdp|userspace]
                                (setup + decap if needed; teardown on exit)

setup:    puts the VIP on lo (tun: tunl0 when the kernel has ipip), sets arp_ignore=1 and
          arp_announce=2 (and rp_filter=0 for tun); everything it changes is undone by teardown.
status:   explains what is missing or misconfigured, one sentence each; exit 1 if anything is.
decap:    receives IPIP packets for this host's addresses and hands the inner packets to the stack
          (for kernels without the ipip module). --decap auto (default) pops IPv4 IPIP in the kernel
          with an XDP program when the kernel allows it, else in userspace; xdp requires XDP;
          userspace never attaches it. IPv6-in-IPv6 is always decapsulated in userspace.
`;

/** The interface of the IPv4 default route, else of the IPv6 one (an IPv6-only real server), else eth0. */
async function ifaceWithDefaultRoute(): Promise<string> {
  for (const fam of ['-4', '-6']) {
    const r = await run(['ip', '-j', fam, 'route', 'show', 'default']);
    try {
      const dev = (JSON.parse(r.stdout) as Array<{ dev?: string }>)[0]?.dev;
      if (dev) return dev;
    } catch {
      /* no route of this family */
    }
  }
  return 'eth0';
}

/** The interface's global addresses of both families: IPIP arrives on IPv4 ones, IPv6-in-IPv6 on IPv6 ones. */
async function addressesOf(iface: string): Promise<string[]> {
  const r = await run(['ip', '-j', 'addr', 'show', 'dev', iface]);
  try {
    return (JSON.parse(r.stdout) as Array<{ addr_info: Array<{ local: string; scope?: string }> }>).flatMap((l) =>
      l.addr_info.filter((a) => a.scope !== 'link').map((a) => a.local),
    );
  } catch {
    return [];
  }
}

/** The decapsulator holds a tagged raw-table DROP for IPIP while it runs. */
async function decapRunning(): Promise<boolean> {
  const r = await run(['iptables-save', '-t', 'raw']);
  return r.stdout.split('\n').some((l) => l.includes('--comment ulvs') && /-p (4|ipencap) /.test(l));
}

async function runDecap(iface: string | undefined, path: DecapPath, out: (l: string) => void): Promise<() => Promise<void>> {
  const dev = iface ?? (await ifaceWithDefaultRoute());
  const addrs = await addressesOf(dev);
  if (addrs.length === 0) throw new UserError(`interface ${dev} has no IPv4 or IPv6 address to receive tunnelled packets on`);
  let d;
  try {
    d = await startIpipDecap(dev, addrs, path);
  } catch (e) {
    throw new UserError(`cannot start the IPIP decapsulator on ${dev}: ${(e as Error).message}`);
  }
  const where = d.xdp
    ? `in the kernel (XDP, ${d.xdp.mode} mode; IPv6-in-IPv6 in userspace)`
    : `in userspace${d.xdpError ? ` (XDP not used: ${d.xdpError})` : ''}`;
  out(`ulvs realserver: decapsulating IPIP to ${addrs.join(', ')} on ${dev} ${where}; Ctrl-C to stop`);
  return async () => {
    const inKernel = d.xdp?.decapsulated() ?? 0;
    await d.stop();
    out(`ulvs realserver: decapsulated ${inKernel} packet(s) in the kernel (XDP), ${d.counters.decapsulated} in userspace`);
  };
}

function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
}

/** The `ulvs realserver` subcommand. */
export const command: CliCommand = {
  name: 'realserver',
  summary: 'prepare a real server for DR or TUN (VIP on lo, ARP sysctls, userspace IPIP)',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    let v;
    try {
      v = parseArgs({
        args: rest,
        options: { mode: { type: 'string' }, vip: { type: 'string', multiple: true }, iface: { type: 'string' }, decap: { type: 'string', default: 'auto' } },
      }).values;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const out = (l: string): void => {
      process.stdout.write(l + '\n');
    };
    const needMode = (): RealServerMode => {
      if (v.mode !== 'dr' && v.mode !== 'tun') throw new UsageError('--mode must be dr or tun');
      if (!v.vip?.length) throw new UsageError('--vip is required');
      return v.mode;
    };
    if (!['setup', 'teardown', 'status', 'decap', 'run'].includes(sub ?? '')) throw new UsageError(sub ? `unknown action '${sub}'` : 'an action is required');
    const decap = v.decap as DecapPath;
    if (!DECAP_PATHS.includes(decap)) throw new UsageError(`--decap must be auto, xdp or userspace, not '${v.decap}'`);
    if (sub !== 'status' && process.getuid?.() !== 0) throw new UserError(`ulvs realserver ${sub} needs root`);
    if (sub === 'status') {
      const findings = await realServerStatus(needMode(), v.vip!, await decapRunning());
      for (const f of findings) out(`${f.ok ? 'ok  ' : 'BAD '} ${f.message}`);
      return findings.every((f) => f.ok) ? 0 : 1;
    }
    if (sub === 'teardown') {
      const done = await realServerTeardown();
      out(done.length ? done.join('\n') : 'nothing to undo');
      return 0;
    }
    if (sub === 'setup') {
      for (const l of await realServerSetup(needMode(), v.vip!)) out(l);
      return 0;
    }
    if (sub === 'decap') {
      const stop = await runDecap(v.iface, decap, out);
      await untilSignal();
      await stop();
      return 0;
    }
    // run: setup, decap when the kernel cannot, wait, undo.
    const mode = needMode();
    for (const l of await realServerSetup(mode, v.vip!)) out(l);
    let stop: (() => Promise<void>) | undefined;
    try {
      if (mode === 'tun' && !(await kernelHasIpip())) stop = await runDecap(v.iface, decap, out);
      out('ulvs realserver: ready');
      await untilSignal();
    } finally {
      await stop?.();
      await realServerTeardown();
    }
    return 0;
  },
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  command.run(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`ulvs realserver: ${(e as Error).message}\n`);
      process.exit(e instanceof UsageError ? 2 : 1);
    },
  );
}
