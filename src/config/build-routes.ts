/**
 * `virtual_routes` / `static_routes` lines -> ip-route(8) words, read the way keepalived 2.2.7 reads
 * them (vrrp_iproute.c alloc_route): keepalived's aliases mapped (`gw`, `or`, `priority`, `dev`), addresses checked
 * with file:line, `proto 18` (keepalived) unless another is given with `no_track`. The rules
 * (`virtual_rules` / `static_rules`) are in build-rules.ts and share the family checks here.
 */
import type { DiagnosticSink } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { ValueLine } from './keywords/table.js';
import { canonicalIp, parseInteger } from './values.js';
import type { IpRouteSpec, VrrpFamily } from '../vrrp/types.js';

/** keepalived's RTPROT_KEEPALIVED: the protocol of tracked routes and rules. */
export const RTPROT_KEEPALIVED = '18';

/** Route types keepalived accepts before the destination (find_rttables_rtntype). */
const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'anycast', 'multicast', 'blackhole', 'unreachable', 'prohibit', 'throw', 'nat']);

/** Route options taking one value, with the ip-route word they become. */
const ROUTE_VALUE: Record<string, string> = {
  tos: 'tos',
  dsfield: 'tos',
  table: 'table',
  scope: 'scope',
  metric: 'metric',
  priority: 'metric',
  preference: 'metric',
  dev: 'dev',
  oif: 'dev',
  hoplimit: 'hoplimit',
  advmss: 'advmss',
  rtt: 'rtt',
  rttvar: 'rttvar',
  reordering: 'reordering',
  window: 'window',
  cwnd: 'cwnd',
  ssthresh: 'ssthresh',
  realms: 'realms',
  rto_min: 'rto_min',
  initcwnd: 'initcwnd',
  initrwnd: 'initrwnd',
  quickack: 'quickack',
  congctl: 'congctl',
  pref: 'pref',
  'ttl-propagate': 'ttl-propagate',
  fastopen_no_cookie: 'fastopen_no_cookie',
  expires: 'expires',
  mtu: 'mtu',
  features: 'features',
};
/** Of those, the ones that may take `lock` before the value. */
const LOCKABLE = new Set([
  'mtu',
  'hoplimit',
  'advmss',
  'rtt',
  'rttvar',
  'reordering',
  'window',
  'cwnd',
  'ssthresh',
  'rto_min',
  'initcwnd',
  'initrwnd',
  'congctl',
]);

function family(a: string): VrrpFamily | undefined {
  return canonicalIp(a.split('/', 1)[0] ?? '')?.family;
}

/** `ADDR[/LEN]`, or `default`/`all` (family left open): its family, or undefined when malformed. */
export function prefixFamily(s: string | undefined): VrrpFamily | 0 | undefined {
  if (s === undefined) return undefined;
  if (s === 'default' || s === 'all' || s === 'any') return 0;
  const [a, len] = s.split('/', 2);
  const f = family(a ?? '');
  if (!f) return undefined;
  if (len !== undefined) {
    const n = parseInteger(len);
    if (n === undefined || n > (f === 4 ? 32 : 128)) return undefined;
  }
  return f;
}

/** Tracks the family of one line: the first address decides, a mix is an error. */
export class FamilyOf {
  value: VrrpFamily | undefined;
  constructor(
    private readonly l: ValueLine,
    private readonly sink: DiagnosticSink,
    private readonly what: string,
  ) {}
  /** Records family `f`; false (and an error) when it contradicts an earlier one. */
  set(f: VrrpFamily | 0, word: string): boolean {
    if (f === 0) return true;
    if (this.value === undefined) {
      this.value = f;
      return true;
    }
    if (this.value === f) return true;
    this.sink.error(this.l, 'mixed-family', `${this.what} '${this.l.raw}' mixes IPv4 and IPv6 (at '${word}'); keepalived skips it — use one family per line.`);
    return false;
  }
}

