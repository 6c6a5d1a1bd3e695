/**
 * Raw vrrp_instance / vrrp_script / vrrp_sync_group blocks -> the VRRP contract (src/vrrp/types.ts),
 * defaulted the way keepalived defaults them, with the VRRP cross-checks (VRID clashes, v2 with IPv6,
 * families, references between blocks).
 */
import type { DiagnosticSink, Pos } from './diagnostics.js';
import { posString } from './diagnostics.js';
import type { RawBlock, ScriptValue } from './keywords/table.js';
import { globalDefsTable } from './keywords/root.js';
import { at, fieldsOf } from './keywords/table.js';
import { vrrpInstanceTable, vrrpSyncGroupTable } from './keywords/vrrp.js';
import { parseRoutes } from './build-routes.js';
import { parseRules, type RuleLine } from './build-rules.js';
import { applyStrict, checkAh } from './build-strict.js';
import { instanceVips } from './build-vip.js';
import { buildScript, buildTracking } from './build-vrrp-track.js';
import { scriptsOf, type ScriptUse } from './script-use.js';
import { advertInterval, garpSpec, instanceVersion, parseAuthentication, parseUnicastPeers } from './build-vrrp-fields.js';
import { VRRP_DEFAULTS, type NotifyScriptSpec, type NotifySpec, type VrrpConfig, type VrrpInstanceSpec, type VrrpSyncGroupSpec } from '../vrrp/types.js';

/** The rule lines of each built instance, for numbering rules without a preference in file order. */
export const instanceRuleLines = new WeakMap<VrrpInstanceSpec, RuleLine[]>();

/** Where each keyword of a built instance was written (for later host checks). */
export const instanceFieldPos = new WeakMap<VrrpInstanceSpec, Record<string, Pos>>();

/** Converts a ScriptValue to the contract's NotifyScriptSpec. */
export function notifyScript(s: ScriptValue | undefined): NotifyScriptSpec | undefined {
  if (!s) return undefined;
  const out: NotifyScriptSpec = { argv: s.argv };
  if (s.user) out.user = s.group ? `${s.user}:${s.group}` : s.user;
  return out;
}

function notifySpec(raw: RawBlock): NotifySpec {
  const n: NotifySpec = {};
  const set = (k: keyof NotifySpec, f: (typeof NOTIFY_FIELDS)[number]): void => {
    const v = notifyScript(fieldsOf(vrrpInstanceTable, raw)[f]);
    if (v) n[k] = v;
  };
  set('master', 'notifyMaster');
  set('backup', 'notifyBackup');
  set('fault', 'notifyFault');
  set('stop', 'notifyStop');
  set('deleted', 'notifyDeleted');
  set('generic', 'notify');
  set('masterRxLowerPri', 'notifyMasterRxLowerPri');
  return n;
}

const NOTIFY_FIELDS = ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notifyDeleted', 'notify', 'notifyMasterRxLowerPri'] as const;
// A vrrp_sync_group has no notify_deleted or notify_master_rx_lower_pri.
const SYNC_GROUP_NOTIFY_FIELDS = ['notifyMaster', 'notifyBackup', 'notifyFault', 'notifyStop', 'notify'] as const;

