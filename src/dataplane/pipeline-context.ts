/**
 * The pipeline's per-thread scratch state (parse result, lookup key and result, counter row, prefetch,
 * neighbour misses), one per SharedState handle, found without a WeakMap lookup on the hot path.
 */
import { PacketView } from '../packet/packet-view.js';
import { ConnKey } from '../table/conn-key.js';
import { ConnResult } from '../table/ipvs-core.js';
import type { SharedState } from '../table/shared-state.js';
import type { Snapshot } from './snapshot.js';
import { NeighbourMisses } from './neigh-misses.js';
import { pipelineRow } from './stats.js';
import { BatchPrefetch } from './prefetch.js';

/** Per-thread scratch state of the pipeline (one per SharedState handle). */
export class PipelineContext {
  readonly pv = new PacketView();
  readonly k = new ConnKey();
  readonly r = new ConnResult();
  /** Where this thread counts (stats.ts PC layout): its shared-state row, or one bound by countInto(). */
  row: Float64Array;
  /** Views of r's address words for the forward transforms. */
  readonly vaddrU: Uint32Array;
  /** Next hops without a neighbour entry met in the current batch (the worker drains them). */
  readonly misses = new NeighbourMisses();
  /** Loads the batch's connection buckets and records before the per-packet loop. */
  readonly prefetch = new BatchPrefetch();
  /** Packets per verdict in the current batch (added to the row once per batch). */
  readonly verdicts = new Int32Array(4);
  snap: Snapshot | null = null;

  constructor(readonly state: SharedState) {
    this.row = pipelineRow(state.buffers, state.workerIndex);
    this.vaddrU = new Uint32Array(this.r.vaddr.buffer);
  }
}

const contexts = new WeakMap<SharedState, PipelineContext>();
/** The last handle's context: a thread uses one handle, so processBatch skips the WeakMap lookup. */
let lastState: SharedState | null = null;
let lastContext: PipelineContext | null = null;

/** The pipeline context of `state` (created on first use, then cached per handle). */
export function contextOf(state: SharedState): PipelineContext {
  if (state === lastState) return lastContext!;
  let c = contexts.get(state);
  if (c === undefined) {
    c = new PipelineContext(state);
    contexts.set(state, c);
  }
  lastState = state;
  lastContext = c;
  return c;
}
