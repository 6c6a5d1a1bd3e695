/**
 * The vrrp_instance fields that take checks of their own (build-vrrp.ts buildInstance uses them): the
 * version, advert_int, unicast peers, authentication and the gratuitous ARP / NA timing, each defaulted
 * and bounded the way keepalived does it.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { RawBlock } from './keywords/table.js';
import { globalDefsTable } from './keywords/root.js';
import { at, fieldsOf } from './keywords/table.js';
import { authenticationTable, vrrpInstanceTable } from './keywords/vrrp.js';
import { canonicalIp, parseInteger } from './values.js';
import { VRRP_DEFAULTS, type UnicastPeerSpec, type VrrpInstanceSpec, type VrrpVersion } from '../vrrp/types.js';

/** The VRRP version an instance runs: its own, the global vrrp_version, or 3 for IPv6 (keepalived forces it). */
export function instanceVersion(raw: RawBlock, global: RawBlock | undefined, name: string, family: 4 | 6, sink: DiagnosticSink): VrrpVersion {
  const explicitVersion = fieldsOf(vrrpInstanceTable, raw).version as VrrpVersion | undefined;
  let version: VrrpVersion = explicitVersion ?? (fieldsOf(globalDefsTable, global).vrrpVersion as VrrpVersion | undefined) ?? VRRP_DEFAULTS.version;
  if (family === 6 && version === 2) {
    if (explicitVersion === 2)
      sink.error(at(raw, 'version'), 'v2-ipv6', `vrrp_instance ${name} has IPv6 addresses but 'version 2'; VRRPv2 is IPv4-only (RFC 3768) — use 'version 3'.`);
    else sink.note(raw.pos, 'v3-forced', `vrrp_instance ${name} is IPv6, so it runs VRRPv3 (keepalived does the same).`);
    version = 3;
  }
  return version;
}

/** advert_int in ms as the version allows it (v2: whole seconds; v3: centiseconds up to 40.95 s). */
export function advertInterval(raw: RawBlock, version: VrrpVersion, sink: DiagnosticSink): number {
  let advertIntMs = fieldsOf(vrrpInstanceTable, raw).advertIntMs ?? VRRP_DEFAULTS.advertIntMs;
  if (version === 2) {
    const r = Math.max(1000, Math.round(advertIntMs / 1000) * 1000);
    if (r !== advertIntMs)
      sink.error(
        at(raw, 'advertIntMs'),
        'advert-rounded',
        `advert_int ${advertIntMs / 1000} s must be whole seconds for VRRPv2; keepalived rounds it to ${r / 1000} s — write an integer or use 'version 3'.`,
      );
    advertIntMs = r;
  } else {
    const r = Math.max(10, Math.round(advertIntMs / 10) * 10);
    if (r > 40950) sink.error(at(raw, 'advertIntMs'), 'bad-value', `advert_int ${advertIntMs / 1000} s exceeds VRRPv3's maximum of 40.95 s.`);
    advertIntMs = Math.min(r, 40950);
  }
  return advertIntMs;
}

/** unicast_peer lines (with min_ttl/max_ttl); ttlCheck when any peer sets a TTL bound. */
export function parseUnicastPeers(
  raw: RawBlock,
  family: 4 | 6,
  vipCount: number,
  sink: DiagnosticSink,
): { unicastPeers: UnicastPeerSpec[]; ttlCheck: boolean } {
  const unicastPeers: UnicastPeerSpec[] = [];
  let ttlCheck = false;
  for (const l of fieldsOf(vrrpInstanceTable, raw).unicastPeers ?? []) {
    const ip = canonicalIp(l.words[0]!);
    if (!ip) {
      sink.error(l, 'bad-address', `unicast_peer '${l.words[0]}' is not an IP address.`);
      continue;
    }
    const peer: UnicastPeerSpec = { address: ip.address };
    for (let i = 1; i < l.words.length; i += 2) {
      const k = l.words[i];
      const v = parseInteger(l.words[i + 1]);
      if ((k !== 'min_ttl' && k !== 'max_ttl') || v === undefined || v > 255) {
        sink.error(l, 'bad-value', `unicast_peer option '${l.words.slice(i, i + 2).join(' ')}' is not min_ttl/max_ttl 0..255.`);
        break;
      }
      if (k === 'min_ttl') peer.minTtl = v;
      else peer.maxTtl = v;
      ttlCheck = true;
    }
    if (ip.family !== family && vipCount > 0) sink.error(l, 'mixed-family', `unicast_peer ${ip.address} is not the instance's address family (IPv${family}).`);
    unicastPeers.push(peer);
  }
  return { unicastPeers, ttlCheck };
}

/** The authentication block (VRRPv2 only: PASS or AH, auth_pass up to 8 bytes). */
export function parseAuthentication(raw: RawBlock, name: string, version: VrrpVersion, sink: DiagnosticSink): VrrpInstanceSpec['authentication'] {
  const auth = fieldsOf(vrrpInstanceTable, raw).authentication;
  let authentication: VrrpInstanceSpec['authentication'];
  if (auth) {
    const type = fieldsOf(authenticationTable, auth).type;
    const password = fieldsOf(authenticationTable, auth).password;
    if (version === 3)
      sink.error(auth.pos, 'auth-v3', `vrrp_instance ${name}: authentication is VRRPv2-only; keepalived ignores it with version 3 — remove it.`);
    else if (!type || password === undefined) sink.error(auth.pos, 'bad-auth', `authentication of ${name} needs both auth_type (PASS|AH) and auth_pass.`);
    else {
      if (Buffer.byteLength(password) > 8)
        sink.error(
          at(auth, 'password'),
          'auth-truncated',
          `auth_pass is longer than 8 characters; keepalived truncates it to 8 — shorten it so both ends agree.`,
        );
      authentication = { type, password };
    }
  }
  return authentication;
}

/** Gratuitous ARP / unsolicited NA timing: the instance's values, else the global ones, else keepalived's defaults. */
export function garpSpec(raw: RawBlock, global: RawBlock | undefined, family: 4 | 6): VrrpInstanceSpec['garp'] {
  const inst = fieldsOf(vrrpInstanceTable, raw);
  const glob = fieldsOf(globalDefsTable, global);
  type GarpField =
    | 'garpMasterDelayMs'
    | 'garpMasterRepeat'
    | 'garpMasterRefreshMs'
    | 'garpMasterRefreshRepeat'
    | 'garpLowerPrioDelayMs'
    | 'garpLowerPrioRepeat';
  const g = (f: GarpField): number | undefined => inst[f] ?? glob[f];
  const masterDelayMs = g('garpMasterDelayMs') ?? VRRP_DEFAULTS.garp.masterDelayMs;
  const masterRepeat = g('garpMasterRepeat') ?? VRRP_DEFAULTS.garp.masterRepeat;
  return {
    masterDelayMs,
    masterRepeat,
    masterRefreshMs: g('garpMasterRefreshMs') ?? VRRP_DEFAULTS.garp.masterRefreshMs,
    masterRefreshRepeat: g('garpMasterRefreshRepeat') ?? VRRP_DEFAULTS.garp.masterRefreshRepeat,
    lowerPrioDelayMs: g('garpLowerPrioDelayMs') ?? masterDelayMs,
    lowerPrioRepeat: g('garpLowerPrioRepeat') ?? masterRepeat,
    intervalMs: (family === 6 ? glob.gnaIntervalMs : glob.garpIntervalMs) ?? VRRP_DEFAULTS.garp.intervalMs,
  };
}
