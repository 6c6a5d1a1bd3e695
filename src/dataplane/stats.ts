/**
 * Pipeline counters in shared memory: one Float64 row per worker (single writer, summed by readers),
 * so the control plane (metrics, ulvsadm) reads totals without stopping the workers. The pipeline is the
 * one place that counts a packet (pipeline.ts processBatch); the worker counts batches only.
 * Row layout: [0] packets, [1] bytes, [2..5] verdict counts (Drop, Accept, AcceptModified, Transmit),
 * [6] connections created, [7] ICMP errors mapped to a connection, [8] NAT replies, [9] records expired by
 * the sweep, [10] entries dropped by drop_entry, [64 + code] dropped packets per reason code,
 * [288 + code] packets passed with a reason (not ours, counted only); codes 0..223.
 */
import { PIPELINE_COUNTER_WORDS, type SharedStateBuffers } from '../table/shared-state.js';
import { dropReasonName as reasonName } from '../packet/drop-reasons.js';

/** Indexes in a worker's counter row. */
export const enum PC {
  Packets = 0,
  Bytes = 1,
  Verdict0 = 2,
  ConnsCreated = 6,
  IcmpMapped = 7,
  NatReplies = 8,
  Expired = 9,
  DropEntry = 10,
  /** Dropped packets of reason code c at DropReason0 + c. */
  DropReason0 = 64,
  /** Packets passed (not dropped) with reason code c at PassReason0 + c. */
  PassReason0 = 288,
  /** Reason codes must be below this (DROP_REASONS codes are). */
  ReasonCodes = 224,
}

/** Totals over all workers. */
export interface PipelineTotals {
  packets: number;
  bytes: number;
  verdicts: { drop: number; accept: number; acceptModified: number; transmit: number };
  connsCreated: number;
  icmpMapped: number;
  natReplies: number;
  expired: number;
  dropEntry: number;
  /** Packets per reason name, dropped or passed (only non-zero ones). */
  reasons: Record<string, number>;
  /** Dropped packets per reason code (only non-zero ones). */
  dropReasons: Record<number, number>;
}

/** A worker's row of counters. */
export function pipelineRow(buffers: SharedStateBuffers, workerIndex: number): Float64Array {
  return new Float64Array(buffers.pipeline, workerIndex * PIPELINE_COUNTER_WORDS * 8, PIPELINE_COUNTER_WORDS);
}

/** Sums every worker's pipeline counters. */
export function readPipelineStats(buffers: SharedStateBuffers): PipelineTotals {
  const all = new Float64Array(buffers.pipeline);
  const sum = new Float64Array(PIPELINE_COUNTER_WORDS);
  for (let w = 0; w < buffers.maxWorkers; w++) {
    for (let j = 0; j < PIPELINE_COUNTER_WORDS; j++) sum[j]! += all[w * PIPELINE_COUNTER_WORDS + j]!;
  }
  return totalsOf(sum);
}

/** Totals of one row, or of a row-wise sum of rows. */
export function totalsOf(sum: ArrayLike<number>): PipelineTotals {
  const reasons: Record<string, number> = {};
  const dropReasons: Record<number, number> = {};
  for (let c = 0; c < PC.ReasonCodes; c++) {
    const d = sum[PC.DropReason0 + c]!;
    const n = d + sum[PC.PassReason0 + c]!;
    if (d > 0) dropReasons[c] = d;
    if (n > 0) reasons[reasonName(c)] = n;
  }
  return {
    packets: sum[PC.Packets]!,
    bytes: sum[PC.Bytes]!,
    verdicts: { drop: sum[2]!, accept: sum[3]!, acceptModified: sum[4]!, transmit: sum[5]! },
    connsCreated: sum[PC.ConnsCreated]!,
    icmpMapped: sum[PC.IcmpMapped]!,
    natReplies: sum[PC.NatReplies]!,
    expired: sum[PC.Expired]!,
    dropEntry: sum[PC.DropEntry]!,
    reasons,
    dropReasons,
  };
}
