/**
 * `virtual_rules` / `static_rules` lines -> ip-rule(8) words, read the way keepalived 2.2.7 reads them
 * (vrrp_iprule.c alloc_rule): keepalived's aliases mapped (`priority`, `lookup`, `dev`), addresses
 * checked with file:line, `proto 18` (keepalived) unless `no_track`, and a rule without a preference
 * numbered down from 16384 per family, as keepalived does.
 */
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { ValueLine } from './keywords/table.js';
import { parseInteger } from './values.js';
import type { IpRuleSpec, VrrpFamily } from '../vrrp/types.js';
import { FamilyOf, prefixFamily, RTPROT_KEEPALIVED } from './build-routes.js';

/** Rule options taking one value, with the ip-rule word they become. */
const RULE_VALUE: Record<string, string> = {
  tos: 'tos',
  dsfield: 'tos',
  fwmark: 'fwmark',
  realms: 'realms',
  suppress_prefixlength: 'suppress_prefixlength',
  sup_pl: 'suppress_prefixlength',
  suppress_ifgroup: 'suppress_ifgroup',
  sup_group: 'suppress_ifgroup',
  dev: 'iif',
  iif: 'iif',
  oif: 'oif',
  'tunnel-id': 'tun_id',
  uidrange: 'uidrange',
  ipproto: 'ipproto',
  sport: 'sport',
  dport: 'dport',
};

/** One rule line -> IpRuleSpec without the default preference (see assignRulePrefs); undefined when keepalived skips it. */
export function parseRule(l: ValueLine, sink: DiagnosticSink, kw: string): IpRuleSpec | undefined {
  const w = l.words;
  const fam = new FamilyOf(l, sink, kw);
  const out: string[] = [];
  let action: string | undefined;
  let pref: number | undefined;
  let gotoTarget: number | undefined;
  let track = true;
  let tableOption = false;
  const bad = (msg: string): undefined => {
    sink.error(l, 'bad-rule', `${kw}: ${msg} in '${l.raw}'; keepalived skips this rule.`);
    return undefined;
  };
  const setAction = (a: string): boolean => {
    if (action !== undefined) {
      bad('only one of table/nop/goto/blackhole/prohibit/unreachable/l3mdev may be given');
      return false;
    }
    action = a;
    return true;
  };
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    if (k === 'inet' || k === 'inet6') {
      if (!fam.set(k === 'inet' ? 4 : 6, k)) return undefined;
      continue;
    }
    if (k === 'from' || k === 'to') {
      const v = w[i + 1];
      const f = prefixFamily(v);
      if (f === undefined) return bad(`invalid rule ${k} address '${v ?? ''}'`);
      if (!fam.set(f, v!)) return undefined;
      out.push(k, v!);
      i++;
      continue;
    }
    if (k === 'table' || k === 'lookup') {
      const v = w[i + 1];
      if (v === undefined) return bad(`'${k}' needs a table`);
      if (v === '0') return bad('table 0 is not valid');
      if (!setAction('table')) return undefined;
      out.push('lookup', v);
      i++;
      continue;
    }
    if (k === 'preference' || k === 'order' || k === 'priority' || k === 'pref') {
      const n = parseInteger(w[i + 1]);
      if (n === undefined || n > 0xffffffff) return bad(`invalid rule preference '${w[i + 1] ?? ''}'`);
      pref = n;
      i++;
      continue;
    }
    if (k === 'protocol') {
      if (w[i + 1] === undefined) return bad(`'protocol' needs a value`);
      out.push('protocol', w[++i]!);
      continue;
    }
    if (k === 'l3mdev') {
      if (!setAction('l3mdev')) return undefined;
      out.push('l3mdev');
      continue;
    }
    if (k === 'no_track') {
      track = false;
      continue;
    }
    if (k === 'track_group') {
      if (kw !== 'static_rules') return bad(`'track_group' applies only to static_rules`);
      sink.warn(l, 'no-effect', `${kw}: 'track_group ${w[i + 1] ?? ''}' has no effect in ulvs (the rule is not watched for deletion).`);
      i++;
      continue;
    }
    const opt = RULE_VALUE[k];
    if (opt) {
      const v = w[i + 1];
      if (v === undefined) return bad(`'${k}' needs a value`);
      if (k === 'fwmark' && !/^(0x[0-9a-f]+|\d+)(\/(0x[0-9a-f]+|\d+))?$/i.test(v)) return bad(`invalid rule fwmark '${v}'`);
      if (k === 'realms' || k.startsWith('sup')) tableOption = true;
      out.push(opt, v);
      i++;
      continue;
    }
    let a = k;
    if (a === 'type') a = w[++i] ?? '';
    if (a === 'goto') {
      const n = parseInteger(w[i + 1]);
      if (n === undefined || n > 0xffffffff) return bad(`invalid goto target '${w[i + 1] ?? ''}'`);
      if (!setAction('goto')) return undefined;
      gotoTarget = n;
      out.push('goto', String(n));
      i++;
      continue;
    }
    if (a === 'nop' || a === 'blackhole' || a === 'unreachable' || a === 'prohibit') {
      if (!setAction(a)) return undefined;
      out.push(a);
      continue;
    }
    return bad(`unknown rule option '${k}'`);
  }
  if (action === undefined) return bad('no action (table, goto, nop, blackhole, prohibit, unreachable) is given');
  if (action === 'goto') {
    if (pref === undefined) return bad(`goto target ${gotoTarget} needs a preference`);
    if (pref >= gotoTarget!) return bad(`preference ${pref} >= goto target ${gotoTarget}`);
  }
  if (tableOption && action !== 'table') return bad('suppressor/realms need a table action');
  if (track) {
    const p = out.indexOf('protocol');
    if (p >= 0 && out[p + 1] !== RTPROT_KEEPALIVED && out[p + 1] !== 'keepalived') {
      sink.warn(l, 'rule-protocol', `${kw}: a tracked rule must have protocol keepalived (18); keepalived resets it — add 'no_track' to keep '${out[p + 1]}'.`);
      out.splice(p, 2);
    }
    if (!out.includes('protocol')) out.push('protocol', RTPROT_KEEPALIVED);
  }
  if (pref !== undefined) out.push('pref', String(pref));
  return { family: fam.value ?? 4, args: out, source: posString(l) };
}

/** A parsed rule with the line it came from. */
export interface RuleLine {
  spec: IpRuleSpec;
  line: ValueLine;
}

/** Numbers the rules that have no preference 16384, 16383, ... per family in config order, warning as keepalived does. */
export function assignRulePrefs(rules: RuleLine[], sink: DiagnosticSink): void {
  const next: Record<VrrpFamily, number> = { 4: 16384, 6: 16384 };
  for (const { spec, line } of rules) {
    if (spec.args.includes('pref')) continue;
    const n = next[spec.family]--;
    spec.args.push('pref', String(n));
    sink.warn(
      line,
      'rule-no-preference',
      `rule '${line.raw}' has no preference; keepalived sets it to ${n} (as ulvs does), which is probably not what you want — add 'preference N'.`,
    );
  }
}

/** Parses every line of a rule block, keeping each line for assignRulePrefs. */
export function parseRules(lines: readonly ValueLine[] | undefined, sink: DiagnosticSink, kw: string): RuleLine[] {
  return (lines ?? []).flatMap((l) => {
    const r = parseRule(l, sink, kw);
    return r ? [{ spec: r, line: l }] : [];
  });
}
