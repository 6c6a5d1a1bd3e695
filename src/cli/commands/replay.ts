/**
 * `ulvs replay`: runs the forwarding pipeline (dataplane/pipeline.ts with a compiled snapshot) over a
 * pcap, in file order, with the clock taken from the pcap timestamps; writes what the director would
 * transmit as Ethernet frames to OUT and, optionally, each input packet's fate as JSON lines.
 *
 * The replayed director: one ingress interface (ifindex 1) with default routes on link, and one
 * egress interface per real-server address (ifindex 100+k, host route) so the report can name the
 * real server of every transmitted packet, DR included. All interfaces share the director MAC
 * (--mac, default: the destination MAC of the first input frame), --mtu and --local-ip addresses.
 * A next hop without a --neigh entry gets the placeholder MAC 02:00:00:00:00:00.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { UserError, type CliCommand } from '../command.js';
import { createBatch, frameOf, LinkType, Verdict } from '../../core/batch.js';
import { explainPacket, flowText, type Explanation } from '../../dataplane/explain.js';
import { processBatch } from '../../dataplane/pipeline.js';
import { dropReasonName as reasonName } from '../../packet/drop-reasons.js';
import { SnapshotCompiler, loadSnapshot, DEFAULT_PLACEHOLDER_MAC, type SnapshotEnv, type InterfaceEnv, type RouteEnv } from '../../dataplane/snapshot.js';
import { createSharedState, attachSharedState } from '../../table/shared-state.js';
import { parseRulesText } from '../../ipvs/rules-text.js';
import type { IpvsRules } from '../../ipvs/types.js';
import { PcapError, PcapReader, PcapWriter } from '../../io/pcap.js';
import { formatIpWords, formatMac, ipWords, parseMac } from '../../packet/addr.js';
import { PacketView } from '../../packet/packet-view.js';
import { parsePacket } from '../../packet/parse.js';
import { parseReplayArgs, REPLAY_USAGE, type ReplayOptions, type ReplayState } from '../replay-args.js';

export { DEFAULT_REPLAY_DASHBOARD, parseReplayArgs, type ReplayOptions, type ReplayPacket, type ReplayState } from '../replay-args.js';

/** Reads and parses the rules file; UserError with file:line on any problem. */
export function loadRules(path: string): IpvsRules {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(code === 'ENOENT' ? `${path}: no such file` : `${path}: cannot read (${code ?? String(e)})`);
  }
  try {
    return parseRulesText(text, path);
  } catch (e) {
    const ex = e as Error & { file?: string };
    if (ex.file !== undefined) throw new UserError(ex.message);
    throw e;
  }
}

/** The replayed director's interfaces and routes (see the module comment). */
export function replayEnv(rules: IpvsRules, o: ReplayOptions, mac: string): { env: SnapshotEnv; rsByIfindex: Map<number, string> } {
  const addresses = o.localIps.map((a) => a);
  const iface = (ifindex: number, name: string): InterfaceEnv => ({ ifindex, name, mac, mtu: o.mtu, addresses });
  const interfaces: InterfaceEnv[] = [iface(1, 'replay0')];
  const routes: RouteEnv[] = [
    { prefix: '0.0.0.0', prefixLen: 0, ifindex: 1 },
    { prefix: '::', prefixLen: 0, ifindex: 1 },
  ];
  const rsByIfindex = new Map<number, string>();
  const seen = new Map<string, number>();
  for (const vs of rules.services) {
    for (const rs of vs.realServers) {
      const w = ipWords(rs.address);
      if (!w) continue;
      const key = formatIpWords(w.words, w.family);
      if (seen.has(key)) continue;
      const ifindex = 100 + seen.size;
      seen.set(key, ifindex);
      rsByIfindex.set(ifindex, key);
      interfaces.push(iface(ifindex, `rs${seen.size}`));
      routes.push({ prefix: key, prefixLen: w.family === 4 ? 32 : 128, ifindex });
    }
  }
  return {
    env: { linkType: LinkType.Ether, interfaces, routes, neighbours: o.neigh, localAddresses: o.localIps, placeholderMac: DEFAULT_PLACEHOLDER_MAC },
    rsByIfindex,
  };
}

const VERDICT_NAMES = ['drop', 'accept', 'accept-modified', 'transmit'];