function buildInstance(raw: RawBlock, global: RawBlock | undefined, sink: DiagnosticSink, uses: ScriptUse[]): VrrpInstanceSpec | undefined {
  const inst = fieldsOf(vrrpInstanceTable, raw);
  const glob = fieldsOf(globalDefsTable, global);
  const name = raw.args[0];
  if (!name) {
    sink.error(raw.pos, 'missing-name', 'vrrp_instance needs a name: vrrp_instance VI_1 { ... }; the block is skipped.');
    return undefined;
  }
  if (raw.args.length > 1) sink.warn(raw.pos, 'extra-words', `vrrp_instance '${name}': '${raw.args.slice(1).join(' ')}' after the name is ignored.`);
  const vrid = inst.vrid;
  if (vrid === undefined)
    sink.error(
      raw.pos,
      'missing-vrid',
      `vrrp_instance ${name} has no valid virtual_router_id; add 'virtual_router_id N' (1..255, same on all routers of the instance).`,
    );
  const { vips, excludedVips, family } = instanceVips(raw, name, sink);
  const version = instanceVersion(raw, global, name, family, sink);
  const statePos = at(raw, 'initialState');
  const configuredState = inst.initialState;
  const priority = inst.priority ?? (configuredState === 'MASTER' ? 255 : VRRP_DEFAULTS.priority);
  const initialState = configuredState ?? (priority === 255 ? 'MASTER' : 'BACKUP');
  const advertIntMs = advertInterval(raw, version, sink);
  let nopreempt = inst.nopreempt ?? false;
  if (nopreempt && priority === 255) {
    sink.error(
      at(raw, 'nopreempt'),
      'nopreempt-owner',
      `vrrp_instance ${name}: nopreempt is incompatible with priority 255 (address owner${configuredState === 'MASTER' && inst.priority === undefined ? ', which state MASTER implies' : ''}); keepalived clears it — remove it or lower the priority.`,
    );
    nopreempt = false;
  } else if (nopreempt && configuredState === 'MASTER') {
    sink.error(
      statePos,
      'nopreempt-master',
      `vrrp_instance ${name}: nopreempt does not work with 'state MASTER'; keepalived clears it — use 'state BACKUP' on every router with nopreempt.`,
    );
    nopreempt = false;
  }
  const strict = inst.strict ?? glob.vrrpStrict ?? false;
  const { unicastPeers, ttlCheck } = parseUnicastPeers(raw, family, vips.length, sink);
  const iface = inst.interface;
  if (!iface && unicastPeers.length === 0) sink.error(raw.pos, 'missing-interface', `vrrp_instance ${name} has no 'interface'; multicast VRRP needs one.`);
  else if (!iface)
    sink.warn(
      raw.pos,
      'missing-interface',
      `vrrp_instance ${name} has no 'interface'; keepalived 2.2 rejects that even with unicast peers (newer versions route by peer) — add 'interface'.`,
    );
  if (iface === 'lo') sink.error(at(raw, 'interface'), 'loopback', `vrrp_instance ${name} cannot run on the loopback interface; keepalived refuses it too.`);
  const authentication = parseAuthentication(raw, name, version, sink);
  const { trackInterfaces, trackScripts } = buildTracking(raw, sink, true);
  scriptsOf(vrrpInstanceTable, raw, NOTIFY_FIELDS, uses);
  const g = (f: 'downTimerAdverts'): number | undefined => inst[f] ?? glob[f];
  const spec: VrrpInstanceSpec = {
    name,
    vrid: vrid ?? 0,
    version,
    family,
    interface: iface ?? '',
    initialState,
    priority,
    advertIntMs,
    nopreempt,
    preemptDelayMs: inst.preemptDelayMs ?? 0,
    downTimerAdverts: g('downTimerAdverts') ?? VRRP_DEFAULTS.downTimerAdverts,
    unicastPeers,
    unicastTtl: inst.unicastTtl ?? VRRP_DEFAULTS.unicastTtl,
    checkUnicastSrc: inst.checkUnicastSrc ?? glob.checkUnicastSrc ?? ttlCheck,
    vips,
    excludedVips,
    trackInterfaces,
    trackScripts,
    notify: notifySpec(raw),
    garp: garpSpec(raw, global, family),
    accept: inst.noAccept ? false : (inst.accept ?? (priority === 255 || !strict)),
    strict,
    source: posString(raw.pos),
  };
  instanceFieldPos.set(spec, raw.at);
  const routes = parseRoutes(inst.virtualRoutes, sink, 'virtual_routes');
  if (routes.length) spec.virtualRoutes = routes;
  const rules = parseRules(inst.virtualRules, sink, 'virtual_rules');
  if (rules.length) {
    spec.virtualRules = rules.map((r) => r.spec);
    instanceRuleLines.set(spec, rules);
  }
  if (authentication) spec.authentication = authentication;
  const srcIp = inst.srcIp;
  if (srcIp) spec.srcIp = srcIp;
  const mcast = inst.mcastGroup ?? (family === 6 ? glob.vrrpMcastGroup6 : glob.vrrpMcastGroup4);
  if (mcast) spec.mcastGroup = mcast;
  const optional = ['unicastFaultNoPeer', 'dontTrackPrimary', 'vmacXmitBase', 'useVmac'] as const;
  for (const k of optional) {
    const v = inst[k];
    if (v !== undefined) (spec as unknown as Record<string, unknown>)[k] = v;
  }
  const lp = inst.lowerPrioNoAdvert ?? glob.lowerPrioNoAdvert;
  if (lp !== undefined) spec.lowerPrioNoAdvert = lp;
  const hp = inst.higherPrioSendAdvert ?? glob.higherPrioSendAdvert;
  if (hp !== undefined) spec.higherPrioSendAdvert = hp;
  if (srcIp && vips.length > 0 && (srcIp.includes(':') ? 6 : 4) !== family) {
    sink.error(
      at(raw, 'srcIp'),
      'mixed-family',
      `source address ${srcIp} of vrrp_instance ${name} is not the family of its virtual addresses (IPv${family}); keepalived rejects this.`,
    );
  }
  if (inst.unicastTtl !== undefined && unicastPeers.length === 0) {
    sink.error(at(raw, 'unicastTtl'), 'ttl-without-peers', `unicast_ttl has no effect without unicast_peer (keepalived resets it); remove it or add peers.`);
  }
  checkAh(spec, raw, sink, configuredState);
  applyStrict(spec, raw, global, sink, configuredState);
  return spec;
}

