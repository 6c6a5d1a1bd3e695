// vrrp_script blocks, and the track_interface / track_script lists of instances and sync groups that use them.
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import { fieldsOf, type RawBlock, type ValueLine } from './keywords/table.js';
import { vrrpInstanceTable, vrrpScriptTable } from './keywords/vrrp.js';
import { parseInteger } from './values.js';
import type { ScriptUse } from './script-use.js';
import { VRRP_DEFAULTS, type TrackInterfaceSpec, type TrackScriptRef, type VrrpScriptSpec } from '../vrrp/types.js';

/** `NAME [weight N [reverse]]` of track_interface / track_script; the name alone after an error. */
function parseWeighted(l: ValueLine, sink: DiagnosticSink, what: string): { name: string; weight?: number; reverse?: boolean } | undefined {
  const [name, ...rest] = l.words;
  const out: { name: string; weight?: number; reverse?: boolean } = { name: name! };
  if (rest.length === 0) return out;
  if (rest[0] === 'weight') {
    const w = parseInteger(rest[1], true);
    if (w === undefined || w < -253 || w > 253) {
      sink.error(l, rest[1] === undefined ? 'missing-value' : 'bad-value', `${what} '${name}' weight needs an integer in -253..253 (got '${rest[1] ?? ''}').`);
      return out;
    }
    out.weight = w;
    if (rest[2] === 'reverse') out.reverse = true;
    else if (rest[2] !== undefined) sink.error(l, 'bad-value', `unexpected '${rest[2]}' after the weight of ${what} '${name}'; only 'reverse' may follow.`);
    return out;
  }
  sink.error(l, 'bad-value', `unexpected '${rest.join(' ')}' after ${what} '${name}'; write '${name} weight N [reverse]'.`);
  return out;
}

/** One vrrp_script block -> VrrpScriptSpec (keepalived's defaults); undefined, with an error, without a name or script. */
export function buildScript(raw: RawBlock, sink: DiagnosticSink, uses: ScriptUse[]): VrrpScriptSpec | undefined {
  const name = raw.args[0];
  if (!name) {
    sink.error(raw.pos, 'missing-name', 'vrrp_script needs a name: vrrp_script chk_x { ... }; the block is skipped.');
    return undefined;
  }
  const script = fieldsOf(vrrpScriptTable, raw).script;
  if (!script) {
    sink.error(raw.pos, 'missing-script', `vrrp_script ${name} has no 'script' line; add script "/path/to/check args".`);
    return undefined;
  }
  uses.push({ script, keyword: 'script' });
  const intervalMs = fieldsOf(vrrpScriptTable, raw).intervalMs ?? VRRP_DEFAULTS.script.intervalMs;
  const w = fieldsOf(vrrpScriptTable, raw).weight;
  const spec: VrrpScriptSpec = {
    name,
    script: script.command,
    intervalMs,
    timeoutMs: fieldsOf(vrrpScriptTable, raw).timeoutMs ?? intervalMs,
    weight: w?.weight ?? VRRP_DEFAULTS.script.weight,
    rise: fieldsOf(vrrpScriptTable, raw).rise ?? VRRP_DEFAULTS.script.rise,
    fall: fieldsOf(vrrpScriptTable, raw).fall ?? VRRP_DEFAULTS.script.fall,
    source: posString(raw.pos),
  };
  if (w?.reverse) spec.reverse = true;
  if (fieldsOf(vrrpScriptTable, raw).initFail) spec.initFail = true;
  const user = fieldsOf(vrrpScriptTable, raw).user ?? (script.user ? [script.user] : undefined);
  if (user?.length) spec.user = user.join(':');
  return spec;
}

/**
 * The track_interface and track_script lists of a vrrp_instance or vrrp_sync_group block;
 * `scriptReverse` keeps track_script's `reverse` flag (instances only, as keepalived).
 */
export function buildTracking(
  raw: RawBlock,
  sink: DiagnosticSink,
  scriptReverse: boolean,
): { trackInterfaces: TrackInterfaceSpec[]; trackScripts: TrackScriptRef[] } {
  const trackInterfaces: TrackInterfaceSpec[] = [];
  for (const l of fieldsOf(vrrpInstanceTable, raw).trackInterfaces ?? []) {
    const t = parseWeighted(l, sink, 'track_interface');
    if (t) trackInterfaces.push({ name: t.name, weight: t.weight ?? 0, ...(t.reverse ? { reverse: true } : {}) });
  }
  const trackScripts: TrackScriptRef[] = [];
  for (const l of fieldsOf(vrrpInstanceTable, raw).trackScripts ?? []) {
    const t = parseWeighted(l, sink, 'track_script');
    if (t)
      trackScripts.push({ name: t.name, ...(t.weight !== undefined ? { weight: t.weight } : {}), ...(scriptReverse && t.reverse ? { reverse: true } : {}) });
  }
  return { trackInterfaces, trackScripts };
}
