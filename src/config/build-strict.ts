/**
 * keepalived's vrrp_complete_instance checks for `vrrp_strict` / `strict_mode` and AH authentication
 * (keepalived/vrrp/vrrp.c): each conflict is reported at its line, and the spec is reset the way
 * keepalived resets it (state follows ownership, authentication dropped, preempt_delay and
 * down_timer_adverts reset, no lower-priority GARPs, lower_prio_no_advert on, higher_prio_send_advert
 * and vmac_xmit_base off, accept off for VRRPv2 non-owners).
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { RawBlock } from './keywords/table.js';
import { globalDefsTable } from './keywords/root.js';
import { at, fieldsOf } from './keywords/table.js';
import { vrrpInstanceTable } from './keywords/vrrp.js';
import { VRRP_DEFAULTS, type VrrpInstanceSpec } from '../vrrp/types.js';

/** Applies the strict-mode rules to a built instance (no-op unless spec.strict). */
export function applyStrict(
  spec: VrrpInstanceSpec,
  raw: RawBlock,
  global: RawBlock | undefined,
  sink: DiagnosticSink,
  configuredState: 'MASTER' | 'BACKUP' | undefined,
): void {
  if (!spec.strict) return;
  const n = spec.name;
  const owner = spec.priority === 255;
  const err = (field: string, code: string, msg: string): void => sink.error(at(raw, field), code, `vrrp_instance ${n}: ${msg}`);
  if (configuredState !== undefined && (configuredState === 'MASTER') !== owner) {
    err(
      'initialState',
      'strict-master',
      `vrrp_strict needs 'state MASTER' exactly for the address owner (priority 255); keepalived resets the state — write 'state ${owner ? 'MASTER' : 'BACKUP'}' or change the priority.`,
    );
    spec.initialState = owner ? 'MASTER' : 'BACKUP';
  }
  if (spec.authentication) {
    err('authentication', 'strict-auth', 'vrrp_strict forbids authentication (RFC 5798); keepalived ignores it — remove it or vrrp_strict.');
    delete spec.authentication;
  }
  if (spec.unicastPeers.length > 0)
    err('unicastPeers', 'strict-unicast', 'vrrp_strict forbids unicast_peer (RFC 5798 is multicast only); keepalived drops the instance — remove one of them.');
  if (spec.preemptDelayMs > 0) {
    err('preemptDelayMs', 'strict-preempt-delay', 'vrrp_strict forbids preempt_delay; keepalived resets it — remove one of them.');
    spec.preemptDelayMs = 0;
  }
  if (spec.downTimerAdverts !== VRRP_DEFAULTS.downTimerAdverts) {
    err(
      fieldsOf(vrrpInstanceTable, raw).downTimerAdverts !== undefined ? 'downTimerAdverts' : 'strict',
      'strict-down-timer',
      `vrrp_strict forbids down_timer_adverts other than 3; keepalived resets it — remove it.`,
    );
    spec.downTimerAdverts = VRRP_DEFAULTS.downTimerAdverts;
  }
  if (spec.family === 6 && spec.unicastPeers.length === 0 && spec.vips[0] && !/^fe[89ab]/i.test(spec.vips[0].address)) {
    err('vips', 'strict-ipv6-link-local', `vrrp_strict needs the first IPv6 virtual address to be link-local (RFC 5798 §5.2.9); put an fe80:: address first.`);
  }
  const set = (f: 'garpLowerPrioRepeat' | 'garpLowerPrioDelayMs' | 'lowerPrioNoAdvert'): boolean =>
    fieldsOf(vrrpInstanceTable, raw)[f] !== undefined || fieldsOf(globalDefsTable, global)[f] !== undefined;
  if (set('garpLowerPrioRepeat') && spec.garp.lowerPrioRepeat > 0)
    err('garpLowerPrioRepeat', 'strict-garp', 'vrrp_strict allows no lower-priority GARP repeats; keepalived resets garp_lower_prio_repeat to 0.');
  if (set('garpLowerPrioDelayMs') && spec.garp.lowerPrioDelayMs > 0)
    err('garpLowerPrioDelayMs', 'strict-garp', 'vrrp_strict allows no lower-priority GARP delay; keepalived resets garp_lower_prio_delay to 0.');
  spec.garp = { ...spec.garp, lowerPrioRepeat: 0, lowerPrioDelayMs: 0 };
  if (spec.lowerPrioNoAdvert === false && set('lowerPrioNoAdvert'))
    err('lowerPrioNoAdvert', 'strict-lower-prio', 'vrrp_strict needs lower_prio_no_advert; keepalived sets it.');
  spec.lowerPrioNoAdvert = true;
  if (spec.higherPrioSendAdvert) {
    err('higherPrioSendAdvert', 'strict-higher-prio', 'vrrp_strict needs higher_prio_send_advert off; keepalived clears it.');
    spec.higherPrioSendAdvert = false;
  }
  if (spec.vmacXmitBase) {
    err('vmacXmitBase', 'strict-xmit-base', 'vmac_xmit_base is incompatible with vrrp_strict; keepalived clears it.');
    spec.vmacXmitBase = false;
  }
  if (!owner && spec.version === 2 && fieldsOf(vrrpInstanceTable, raw).accept) {
    sink.warn(
      at(raw, 'accept'),
      'strict-accept',
      `vrrp_instance ${n}: accept mode for VRRPv2 does not comply with RFC 3768 under vrrp_strict; keepalived resets it (no_accept).`,
    );
    spec.accept = false;
  }
}

/** AH authentication checks keepalived makes (IPv6, initial state MASTER of a non-owner). */
export function checkAh(spec: VrrpInstanceSpec, raw: RawBlock, sink: DiagnosticSink, configuredState: 'MASTER' | 'BACKUP' | undefined): void {
  if (spec.authentication?.type !== 'AH') return;
  if (spec.family === 6) {
    sink.error(
      at(raw, 'authentication'),
      'ah-ipv6',
      `vrrp_instance ${spec.name}: AH authentication cannot be used with IPv6; keepalived ignores it — remove it.`,
    );
    delete spec.authentication;
    return;
  }
  if (configuredState === 'MASTER' && spec.priority !== 255) {
    sink.error(
      at(raw, 'initialState'),
      'ah-master',
      `vrrp_instance ${spec.name}: 'state MASTER' is incompatible with AH authentication (the AH sequence number must first be learnt from an advert); keepalived starts it as BACKUP — write 'state BACKUP'.`,
    );
    spec.initialState = 'BACKUP';
  }
}