/** One route line -> IpRouteSpec; undefined (with an error naming the word) when keepalived would skip it. */
export function parseRoute(l: ValueLine, sink: DiagnosticSink, kw: string): IpRouteSpec | undefined {
  const w = l.words;
  const fam = new FamilyOf(l, sink, kw);
  const out: string[] = [];
  let op: IpRouteSpec['op'] = 'prepend';
  let dst: string | undefined;
  let type: string | undefined;
  let track = true;
  let via: string[] | undefined;
  let hasDev = false;
  let orHops: string[] = [];
  const bad = (msg: string): undefined => {
    sink.error(l, 'bad-route', `${kw}: ${msg} in '${l.raw}'; keepalived skips this route.`);
    return undefined;
  };
  const addr = (word: string | undefined, what: string): string | undefined => {
    const f = word === undefined ? undefined : family(word);
    if (!f) {
      bad(`${what} '${word ?? ''}' is not an IP address`);
      return undefined;
    }
    return fam.set(f, word!) ? word : undefined;
  };
  let i = 0;
  for (; i < w.length; i++) {
    const k = w[i]!;
    if (k === 'inet' || k === 'inet6') {
      if (!fam.set(k === 'inet' ? 4 : 6, k)) return undefined;
      continue;
    }
    if (k === 'src' || k === 'from') {
      const a = k === 'from' ? w[i + 1] : addr(w[i + 1], 'src');
      if (a === undefined) return undefined;
      if (k === 'from') {
        const f = prefixFamily(a);
        if (f === undefined) return bad(`from '${a}' is not an address/prefix`);
        if (!fam.set(f, a)) return undefined;
      }
      out.push(k, a);
      i++;
      continue;
    }
    if (k === 'via' || k === 'gw') {
      if (k === 'gw') sink.warn(l, 'deprecated', `${kw}: 'gw' is deprecated (keepalived says so too); write 'via'.`);
      let j = i + 1;
      const fw = w[j] === 'inet' || w[j] === 'inet6' ? w[j++] : undefined;
      const a = addr(w[j], 'via');
      if (a === undefined) return undefined;
      via = fw ? ['via', fw, a] : ['via', a];
      i = j;
      continue;
    }
    if (k === 'protocol' || k === 'proto') {
      if (w[i + 1] === undefined) return bad(`'${k}' needs a value`);
      out.push('proto', w[++i]!);
      continue;
    }
    if (k === 'onlink') {
      out.push('onlink');
      continue;
    }
    if (k === 'add' || k === 'prepend' || k === 'append') {
      op = k;
      continue;
    }
    if (k === 'no_track') {
      track = false;
      continue;
    }
    if (k === 'track_group') {
      if (kw !== 'static_routes') return bad(`'track_group' applies only to static_routes`);
      sink.warn(l, 'no-effect', `${kw}: 'track_group ${w[i + 1] ?? ''}' has no effect in ulvs (the route is not watched for deletion).`);
      i++;
      continue;
    }
    if (k === 'or') {
      sink.warn(l, 'deprecated', `${kw}: 'or' is deprecated (keepalived says so too); write 'nexthop via A nexthop via B'.`);
      if (!via) return bad(`'or' needs a 'via' before it`);
      const a = addr(w[i + 1], 'or');
      if (a === undefined) return undefined;
      orHops = ['nexthop', ...via, 'nexthop', 'via', a];
      via = undefined;
      i++;
      continue;
    }
    if (k === 'nexthop') break;
    if (k === 'encap' || k === 'vrf' || k === 'as') return bad(`'${k}' is not supported by ulvs`);
    const opt = ROUTE_VALUE[k];
    if (opt) {
      let v = w[i + 1];
      if (v === 'lock' && LOCKABLE.has(k)) {
        out.push(opt, 'lock');
        i++;
        v = w[i + 1];
      } else out.push(opt);
      if (v === undefined) return bad(`'${k}' needs a value`);
      if (opt === 'dev') hasDev = true;
      out.push(v);
      i++;
      continue;
    }
    // [to] [TYPE] PREFIX
    let j = i;
    if (w[j] === 'to') j++;
    if (w[j] !== undefined && ROUTE_TYPES.has(w[j]!)) type = w[j++];
    const f = prefixFamily(w[j]);
    if (f === undefined) return bad(`unknown route keyword or bad destination '${w[j] ?? k}'`);
    if (!fam.set(f, w[j]!)) return undefined;
    dst = w[j];
    i = j;
  }
  // keepalived's netlink_route: protocol keepalived unless one is given (no_track or not).
  if (!out.includes('proto')) out.push('proto', RTPROT_KEEPALIVED);
  let hops = orHops;
  if (i < w.length) {
    if (orHops.length) return bad(`nexthops cannot be given with 'or'`);
    const h = parseNexthops(w.slice(i), l, sink, kw, fam);
    if (!h) return undefined;
    hops = h;
    if (hops.includes('dev')) hasDev = true;
  }
  if (!dst) return bad('a route needs a destination');
  if (via) out.unshift(...via);
  if (track) {
    const p = out.indexOf('proto');
    if (p >= 0 && out[p + 1] !== RTPROT_KEEPALIVED && out[p + 1] !== 'keepalived') {
      sink.warn(
        l,
        'route-protocol',
        `${kw}: a tracked route must have protocol keepalived (18); keepalived resets it — add 'no_track' to keep '${out[p + 1]}'.`,
      );
      out.splice(p, 2, 'proto', RTPROT_KEEPALIVED);
    }
    if (!hasDev)
      sink.warn(
        l,
        'route-untracked',
        `${kw}: route ${dst} has no 'dev', so it is not tracked (keepalived warns the same: "cannot track route ... with no interface specified") — add 'dev IFACE', or 'no_track' if it need not be.`,
      );
  }
  const spec: IpRouteSpec = { family: fam.value ?? 4, op, args: [...(type ? [type] : []), dst, ...out, ...hops], source: posString(l) };
  return spec;
}

