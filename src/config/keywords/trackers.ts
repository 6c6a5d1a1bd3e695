/**
 * Keyword tables of the tracker blocks VRRP instances refer to: `track_file NAME { ... }` (and its
 * deprecated synonym `vrrp_track_file`) and `vrrp_track_process NAME { ... }`, keepalived keywords
 * verbatim (keepalived/trackers/track_file.c, keepalived/core/track_process.c) with their ranges.
 */
import type { DiagnosticSink } from '../diagnostics.js';
import type { ConfNode } from '../tree.js';
import { parseInteger } from '../values.js';
import { defineTable } from './table.js';

/** `weight W [reverse|noreverse]` with keepalived's range for the block. */
function weightIn(min: number, max: number): (node: ConfNode, sink: DiagnosticSink) => { weight: number; reverse: boolean } | undefined {
  return (node, sink) => {
    const w = parseInteger(node.args[0], true);
    if (w === undefined || w < min || w > max) {
      sink.error(
        node,
        'bad-value',
        `'weight' in ${node.keyword === 'weight' ? 'this block' : node.keyword} needs an integer in ${min}..${max} (got '${node.args[0] ?? ''}'); keepalived ignores it too — write e.g. 'weight -10'.`,
      );
      return undefined;
    }
    const opt = node.args[1];
    if (opt !== undefined && opt !== 'reverse' && opt !== 'noreverse')
      sink.error(node, 'bad-value', `'weight' takes a number and optionally 'reverse'; '${opt}' is not understood.`);
    return { weight: w, reverse: opt === 'reverse' };
  };
}

/** track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }. */
export const trackFileTable = defineTable('track_file', {
  file: { field: 'file', kind: 'string' },
  weight: { field: 'weight', kind: 'custom', parse: weightIn(-2147483647, 2147483647) },
  init_file: { field: 'initFile', kind: 'words', bare: [] },
});

/** vrrp_track_process NAME { process CMD [ARGS]; param_match; weight; quorum; quorum_max; delays; full_command }. */
export const trackProcessTable = defineTable('vrrp_track_process', {
  process: { field: 'process', kind: 'words' },
  param_match: { field: 'paramMatch', kind: 'enum', values: ['initial', 'partial'], bare: 'exact' },
  weight: { field: 'weight', kind: 'custom', parse: weightIn(-254, 254) },
  quorum: { field: 'quorum', kind: 'uint', min: 1, max: 65535, default: '1' },
  quorum_max: { field: 'quorumMax', kind: 'uint', min: 0, max: 65535 },
  fork_delay: { field: 'forkDelayMs', kind: 'timerMs', min: 0 },
  terminate_delay: { field: 'terminateDelayMs', kind: 'timerMs', min: 0 },
  delay: { field: 'delayMs', kind: 'timerMs', min: 0 },
  full_command: { field: 'fullCommand', kind: 'flag' },
});
