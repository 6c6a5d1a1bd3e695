// virtual_ipaddress / virtual_ipaddress_excluded / static_ipaddress lines -> VipSpec, and an instance's VIPs and family.
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import { at, fieldsOf, type RawBlock, type ValueLine } from './keywords/table.js';
import { vrrpInstanceTable } from './keywords/vrrp.js';
import { parsePrefix } from './values.js';
import type { VipSpec } from '../vrrp/types.js';

const SCOPES = new Set(['global', 'site', 'link', 'host', 'nowhere']);

/** One virtual_ipaddress-style line (also static_ipaddress) -> VipSpec; undefined after an error. */
export function parseVip(l: ValueLine, sink: DiagnosticSink): VipSpec | undefined {
  const p = parsePrefix(l.words[0]!);
  if (!p) {
    sink.error(l, 'bad-address', `'${l.words[0]}' is not an address[/prefix]; write e.g. 192.0.2.10/24 dev eth0.`);
    return undefined;
  }
  const vip: VipSpec = { address: p.address, family: p.family, prefixLen: p.prefixLen, source: posString(l) };
  const w = l.words;
  for (let i = 1; i < w.length; i++) {
    const opt = w[i]!;
    const val = w[i + 1];
    const needs = (): boolean => {
      if (val === undefined) sink.error(l, 'missing-value', `'${opt}' in a virtual address needs a value.`);
      return val !== undefined;
    };
    switch (opt) {
      case 'dev':
        if (needs()) vip.dev = val!;
        i++;
        break;
      case 'label':
        if (needs()) vip.label = val!;
        i++;
        break;
      case 'brd':
        if (needs()) vip.broadcast = val!;
        i++;
        break;
      case 'scope':
        if (needs()) {
          if (SCOPES.has(val!)) vip.scope = val as VipSpec['scope'];
          else sink.error(l, 'bad-value', `scope '${val}' is not global, site, link, host or nowhere.`);
        }
        i++;
        break;
      case 'no_track':
        vip.noTrack = true;
        break;
      case 'peer':
      case 'preferred_lft':
      case 'use_vmac':
        i += opt === 'use_vmac' ? 0 : 1;
        sink.warn(l, 'not-implemented', `virtual address option '${opt}' is accepted but has no effect in ulvs; the address is added without it.`);
        break;
      case 'home':
      case '-nodad':
      case 'mngtmpaddr':
      case 'noprefixroute':
      case 'autojoin':
        sink.warn(l, 'not-implemented', `virtual address option '${opt}' is accepted but has no effect in ulvs; the address is added without it.`);
        break;
      default:
        sink.error(l, 'bad-value', `unknown virtual address option '${opt}'; expected dev, label, brd, scope, no_track, ...`);
        i = w.length;
    }
  }
  return vip;
}

/** virtual_ipaddress and virtual_ipaddress_excluded of an instance, and the family they give it. */
export function instanceVips(raw: RawBlock, name: string, sink: DiagnosticSink): { vips: VipSpec[]; excludedVips: VipSpec[]; family: 4 | 6 } {
  const vips: VipSpec[] = [];
  for (const l of fieldsOf(vrrpInstanceTable, raw).vips ?? []) {
    const v = parseVip(l, sink);
    if (v) vips.push(v);
  }
  const excludedVips: VipSpec[] = [];
  for (const l of fieldsOf(vrrpInstanceTable, raw).excludedVips ?? []) {
    const v = parseVip(l, sink);
    if (v) excludedVips.push(v);
  }
  const families = new Set(vips.map((v) => v.family));
  if (families.size > 1) {
    sink.error(
      at(raw, 'vips'),
      'mixed-family',
      `vrrp_instance ${name} mixes IPv4 and IPv6 in virtual_ipaddress; move one family to virtual_ipaddress_excluded or another instance.`,
    );
  }
  const family = vips[0]?.family ?? (fieldsOf(vrrpInstanceTable, raw).srcIp?.includes(':') ? 6 : 4);
  if (vips.length === 0) {
    sink.error(
      raw.pos,
      'no-vip',
      `vrrp_instance ${name} has no virtual_ipaddress (keepalived reports this too); add one, or 'no_virtual_ipaddress' if that is intended.`,
    );
  }
  return { vips, excludedVips, family };
}
