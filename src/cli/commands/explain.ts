/**
 * `ulvs explain`: what the director does with one packet, step by step (virtual service, connection
 * entry hit or created, persistence template, the scheduler's inputs and choice, state transition, each
 * header field before and after, verdict, egress). Live against the daemon of this network namespace
 * (through the control socket; the daemon runs the pipeline on a copy, nothing live changes), or offline
 * against ipvsadm-save rules, for a made-up packet of a 5-tuple or for packet N of a capture (`ulvs replay
 * --explain N`).
 */
import { parseArgs } from 'node:util';
import { ApiCallError, ApiConnectError, callOnce } from '../../api/client.js';
import { LinkType } from '../../core/batch.js';
import { explainPacket, type Explanation } from '../../dataplane/explain.js';
import { loadSnapshot, SnapshotCompiler } from '../../dataplane/snapshot.js';
import { parseExplainFlow } from '../../dataplane/explain-flow.js';
import { defaultSocketPath } from '../../control/runtime-paths.js';
import type { SampleView } from '../../control/ports.js';
import { buildFlowPacket } from '../../packet/flow-frame.js';
import { parseMac } from '../../packet/addr.js';
import { attachSharedState, createSharedState } from '../../table/shared-state.js';
import { UsageError, UserError, type CliCommand } from '../command.js';
import { packetWalk, type PacketWalk } from '../../dashboard/walk.js';
import { formatExplanation, loadRules, parseReplayArgs, replayEnv, runReplay } from './replay.js';

const usage = `usage: ulvs explain PROTO CLIENT:PORT VIP:PORT [--flags S] [--fwmark N] [--socket PATH] [--json]
       ulvs explain --rules RULES PROTO CLIENT:PORT VIP:PORT [--flags S] [--fwmark N] [--json]
       ulvs explain --rules RULES --in IN.pcap --packet N [--json]
       ulvs explain --sampling N | --samples | --sample SEQ   [--socket PATH] [--json]

Says, step by step, what the director does with one packet: the virtual service matched, the connection
entry hit or created, the persistence template, the scheduler's inputs (weights, active/inactive
connections) and its choice, the state transition, every header field before and after (MACs,
addresses, ports, TTL, checksums, the outer header of TUN), the verdict and where the packet leaves.
  PROTO             tcp, udp or sctp
  --flags LETTERS   TCP flags of the packet (tcpdump letters: S, SA, A, FA, R; default S)
  --fwmark N        the packet's firewall mark (fwmark services)
  (no --rules)      ask the daemon of this network namespace (--socket, default its control socket);
                    it runs the packet through its pipeline on a copy of its connection table
  --rules RULES     offline, against ipvsadm-save rules (an empty connection table)
  --in, --packet N  offline: replay IN.pcap up to packet N (1 = the first) and explain packet N
  --sampling N      the daemon samples up to N live packets a second per worker (0 = off, the default;
                    when off the workers pay one shared-memory read per batch, nothing per packet)
  --samples         list the newest sampled live packets (number, time, flow, the workers' verdict)
  --sample SEQ      explain sampled packet SEQ: the workers' verdict when it arrived, then the same
                    packet against the table as it is now
  --walk            print the packet walk instead: client -> director -> real server -> client in the
                    packet's mode (DR, NAT, TUN), each hop's header fields, '*' where the director changed them,
                    'k' where the kernel sets them at egress (DR on NFQUEUE: the mark's policy route, the MACs)
  --json            the explanation as one JSON object`;

/** A packet walk as text: one block per hop, '*' before each field the director changed on it, 'k' before what the kernel sets at egress. */
export function formatWalk(w: PacketWalk): string {
  const lines = [`${(w.mode ?? 'not forwarded').toUpperCase()}: ${w.flow}`];
  w.hops.forEach((h, i) => {
    lines.push('', `${i + 1}. ${h.from} -> ${h.to}: ${h.note}`);
    for (const f of h.fields) lines.push(`   ${f.changed ? '*' : f.kernel ? 'k' : ' '} ${`${f.layer}.${f.name}`.padEnd(15)} ${f.value}`);
  });
  return lines.join('\n') + '\n';
}

