// `ulvs explain` on the pool's data plane: a typed flow or a sampled live packet walked against the running snapshot and shared state.
import { LinkType } from '../core/batch.js';
import { explainPacket, explanationSteps, flowText, type Explanation } from '../dataplane/explain.js';
import type { DirectorNetPlan } from '../host/director-plan.js';
import type { DataplanePool } from '../dataplane/pool.js';
import type { SnapshotEnv, SnapshotSpec } from '../dataplane/snapshot-types.js';
import { dropReasonName as reasonName } from '../packet/drop-reasons.js';
import { parseMac } from '../packet/addr.js';
import { buildFlowPacket } from '../packet/flow-frame.js';
import type { SharedState } from '../table/shared-state.js';
import type { ExplainFlow, SampleView } from './ports.js';

const VERDICT_NAMES = ['drop', 'accept', 'accept-modified', 'transmit'];

/** What the worker pool returns of its sampled packets. */
type PoolSamples = ReturnType<DataplanePool['samples']>;

/**
 * Adds to an NFQUEUE DR explanation what the kernel does with the accepted packet's mark: the policy route the
 * director installed for it (`plan`) and the MACs the kernel will write (the interface's and, where the
 * neighbour table of the last host read knows it, the real server's). An explanation of another kind is left as it is.
 */
export function withKernelEgress(e: Explanation, plan: DirectorNetPlan | undefined, env: SnapshotEnv): Explanation {
  const g = e.egress;
  const r = g?.mark ? plan?.drRoutes.find((d) => d.mark === g.mark) : undefined;
  if (!g || !r || e.method !== 'dr' || e.verdict !== 'accept') return e;
  g.kernel = {
    mark: r.mark,
    table: r.table,
    route: `default via ${r.via} dev ${r.iface} onlink`,
    iface: r.iface,
    nextHop: r.via,
    srcMac: env.interfaces.find((i) => i.name === r.iface)?.mac ?? null,
    dstMac: env.neighbours?.[r.via] ?? null,
  };
  e.steps = explanationSteps(e);
  return e;
}

/** Walks a typed flow (`ulvs explain`) through `spec` against the live shared state, as the first interface of `env` receives it. */
export function explainFlowOn(
  spec: SnapshotSpec,
  env: SnapshotEnv,
  state: SharedState,
  linkType: LinkType,
  flow: ExplainFlow,
  plan?: DirectorNetPlan,
): Explanation {
  const iface = env.interfaces[0];
  const ether = linkType === LinkType.Ether && iface ? { dst: parseMac(iface.mac) ?? new Uint8Array(6), src: Uint8Array.from([2, 0, 0, 0, 0, 1]) } : undefined;
  const frame = buildFlowPacket({ ...flow, ether });
  const ifnames = Object.fromEntries(env.interfaces.map((i) => [i.ifindex, i.name ?? `ifindex ${i.ifindex}`]));
  const e = explainPacket({
    spec,
    live: state,
    frame,
    linkType,
    nowMs: Date.now(),
    fwmark: flow.fwmark,
    ifindex: iface?.ifindex ?? 1,
    ifnames,
    reply: flow.reply,
  });
  return withKernelEgress(e, plan, env);
}

/** The workers' sampled packets as the API lists them (flow text, verdict and drop reason named). */
export function sampleViews(r: PoolSamples): { rate: number; samples: SampleView[] } {
  return {
    rate: r.rate,
    samples: r.samples.map((x) => ({
      seq: x.seq,
      atMs: x.timeMs,
      flow: flowText(x.frame, x.linkType as LinkType),
      verdict: VERDICT_NAMES[x.verdict] ?? String(x.verdict),
      reason: x.reason ? reasonName(x.reason) : null,
    })),
  };
}

/** Walks sampled live packet `x` through `spec` against the live shared state, with the verdict the worker gave it. */
export function explainSampleOn(
  spec: SnapshotSpec,
  env: SnapshotEnv,
  state: SharedState,
  x: PoolSamples['samples'][number],
  plan?: DirectorNetPlan,
): Explanation {
  const seq = x.seq;
  const ifnames = Object.fromEntries(env.interfaces.map((i) => [i.ifindex, i.name ?? `ifindex ${i.ifindex}`]));
  const e = explainPacket({
    spec,
    live: state,
    frame: x.frame,
    linkType: x.linkType as LinkType,
    nowMs: Date.now(),
    fwmark: x.mark,
    ifindex: x.ifindex,
    ifnames,
    reply: true,
  });
  e.live = { seq, atMs: x.timeMs, verdict: VERDICT_NAMES[x.verdict] ?? String(x.verdict), reason: x.reason ? reasonName(x.reason) : null };
  e.steps = explanationSteps(e);
  return withKernelEgress(e, plan, env);
}