/** Runs a replay; resolves to the exit code (0). Throws UserError / UsageError. */
export async function runReplay(
  o: ReplayOptions,
  log: (line: string) => void = () => {},
): Promise<{ packets: number; transmitted: number; dropped: number; accepted: number; explanation?: Explanation; final?: ReplayState }> {
  const rules = loadRules(o.rules);
  let reader: PcapReader;
  try {
    reader = await PcapReader.open(o.in);
  } catch (e) {
    if (e instanceof PcapError) throw new UserError(e.message);
    throw e;
  }
  let writer: PcapWriter | undefined;
  let reportFd = -1;
  if (o.report) {
    try {
      reportFd = openSync(o.report, 'w');
    } catch (e) {
      await reader.close();
      throw new UserError(`${o.report}: cannot create (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }
  let reportLines: string[] = [];
  const totals: { packets: number; transmitted: number; dropped: number; accepted: number; explanation?: Explanation; final?: ReplayState } = {
    packets: 0,
    transmitted: 0,
    dropped: 0,
    accepted: 0,
  };
  try {
    // Explaining packet N: one packet per batch, so packet N meets exactly the state the packets before it left.
    const b = createBatch(1, o.explain !== undefined || o.onePerBatch ? 1 : 256);
    const clientMac = parseMac('02:00:00:00:00:01')!;
    let directorMac = o.mac ? parseMac(o.mac)! : undefined;
    const wrap = (): { dstMac: Uint8Array; srcMac: Uint8Array } => ({ dstMac: directorMac ?? parseMac('02:00:00:00:00:fe')!, srcMac: clientMac });
    let n = await readOrFail(reader, b, reader.batchLinkType === 2 ? wrap() : undefined);
    if (!directorMac)
      directorMac = reader.batchLinkType === 1 && n > 0 && b.length[0]! >= 6 ? b.buf.slice(b.start[0]!, b.start[0]! + 6) : parseMac('02:00:00:00:00:fe')!;
    const { env, rsByIfindex } = replayEnv(rules, o, formatMac(directorMac));
    const shared = createSharedState({ maxConns: o.maxConns, maxWorkers: 2, seed: 1 });
    const state = attachSharedState(shared, 0);
    const spec = new SnapshotCompiler(attachSharedState(shared, 1)).compile(rules, env);
    const snap = loadSnapshot(spec, state);
    const ifnames: Record<number, string> = { 1: 'replay0 (client side)' };
    for (const [ifindex, rs] of rsByIfindex) ifnames[ifindex] = `towards ${rs}`;
    const at: ReplayState = { state, spec, rules, directorMac: formatMac(directorMac), ifnames, nowMs: n > 0 ? b.timeMs[0]! : 0 };
    totals.final = at;
    try {
      writer = PcapWriter.create(o.out, 1);
    } catch (e) {
      if (e instanceof PcapError) throw new UserError(e.message);
      throw e;
    }
    const pv = new PacketView();
    const idle = createBatch(1, 1);
    let lastMs = n > 0 ? b.timeMs[0]! : 0;
    while (n > 0) {
      advanceClock(idle, snap, state, lastMs, b.timeMs[0]!);
      lastMs = b.timeMs[n - 1]!;
      for (let i = 0; i < n; i++) b.ifindex[i] = 1;
      // Save what the report needs about each input before the pipeline rewrites it.
      const inputs: string[] = [];
      if (o.report) for (let i = 0; i < n; i++) inputs.push(describe(pv, b.buf, b.start[i]!, b.length[i]!));
      const heads = o.onPacket ? Array.from({ length: n }, (_, i) => flowAndFlags(pv, b.buf, b.start[i]!, b.length[i]!)) : [];
      if (o.explain !== undefined && totals.packets + 1 === o.explain) {
        totals.explanation = explainPacket({
          spec,
          live: state,
          frame: frameOf(b, 0).slice(),
          linkType: LinkType.Ether,
          nowMs: b.timeMs[0] || 0,
          ifindex: 1,
          ifnames,
          reply: o.reply,
        });
      }
      processBatch(b, snap, state, b.timeMs[0] || 0);
      for (let i = 0; i < n; i++) {
        const v = b.verdict[i]!;
        totals.packets++;
        let out: number | null = null;
        if (v === Verdict.Transmit || v === Verdict.AcceptModified) {
          writer.write(b.buf, b.start[i]!, b.length[i]!, b.timeMs[i]!);
          out = writer.recordsWritten;
          totals.transmitted++;
        } else if (v === Verdict.Drop) totals.dropped++;
        else totals.accepted++;
        if (o.onPacket) {
          const r = b.reason[i]!;
          const sent = v === Verdict.Transmit || v === Verdict.AcceptModified;
          at.nowMs = b.timeMs[i]!;
          o.onPacket(
            {
              n: totals.packets,
              timeMs: b.timeMs[i]!,
              ...heads[i]!,
              verdict: VERDICT_NAMES[v] ?? String(v),
              reason: r === 0 ? null : reasonName(r),
              to: sent ? (rsByIfindex.get(b.outIfindex[i]!) ?? (b.outIfindex[i] === 1 ? 'client side' : `ifindex ${b.outIfindex[i]}`)) : null,
            },
            at,
          );
        }
        if (o.report) {
          const r = b.reason[i] !== 0 ? b.reason[i]! : 0;
          const rec: Record<string, unknown> = {
            packet: b.id[i],
            timeMs: b.timeMs[i],
            in: inputs[i],
            verdict: VERDICT_NAMES[v] ?? String(v),
            reason: r === 0 ? null : reasonName(r),
          };
          if (out !== null) {
            rec.out = out;
            rec.sent = describe(pv, b.buf, b.start[i]!, b.length[i]!);
            const rs = rsByIfindex.get(b.outIfindex[i]!);
            rec.to = rs ?? (b.outIfindex[i] === 1 ? 'client side' : `ifindex ${b.outIfindex[i]}`);
          }
          reportLines.push(JSON.stringify(rec));
        }
      }
      writer.flush();
      if (reportFd >= 0 && reportLines.length) {
        writeSync(reportFd, reportLines.join('\n') + '\n');
        reportLines = [];
      }
      if (totals.explanation) break;
      n = await readOrFail(reader, b, reader.batchLinkType === 2 ? wrap() : undefined);
    }
    if (o.explain !== undefined && !totals.explanation) throw new UserError(`${o.in}: has only ${totals.packets} packets, no packet ${o.explain} to explain`);
  } finally {
    await reader.close();
    writer?.close();
    if (reportFd >= 0) closeSync(reportFd);
  }
  log(`replayed ${totals.packets} packets: ${totals.transmitted} transmitted, ${totals.accepted} passed to the kernel, ${totals.dropped} dropped`);
  return totals;
}

/**
 * Lets the clock run from `fromMs` to `toMs` in steps of at most 1 s (at most MAX_IDLE_STEPS steps)
 * with empty batches, so the pipeline's expiry sweep sees time pass in order, as the kernel's
 * per-connection timers would (connections expire before the templates they hold are re-checked).
 */
function advanceClock(
  idle: ReturnType<typeof createBatch>,
  snap: Parameters<typeof processBatch>[1],
  state: Parameters<typeof processBatch>[2],
  fromMs: number,
  toMs: number,
): void {
  const gap = toMs - fromMs;
  if (!(gap > 1000)) return;
  const steps = Math.min(MAX_IDLE_STEPS, Math.ceil(gap / 1000));
  idle.count = 0;
  for (let k = 1; k <= steps; k++) processBatch(idle, snap, state, fromMs + (gap * k) / steps);
}

const MAX_IDLE_STEPS = 1000;

/**
 * A batch ends where the pcap clock jumps by more than this: the pipeline sweeps expired connections
 * once per batch, so a jump inside a batch would let connections (and the templates they hold) outlive
 * their timeout for the rest of that batch.
 */
const BATCH_SPLIT_GAP_MS = 1000;

async function readOrFail(r: PcapReader, b: ReturnType<typeof createBatch>, wrap?: { dstMac: Uint8Array; srcMac: Uint8Array }): Promise<number> {
  try {
    return await r.readBatch(b, wrap, BATCH_SPLIT_GAP_MS);
  } catch (e) {
    if (e instanceof PcapError) throw new UserError(e.message);
    throw e;
  }
}

/** One-line summary of a frame for the report: "tcp 198.51.100.10:40000 > 192.0.2.1:80 [S]" etc. */
function describe(pv: PacketView, buf: Uint8Array, start: number, length: number, linkType: LinkType = LinkType.Ether): string {
  const err = parsePacket(pv, buf, start, length, linkType);
  if (err !== 0 && !pv.isIp) return `unparsed (${reasonName(err)})`;
  if (!pv.isIp) return pv.etherType === 0x0806 ? 'arp' : `ethertype 0x${pv.etherType.toString(16)}`;
  const a = (w: Uint32Array): string => formatIpWords(w, pv.family);
  const ep = (w: Uint32Array, p: number): string => (pv.family === 6 ? `[${a(w)}]:${p}` : `${a(w)}:${p}`);
  const mac = linkType === LinkType.Ether ? `${formatMac(buf, start + 6)} > ${formatMac(buf, start)} ` : '';
  let s: string;
  switch (pv.protocol) {
    case 6:
      s = `tcp ${ep(pv.saddr, pv.sport)} > ${ep(pv.daddr, pv.dport)} [${tcpFlags(pv.tcpFlags)}]`;
      break;
    case 17:
      s = `udp ${ep(pv.saddr, pv.sport)} > ${ep(pv.daddr, pv.dport)}`;
      break;
    case 132:
      s = `sctp ${ep(pv.saddr, pv.sport)} > ${ep(pv.daddr, pv.dport)}`;
      break;
    case 1:
    case 58: {
      s = `icmp${pv.family === 6 ? 'v6' : ''} ${a(pv.saddr)} > ${a(pv.daddr)} type ${pv.icmpType} code ${pv.icmpCode}`;
      if (pv.icmpError) {
        const q = pv.inner;
        const qa = (w: Uint32Array, p: number): string => (q.family === 6 ? `[${formatIpWords(w, 6)}]:${p}` : `${formatIpWords(w, 4)}:${p}`);
        s += ` about ${pv.icmpTunnel ? 'tunnelled ' : ''}${q.protocol === 6 ? 'tcp' : q.protocol === 17 ? 'udp' : `proto ${q.protocol}`} ${qa(q.saddr, q.sport)} > ${qa(q.daddr, q.dport)}`;
      }
      break;
    }
    case 4:
    case 41: {
      const outer = `${a(pv.saddr)} > ${a(pv.daddr)}`;
      const inner = pv.l4Off >= 0 ? describe(pv, buf, pv.l4Off, pv.l3End - pv.l4Off, 2) : 'inner packet';
      return `${mac}ipip ${outer} (${inner})`;
    }
    default:
      s = `ip proto ${pv.protocol} ${a(pv.saddr)} > ${a(pv.daddr)}`;
  }
  return `${mac}${s}${err !== 0 ? ` (${reasonName(err)})` : ''}`;
}

/** A packet's flow text and TCP flags, for the dashboard's packet list. */
function flowAndFlags(pv: PacketView, buf: Uint8Array, start: number, length: number): { flow: string; flags: string } {
  parsePacket(pv, buf, start, length, LinkType.Ether);
  return {
    flow: flowText(buf.subarray(start, start + length), LinkType.Ether),
    flags: pv.isIp && pv.protocol === 6 && pv.l4Off >= 0 ? tcpFlags(pv.tcpFlags) : '',
  };
}

function tcpFlags(f: number): string {
  const names = 'FSRPAUEC';
  let s = '';
  for (let k = 0; k < 8; k++) if (f & (1 << k)) s += names[k];
  return s || '.';
}

/** An explanation as `ulvs explain` prints it: numbered steps, then the changed header fields as a table. */
export function formatExplanation(e: Explanation): string {
  const lines = e.steps.map((s, i) => `${String(i + 1).padStart(2)}. ${s}`);
  if (e.verdict !== 'drop' && e.rewrite.length) {
    lines.push('', 'field             before                      after');
    for (const f of e.rewrite) lines.push(`${f.changed ? '*' : ' '} ${`${f.layer}.${f.name}`.padEnd(15)} ${(f.before ?? '-').padEnd(27)} ${f.after ?? '-'}`);
  }
  return lines.join('\n') + '\n';
}

/** The `ulvs replay` subcommand. */
export const command: CliCommand = {
  name: 'replay',
  summary: 'run the forwarding pipeline over a pcap: rules + pcap in, pcap + report out',
  usage: REPLAY_USAGE,
  async run(argv: string[]): Promise<number> {
    const o = parseReplayArgs(argv);
    if (o.dashboard) {
      const { serveReplayDashboard } = await import('../replay-dashboard.js');
      return serveReplayDashboard(o, (line) => process.stderr.write(line + '\n'));
    }
    const r = await runReplay(o, (line) => process.stderr.write(line + '\n'));
    if (r.explanation) process.stdout.write(o.json ? JSON.stringify(r.explanation) + '\n' : formatExplanation(r.explanation));
    return 0;
  },
};
