/**
 * Building fully defaulted VrrpInstanceSpec values (keepalived's defaults) from a partial one,
 * for the runner, tests and benchmarks; the config parser has its own mapping.
 */
import { VRRP_DEFAULTS, type VipSpec, type VrrpConfig, type VrrpInstanceSpec } from './types.js';

/** A VipSpec from `ADDR[/LEN]` text with keepalived's default prefix (/32, /128). */
export function vip(text: string, over: Partial<VipSpec> = {}): VipSpec {
  const [address, len] = text.split('/');
  const family = address.includes(':') ? 6 : 4;
  return { address, family, prefixLen: len !== undefined ? Number(len) : family === 4 ? 32 : 128, ...over };
}

/** A complete instance spec: keepalived defaults overridden by `over` (family follows the VIPs). */
export function instanceSpec(over: Partial<VrrpInstanceSpec> = {}): VrrpInstanceSpec {
  const vips = over.vips ?? [vip('192.0.2.100')];
  const family = over.family ?? vips[0]?.family ?? 4;
  const priority = over.priority ?? (over.initialState === 'MASTER' ? 255 : VRRP_DEFAULTS.priority);
  return {
    name: 'VI_1',
    vrid: 51,
    version: family === 6 ? 3 : VRRP_DEFAULTS.version,
    family,
    interface: 'eth0',
    initialState: priority === 255 ? 'MASTER' : 'BACKUP',
    priority,
    advertIntMs: VRRP_DEFAULTS.advertIntMs,
    nopreempt: false,
    preemptDelayMs: 0,
    downTimerAdverts: VRRP_DEFAULTS.downTimerAdverts,
    unicastPeers: [],
    unicastTtl: VRRP_DEFAULTS.unicastTtl,
    checkUnicastSrc: false,
    excludedVips: [],
    trackInterfaces: [],
    trackScripts: [],
    notify: {},
    garp: { ...VRRP_DEFAULTS.garp },
    accept: true,
    strict: false,
    ...over,
    vips,
  };
}

/** A VrrpConfig of the given instances (no scripts or sync groups unless given). */
export function vrrpConfig(instances: VrrpInstanceSpec[], over: Partial<VrrpConfig> = {}): VrrpConfig {
  return { instances, scripts: [], syncGroups: [], ...over };
}