function buildSyncGroup(raw: RawBlock, sink: DiagnosticSink, uses: ScriptUse[]): VrrpSyncGroupSpec | undefined {
  const name = raw.args[0];
  if (!name) {
    sink.error(raw.pos, 'missing-name', 'vrrp_sync_group needs a name; the block is skipped.');
    return undefined;
  }
  const instances = (fieldsOf(vrrpSyncGroupTable, raw).group ?? []).flatMap((l) => l.words);
  if (instances.length === 0) sink.error(raw.pos, 'empty-group', `vrrp_sync_group ${name} has no 'group { ... }' members; add the instance names.`);
  const { trackInterfaces, trackScripts } = buildTracking(raw, sink, false);
  scriptsOf(vrrpSyncGroupTable, raw, SYNC_GROUP_NOTIFY_FIELDS, uses);
  return { name, instances, trackInterfaces, trackScripts, notify: notifySpec(raw), source: posString(raw.pos) };
}

/** Builds the VrrpConfig from raw blocks and runs the VRRP cross-checks. */
export function buildVrrp(
  instances: RawBlock[],
  scripts: RawBlock[],
  groups: RawBlock[],
  global: RawBlock | undefined,
  sink: DiagnosticSink,
  uses: ScriptUse[],
): VrrpConfig {
  const cfg: VrrpConfig = { instances: [], scripts: [], syncGroups: [] };
  const names = new Map<string, Pos>();
  for (const s of scripts) {
    const spec = buildScript(s, sink, uses);
    if (!spec) continue;
    if (names.has(`s:${spec.name}`))
      sink.error(s.pos, 'duplicate-name', `vrrp_script ${spec.name} is defined twice (first at ${posString(names.get(`s:${spec.name}`)!)}); rename one.`);
    names.set(`s:${spec.name}`, s.pos);
    cfg.scripts.push(spec);
  }
  const clash = new Map<string, VrrpInstanceSpec>();
  for (const r of instances) {
    const spec = buildInstance(r, global, sink, uses);
    if (!spec) continue;
    if (names.has(`i:${spec.name}`))
      sink.error(r.pos, 'duplicate-name', `vrrp_instance ${spec.name} is defined twice (first at ${posString(names.get(`i:${spec.name}`)!)}); rename one.`);
    names.set(`i:${spec.name}`, r.pos);
    if (spec.vrid > 0) {
      const key = `${spec.interface}/${spec.family}/${spec.vrid}`;
      const other = clash.get(key);
      if (other) {
        sink.error(
          at(r, 'vrid'),
          'vrid-conflict',
          `vrrp_instance ${spec.name} uses virtual_router_id ${spec.vrid} on ${spec.interface || 'its interface'} (IPv${spec.family}), as ${other.name} does at ${other.source}; give each instance on one link its own VRID.`,
        );
      } else clash.set(key, spec);
    }
    for (const t of spec.trackScripts) {
      if (!cfg.scripts.some((s) => s.name === t.name)) {
        sink.error(
          r.pos,
          'unknown-script',
          `vrrp_instance ${spec.name} tracks script '${t.name}', which no vrrp_script defines; define it or remove the reference.`,
        );
      }
    }
    cfg.instances.push(spec);
  }
  const member = new Map<string, string>();
  for (const r of groups) {
    const spec = buildSyncGroup(r, sink, uses);
    if (!spec) continue;
    // keepalived's vrrp_sync_set_group: unknown names and second memberships are ignored with a warning.
    spec.instances = spec.instances.filter((n) => {
      if (!cfg.instances.some((i) => i.name === n)) {
        sink.warn(
          at(r, 'group'),
          'unknown-instance',
          `vrrp_sync_group ${spec.name} lists '${n}', which is no vrrp_instance; keepalived ignores it too — fix the name.`,
        );
        return false;
      }
      const prev = member.get(n);
      if (prev) {
        sink.warn(
          at(r, 'group'),
          'instance-in-two-groups',
          `vrrp_instance ${n} is in sync groups ${prev} and ${spec.name}; keepalived keeps it in ${prev} only, as ulvs does.`,
        );
        return false;
      }
      member.set(n, spec.name);
      return true;
    });
    if (spec.instances.length === 0) {
      sink.warn(r.pos, 'empty-group', `vrrp_sync_group ${spec.name} has no existing member; keepalived removes the group, as ulvs does.`);
      continue;
    }
    for (const t of spec.trackScripts) {
      if (!cfg.scripts.some((s) => s.name === t.name))
        sink.error(r.pos, 'unknown-script', `vrrp_sync_group ${spec.name} tracks script '${t.name}', which no vrrp_script defines.`);
    }
    if (spec.instances.length === 1)
      sink.warn(
        at(r, 'group'),
        'group-of-one',
        `vrrp_sync_group ${spec.name} has a single instance, which syncs with nothing (keepalived reports this); add the other instances or drop the group.`,
      );
    cfg.syncGroups.push(spec);
  }
  return cfg;
}