function parseNexthops(w: string[], l: ValueLine, sink: DiagnosticSink, kw: string, fam: FamilyOf): string[] | undefined {
  const out: string[] = [];
  const bad = (msg: string): undefined => {
    sink.error(l, 'bad-route', `${kw}: ${msg} in '${l.raw}'; keepalived skips this route.`);
    return undefined;
  };
  for (let i = 0; i < w.length; i++) {
    const k = w[i]!;
    if (k === 'nexthop') {
      out.push(k);
      continue;
    }
    if (k === 'via') {
      let j = i + 1;
      const fw = w[j] === 'inet' || w[j] === 'inet6' ? w[j++] : undefined;
      const f = w[j] === undefined ? undefined : family(w[j]!);
      if (!f) return bad(`nexthop via '${w[j] ?? ''}' is not an IP address`);
      if (!fam.set(f, w[j]!)) return undefined;
      out.push('via', ...(fw ? [fw] : []), w[j]!);
      i = j;
      continue;
    }
    if (k === 'dev' || k === 'weight' || k === 'realms') {
      if (w[i + 1] === undefined) return bad(`nexthop '${k}' needs a value`);
      if (k === 'weight') {
        const n = parseInteger(w[i + 1]);
        if (n === undefined || n < 1 || n > 256) return bad(`nexthop weight '${w[i + 1]}' is not 1..256`);
      }
      out.push(k, w[++i]!);
      continue;
    }
    if (k === 'onlink') {
      out.push(k);
      continue;
    }
    return bad(`unknown nexthop option '${k}'`);
  }
  return out;
}

/** Parses every line of a route block. */
export function parseRoutes(lines: readonly ValueLine[] | undefined, sink: DiagnosticSink, kw: string): IpRouteSpec[] {
  return (lines ?? []).flatMap((l) => {
    const r = parseRoute(l, sink, kw);
    return r ? [r] : [];
  });
}