async function run(argv: string[]): Promise<number> {
  let p;
  try {
    p = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        socket: { type: 'string' },
        rules: { type: 'string' },
        in: { type: 'string' },
        packet: { type: 'string' },
        flags: { type: 'string' },
        fwmark: { type: 'string' },
        json: { type: 'boolean' },
        sampling: { type: 'string' },
        samples: { type: 'boolean' },
        sample: { type: 'string' },
        walk: { type: 'boolean' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = p.values;
  const sock = v.socket ?? defaultSocketPath();
  const call = async <T>(method: 'explain' | 'samples' | 'sampling', params: Record<string, unknown>): Promise<T> => {
    try {
      return await callOnce<T>(sock, method, params);
    } catch (err) {
      if (err instanceof ApiCallError || err instanceof ApiConnectError) throw new UserError(err.message);
      throw err;
    }
  };
  if (v.sampling !== undefined) {
    if (!/^\d+$/.test(v.sampling)) throw new UsageError(`--sampling: expected packets a second (0 = off), got '${v.sampling}'`);
    const r = await call<{ rate: number }>('sampling', { rate: Number(v.sampling) });
    process.stdout.write(r.rate ? `sampling up to ${r.rate} live packet(s) a second per worker\n` : 'sampling off\n');
    return 0;
  }
  if (v.samples) {
    const r = await call<{ rate: number; samples: SampleView[] }>('samples', {});
    if (v.json) process.stdout.write(JSON.stringify(r) + '\n');
    else {
      const lines = [`sampling ${r.rate ? `${r.rate}/s per worker` : 'off'}; ${r.samples.length} sample(s)`];
      for (const x of r.samples) lines.push(`#${x.seq} ${new Date(x.atMs).toISOString()} ${x.flow}  ${x.verdict}${x.reason ? ` (${x.reason})` : ''}`);
      process.stdout.write(lines.join('\n') + '\n');
    }
    return 0;
  }
  let e: Explanation;
  if (v.sample !== undefined) {
    if (!/^\d+$/.test(v.sample)) throw new UsageError(`--sample: expected a sample number from --samples, got '${v.sample}'`);
    e = await call<Explanation>('explain', { sample: Number(v.sample) });
  } else if (v.in !== undefined || v.packet !== undefined) {
    if (!v.in || !v.packet || !v.rules) throw new UsageError('--in and --packet go together, with --rules');
    if (p.positionals.length) throw new UsageError('give either a flow (PROTO CLIENT:PORT VIP:PORT) or --in/--packet, not both');
    const o = parseReplayArgs(['--rules', v.rules, '--in', v.in, '--explain', v.packet]);
    const r = await runReplay({ ...o, reply: v.walk });
    e = r.explanation!;
  } else {
    const [proto, client, vip, ...extra] = p.positionals;
    if (!proto || !client || !vip || extra.length) throw new UsageError('expected PROTO CLIENT:PORT VIP:PORT, e.g. tcp 198.51.100.7:40000 198.18.0.100:80');
    const flow = parseExplainFlow(proto, client, vip, v.flags, v.fwmark);
    if (typeof flow === 'string') throw new UsageError(flow);
    if (v.rules) {
      const rules = loadRules(v.rules);
      const o = parseReplayArgs(['--rules', v.rules, '--in', '-', '--out', '/dev/null']);
      const mac = '02:00:00:00:00:fe';
      const { env, rsByIfindex } = replayEnv(rules, o, mac);
      const shared = createSharedState({ maxConns: 4096, maxWorkers: 2, seed: 1 });
      const live = attachSharedState(shared, 0);
      const spec = new SnapshotCompiler(live).compile(rules, env);
      loadSnapshot(spec, live);
      const frame = buildFlowPacket({ ...flow, ether: { dst: parseMac(mac)!, src: parseMac('02:00:00:00:00:01')! } });
      const ifnames: Record<number, string> = { 1: 'client side' };
      for (const [ifindex, rs] of rsByIfindex) ifnames[ifindex] = `towards ${rs}`;
      e = explainPacket({ spec, live, frame, linkType: LinkType.Ether, nowMs: Date.now(), fwmark: flow.fwmark, ifindex: 1, ifnames, reply: v.walk });
    } else {
      e = await call<Explanation>('explain', { flow: { ...flow, reply: v.walk } });
    }
  }
  if (v.walk) {
    const w = packetWalk(e);
    process.stdout.write(v.json ? JSON.stringify(w) + '\n' : formatWalk(w));
    return 0;
  }
  process.stdout.write(v.json ? JSON.stringify(e) + '\n' : formatExplanation(e));
  return 0;
}

/** `ulvs explain`. */
export const command: CliCommand = { name: 'explain', summary: 'say step by step what the director does with one packet (live or offline)', usage, run };
