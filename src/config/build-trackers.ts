/**
 * `track_file` / `vrrp_track_file` and `vrrp_track_process` blocks -> the VRRP contract, defaulted
 * as keepalived defaults them (weight 1, quorum 1), and the `track_file { }` / `track_process { }`
 * references of instances and sync groups (weights -254..254, unknown names dropped with a warning as
 * keepalived does).
 */
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { RawBlock, ValueLine } from './keywords/table.js';
import { at, fieldsOf } from './keywords/table.js';
import { trackFileTable, trackProcessTable } from './keywords/trackers.js';
import { parseInteger } from './values.js';
import type { TrackScriptRef, VrrpTrackFileSpec, VrrpTrackProcessSpec } from '../vrrp/types.js';

/** Builds the track_file blocks (a block without `file` is skipped with an error, as keepalived ignores it). */
export function buildTrackFiles(raws: readonly RawBlock[], sink: DiagnosticSink): VrrpTrackFileSpec[] {
  const out: VrrpTrackFileSpec[] = [];
  for (const r of raws) {
    const name = r.args[0];
    if (!name) {
      sink.error(r.pos, 'missing-name', 'track_file needs a name: track_file NAME { file /path }; the block is skipped.');
      continue;
    }
    const path = fieldsOf(trackFileTable, r).file;
    if (!path) {
      sink.error(r.pos, 'missing-file', `track_file ${name} has no 'file'; keepalived ignores the block — add file "/path".`);
      continue;
    }
    if (out.some((f) => f.name === name)) {
      sink.error(r.pos, 'duplicate-name', `track_file ${name} is defined twice; rename one.`);
      continue;
    }
    const w = fieldsOf(trackFileTable, r).weight;
    const spec: VrrpTrackFileSpec = { name, path, weight: w?.weight ?? 1, source: posString(r.pos) };
    if (w?.reverse) spec.reverse = true;
    const init = fieldsOf(trackFileTable, r).initFile;
    if (init) {
      let value = 0;
      let overwrite = false;
      for (const word of init) {
        if (word === 'overwrite') overwrite = true;
        else if (/^-?\d/.test(word)) {
          const n = parseInteger(word, true);
          if (n === undefined) sink.error(at(r, 'initFile'), 'bad-value', `track_file ${name} init value '${word}' is not an integer; 0 is written.`);
          else {
            value = n;
            if (n < -254 || n > 254)
              sink.warn(
                at(r, 'initFile'),
                'bad-value',
                `track_file ${name} init value ${n} is outside the sensible range -254..254 (keepalived warns the same).`,
              );
          }
        } else sink.error(at(r, 'initFile'), 'bad-value', `unknown init_file option '${word}' of track_file ${name}; write init_file [VALUE] [overwrite].`);
      }
      spec.init = { value, overwrite };
    }
    out.push(spec);
  }
  return out;
}

/** Builds the vrrp_track_process blocks. */
export function buildTrackProcesses(raws: readonly RawBlock[], sink: DiagnosticSink): VrrpTrackProcessSpec[] {
  const out: VrrpTrackProcessSpec[] = [];
  for (const r of raws) {
    const name = r.args[0];
    if (!name) {
      sink.error(r.pos, 'missing-name', 'vrrp_track_process needs a name; the block is skipped.');
      continue;
    }
    const proc = fieldsOf(trackProcessTable, r).process;
    if (!proc?.length) {
      sink.error(r.pos, 'missing-process', `vrrp_track_process ${name} has no 'process'; keepalived ignores the block — add process NAME.`);
      continue;
    }
    const w = fieldsOf(trackProcessTable, r).weight;
    const delay = fieldsOf(trackProcessTable, r).delayMs ?? 0;
    const spec: VrrpTrackProcessSpec = {
      name,
      process: proc[0]!,
      params: proc.slice(1),
      weight: w?.weight ?? 1,
      quorum: fieldsOf(trackProcessTable, r).quorum ?? 1,
      forkDelayMs: fieldsOf(trackProcessTable, r).forkDelayMs ?? delay,
      terminateDelayMs: fieldsOf(trackProcessTable, r).terminateDelayMs ?? delay,
      source: posString(r.pos),
    };
    if (w?.reverse) spec.reverse = true;
    const pm = fieldsOf(trackProcessTable, r).paramMatch;
    if (pm) spec.paramMatch = pm;
    if (fieldsOf(trackProcessTable, r).fullCommand) spec.fullCommand = true;
    const qmax = fieldsOf(trackProcessTable, r).quorumMax;
    if (qmax !== undefined) {
      spec.quorumMax = qmax;
      if (qmax < spec.quorum)
        sink.error(at(r, 'quorumMax'), 'bad-value', `vrrp_track_process ${name}: quorum_max ${qmax} is below quorum ${spec.quorum}, so it can never be up.`);
    }
    out.push(spec);
  }
  return out;
}

/** `NAME [weight W [reverse|noreverse]]` lines of a track_file / track_process reference block. */
export function buildTrackRefs(
  lines: readonly ValueLine[] | undefined,
  known: readonly string[],
  sink: DiagnosticSink,
  kw: string,
  owner: string,
): TrackScriptRef[] {
  const out: TrackScriptRef[] = [];
  for (const l of lines ?? []) {
    const [name, ...rest] = l.words;
    if (!known.includes(name!)) {
      sink.warn(
        l,
        'unknown-tracker',
        `${owner} tracks ${kw === 'track_file' ? 'track_file' : kw === 'track_bfd' ? 'bfd_instance' : 'vrrp_track_process'} '${name}', which is not defined; keepalived ignores it, as ulvs does — define it or remove the line.`,
      );
      continue;
    }
    const ref: TrackScriptRef = { name: name! };
    if (rest[0] === 'weight') {
      const w = parseInteger(rest[1], true);
      const lim = kw === 'track_bfd' ? 253 : 254; // keepalived: BFD_WEIGHT_MIN/MAX ±253, others ±254
      if (w === undefined || w < -lim || w > lim) {
        sink.error(l, 'bad-value', `${kw} '${name}' weight needs an integer in -${lim}..${lim} (got '${rest[1] ?? ''}'); the block's weight is used.`);
        out.push(ref);
        continue;
      }
      ref.weight = w;
      if (rest[2] === 'reverse') ref.reverse = true;
      else if (rest[2] === 'noreverse') ref.reverse = false;
      else if (rest[2] !== undefined)
        sink.error(l, 'bad-value', `unexpected '${rest[2]}' after the weight of ${kw} '${name}'; only 'reverse' or 'noreverse' may follow.`);
    } else if (rest.length) sink.error(l, 'bad-value', `unexpected '${rest.join(' ')}' after ${kw} '${name}'; write '${name} weight N [reverse]'.`);
    out.push(ref);
  }
  return out;
}
