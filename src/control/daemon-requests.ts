// The control socket's requests (list, status, explain, sampling, sync daemons, apply, reload, drain) answered for a Daemon.
import { ApiError } from '../api/server.js';
import type { ApiRequest } from '../api/protocol.js';
import { isRuleCommand, type IpvsCommand } from '../ipvs/command-types.js';
import { IpvsadmError } from '../ipvs/errors.js';
import { checkExplainFlow } from '../dataplane/explain-flow.js';
import { MAX_SAMPLE_RATE } from '../dataplane/packet-sampler.js';
import type { Daemon } from './daemon.js';
import type { DataPlanePort } from './ports.js';
import type { RuleOp } from './rule-table.js';
import { SyncDaemonError } from './sync-manager.js';
import type { SyncDaemonInfo } from './types.js';

/** Answers one control-socket request for daemon `d`. */
export async function answerRequest(d: Daemon, req: ApiRequest): Promise<unknown> {
  switch (req.method) {
    case 'list':
      return d.listing();
    case 'connections':
      return d.opts.dataPlane.connections();
    case 'status':
      return { ...d.status(), bgp: (await d.opts.bgp?.status()) ?? null };
    case 'explain':
      if (req.params?.sample !== undefined) return explainSample(d.opts.dataPlane, req.params.sample);
      return explain(d.opts.dataPlane, req.params?.flow);
    case 'samples':
      return d.opts.dataPlane.samples?.() ?? { rate: 0, samples: [] };
    case 'sampling': {
      const rate = req.params?.rate;
      if (!Number.isInteger(rate) || (rate as number) < 0 || (rate as number) > MAX_SAMPLE_RATE)
        throw new ApiError('bad-request', `params.rate must be 0..${MAX_SAMPLE_RATE} packets a second per worker`);
      if (!d.opts.dataPlane.setSampling) throw new ApiError('bad-request', `the data plane (${d.opts.dataPlane.description}) cannot sample packets`);
      d.opts.dataPlane.setSampling(rate as number);
      return { rate };
    }
    case 'drain':
      return d.drain();
    case 'sync-start':
    case 'sync-stop': {
      const state = req.params?.state;
      if (state !== 'master' && state !== 'backup') throw new ApiError('bad-request', 'params.state must be master or backup');
      try {
        if (req.method === 'sync-stop') d.sync.stop(state);
        else await d.sync.start({ state, ...syncOptions(req.params?.options) });
      } catch (e) {
        if (e instanceof SyncDaemonError) throw new ApiError('ipvs', e.message, e.errno);
        throw new ApiError('ipvs', (e as Error).message, 'EINVAL');
      }
      return null;
    }
    case 'apply': {
      if (Array.isArray(req.params?.ops)) {
        if (req.params.ops.some((o) => !isRuleOp(o))) throw new ApiError('bad-request', 'params.ops must be a list of rule changes');
        try {
          return { results: await d.applyAdminBatch(req.params.ops) };
        } catch (e) {
          if (e instanceof TypeError) throw new ApiError('bad-request', `malformed rule change: ${e.message}`);
          throw e;
        }
      }
      const op = req.params?.op;
      if (!isRuleOp(op)) throw new ApiError('bad-request', 'apply needs params.op, a rule change');
      try {
        await d.applyAdmin(op);
      } catch (e) {
        if (e instanceof IpvsadmError) throw new ApiError('ipvs', e.message, e.errno ?? 'EINVAL');
        if (e instanceof TypeError) throw new ApiError('bad-request', `malformed rule change: ${e.message}`);
        throw e;
      }
      return null;
    }
    case 'reload': {
      const r = await d.reload(typeof req.params?.file === 'string' ? req.params.file : undefined);
      if (!r.ok) throw new ApiError('reload-failed', `${r.file} not loaded, nothing changed:\n${r.errors.join('\n')}`);
      return r;
    }
  }
}

/** `ulvs explain` through the socket: checks the flow, then asks the data plane (on a copy of its state). */
function explain(dataPlane: DataPlanePort, flow: unknown): unknown {
  const f = checkExplainFlow(flow);
  if (typeof f === 'string') throw new ApiError('bad-request', f);
  if (!dataPlane.explain) throw new ApiError('bad-request', `the data plane (${dataPlane.description}) cannot explain packets`);
  const e = dataPlane.explain(f);
  if (!e) throw new ApiError('bad-request', 'the data plane runs no rules yet: nothing to explain');
  return e;
}

/** Explains sampled live packet `seq` (see `samples`). */
function explainSample(dataPlane: DataPlanePort, seq: unknown): unknown {
  if (!Number.isInteger(seq)) throw new ApiError('bad-request', 'params.sample must be a sample number');
  const e = dataPlane.explainSample?.(seq as number);
  if (!e) throw new ApiError('bad-request', `no sampled packet #${seq} (the ring keeps the newest 64; 'ulvs explain --samples' lists them)`);
  return e;
}

/** A control-socket rule change: an object naming a rule command kind (the model validates the rest). */
function isRuleOp(o: unknown): o is RuleOp {
  return !!o && typeof o === 'object' && isRuleCommand(o as IpvsCommand);
}

/** ulvsadm's daemon options (strings as parsed) as ConnSync options. */
function syncOptions(raw: unknown): Omit<SyncDaemonInfo, 'state'> {
  const o = (raw ?? {}) as Record<string, unknown>;
  const num = (v: unknown): number | undefined => (typeof v === 'string' && v !== '' ? Number(v) : typeof v === 'number' ? v : undefined);
  if (typeof o.mcastInterface !== 'string' || !o.mcastInterface) throw new SyncDaemonError('a sync daemon needs --mcast-interface', 'EINVAL');
  return {
    mcastInterface: o.mcastInterface,
    syncId: num(o.syncid) ?? 0,
    syncMaxLen: num(o['sync-maxlen']),
    mcastGroup: typeof o['mcast-group'] === 'string' ? o['mcast-group'] : undefined,
    mcastPort: num(o['mcast-port']),
    mcastTtl: num(o['mcast-ttl']),
  };
}
