/**
 * The config loader the daemon and `ulvs check-config` call: keepalived.conf path -> model + graded
 * diagnostics. Pure except for reading the files and, unless disabled, looking at host facts.
 */
import { hostname } from 'node:os';
import { DiagnosticSink, hasErrors } from './diagnostics.js';
import { preprocess } from './preprocess.js';
import { buildTree } from './tree.js';
import { applyBlock, fieldsOf, type RawBlock } from './keywords/table.js';
import { globalDefsTable, rootTable } from './keywords/root.js';
import { vrrpInstanceTable } from './keywords/vrrp.js';
import { buildVrrp, instanceRuleLines } from './build-vrrp.js';
import { parseVip } from './build-vip.js';
import type { ScriptUse } from './script-use.js';
import { buildTrackFiles, buildTrackProcesses, buildTrackRefs } from './build-trackers.js';
import { buildBfdInstances, resolveEventCheckers } from './build-bfd.js';
import { parseRoutes } from './build-routes.js';
import { assignRulePrefs, parseRules } from './build-rules.js';
import type { NotifyFifoConfig } from '../util/notify-fifo.js';
import { buildVirtualServer } from './build-ipvs.js';
import { buildGroups } from './build-groups.js';
import { buildSmtp } from './build-smtp.js';
import { checkHost, hostInterfaces } from './host-checks.js';
import type { ConfigModel, Diagnostic, GlobalDefsConfig, LoadOptions, LoadResult } from './types.js';
import type { HealthServiceSpec } from '../health/types.js';
import type { VirtualServiceSpec } from '../ipvs/types.js';
import { serviceKeyText } from '../ipvs/service-key.js';
import { DEFAULT_TIMEOUTS } from '../ipvs/types.js';
import { posString } from './diagnostics.js';
import { parseLvsSyncDaemon } from './lvs-sync-daemon.js';
import { buildBgp } from './build-bgp.js';

/** The default config id: the first label of the host name, as keepalived uses. */
export function defaultConfigId(): string {
  return hostname().split('.')[0] ?? '';
}

function mergeGlobals(blocks: RawBlock[]): RawBlock | undefined {
  if (blocks.length === 0) return undefined;
  const merged: RawBlock = { table: 'global_defs', args: [], pos: blocks[0]!.pos, fields: {}, at: {} };
  for (const b of blocks) {
    Object.assign(merged.fields, b.fields);
    Object.assign(merged.at, b.at);
  }
  return merged;
}

/** global_defs' notify FIFOs: `X_notify_fifo PATH [user [group]]` and `X_notify_fifo_script "CMD"`. */
function notifyFifoConfig(g: RawBlock | undefined, sink: DiagnosticSink): NotifyFifoConfig | undefined {
  const out: NotifyFifoConfig = {};
  for (const [k, f] of [
    ['all', 'notifyFifo'],
    ['vrrp', 'vrrpNotifyFifo'],
    ['lvs', 'lvsNotifyFifo'],
  ] as const) {
    const words = fieldsOf(globalDefsTable, g)[f];
    const script = fieldsOf(globalDefsTable, g)[`${f}Script`];
    if (words?.[0]) out[k] = script ? { path: words[0], script: script.argv } : { path: words[0] };
    else if (script && g)
      sink.warn(
        script.pos,
        'fifo-script-without-fifo',
        `'${f === 'notifyFifo' ? '' : k + '_'}notify_fifo_script' has no '${f === 'notifyFifo' ? '' : k + '_'}notify_fifo' to read; keepalived does not run it either — add the FIFO path.`,
      );
  }
  return Object.keys(out).length ? out : undefined;
}

/** keepalived disables a vrrp_script whose script it cannot find, and the instances and groups tracking it ignore it. */
function disableMissingScripts(model: ConfigModel, missing: readonly ScriptUse[]): void {
  const gone = new Set(missing.filter((u) => u.keyword === 'script').map((u) => u.script.command));
  if (gone.size === 0) return;
  const names = new Set(model.vrrp.scripts.filter((s) => gone.has(s.script)).map((s) => s.name));
  model.vrrp.scripts = model.vrrp.scripts.filter((s) => !names.has(s.name));
  for (const i of model.vrrp.instances) i.trackScripts = i.trackScripts.filter((t) => !names.has(t.name));
  for (const g of model.vrrp.syncGroups) g.trackScripts = g.trackScripts.filter((t) => !names.has(t.name));
}

/** Loads a keepalived.conf (with includes): always returns a model, plus diagnostics sorted by file and line. */
export function loadConfig(path: string, opts: LoadOptions = {}): LoadResult {
  const sink = new DiagnosticSink();
  const env = opts.env ?? process.env;
  const configId = opts.configId ?? defaultConfigId();
  const pre = preprocess(path, sink, { configId, env });
  const tree = buildTree(pre.lines, sink);
  const root = applyBlock(tree, rootTable, sink, [], { file: pre.files[0] ?? path, line: 0 });

  const globalRaw = mergeGlobals(fieldsOf(rootTable, root).globalDefs ?? []);
  const uses: ScriptUse[] = [];
  const vrrp = buildVrrp(
    fieldsOf(rootTable, root).vrrpInstances ?? [],
    fieldsOf(rootTable, root).vrrpScripts ?? [],
    fieldsOf(rootTable, root).vrrpSyncGroups ?? [],
    globalRaw,
    sink,
    uses,
  );
  const trackFiles = buildTrackFiles(fieldsOf(rootTable, root).trackFiles ?? [], sink);
  const trackProcesses = buildTrackProcesses(fieldsOf(rootTable, root).trackProcesses ?? [], sink);
  if (trackFiles.length) vrrp.trackFiles = trackFiles;
  if (trackProcesses.length) vrrp.trackProcesses = trackProcesses;
  const bfd = buildBfdInstances(fieldsOf(rootTable, root).bfdInstances ?? [], sink);
  if (bfd.length) vrrp.bfdInstances = bfd.map((b) => ({ name: b.name, weight: b.weight }));
  const instRaws = fieldsOf(rootTable, root).vrrpInstances ?? [];
  const groupRaws = fieldsOf(rootTable, root).vrrpSyncGroups ?? [];
  for (const owner of [
    ...vrrp.instances.map((i) => ({ o: i, raw: instRaws.find((r) => r.args[0] === i.name), what: `vrrp_instance ${i.name}` })),
    ...vrrp.syncGroups.map((g) => ({ o: g, raw: groupRaws.find((r) => r.args[0] === g.name), what: `vrrp_sync_group ${g.name}` })),
  ]) {
    const files = buildTrackRefs(
      fieldsOf(vrrpInstanceTable, owner.raw).trackFiles,
      trackFiles.map((f) => f.name),
      sink,
      'track_file',
      owner.what,
    );
    const procs = buildTrackRefs(
      fieldsOf(vrrpInstanceTable, owner.raw).trackProcesses,
      trackProcesses.map((f) => f.name),
      sink,
      'track_process',
      owner.what,
    );
    if (files.length) owner.o.trackFiles = files;
    if (procs.length) owner.o.trackProcesses = procs;
    const bfds = buildTrackRefs(
      fieldsOf(vrrpInstanceTable, owner.raw).trackBfds,
      bfd.map((b) => b.name),
      sink,
      'track_bfd',
      owner.what,
    );
    if (bfds.length) owner.o.trackBfds = bfds;
  }
  const staticAddresses = (fieldsOf(rootTable, root).staticIpaddress ?? []).flatMap((l) => {
    const v = parseVip(l, sink);
    return v ? [v] : [];
  });
  if (staticAddresses.length) vrrp.staticAddresses = staticAddresses;
  const staticRoutes = parseRoutes(fieldsOf(rootTable, root).staticRoutes, sink, 'static_routes');
  if (staticRoutes.length) vrrp.staticRoutes = staticRoutes;
  const staticRules = parseRules(fieldsOf(rootTable, root).staticRules, sink, 'static_rules');
  if (staticRules.length) vrrp.staticRules = staticRules.map((r) => r.spec);
  const fileOrder = new Map(pre.files.map((f, i) => [f, i]));
  assignRulePrefs(
    [...staticRules, ...vrrp.instances.flatMap((i) => instanceRuleLines.get(i) ?? [])].sort(
      (a, b) => (fileOrder.get(a.line.file) ?? 0) - (fileOrder.get(b.line.file) ?? 0) || a.line.line - b.line.line,
    ),
    sink,
  );
  const global: GlobalDefsConfig = { enableScriptSecurity: fieldsOf(globalDefsTable, globalRaw).enableScriptSecurity ?? false };
  const routerId = fieldsOf(globalDefsTable, globalRaw).routerId;
  if (routerId !== undefined) {
    global.routerId = routerId;
    vrrp.routerId = routerId;
  }
  const scriptUser = fieldsOf(globalDefsTable, globalRaw).scriptUser;
  if (scriptUser?.length) {
    global.scriptUser = scriptUser.join(':');
    vrrp.scriptUser = global.scriptUser;
  }
  const fifos = notifyFifoConfig(globalRaw, sink);
  if (fifos) global.notifyFifos = fifos;
  if (fieldsOf(globalDefsTable, globalRaw).fifoWriteStatesOnReload) vrrp.fifoWriteStatesOnReload = true;
  const lvsTimeouts = fieldsOf(globalDefsTable, globalRaw).lvsTimeouts;
  if (lvsTimeouts) global.lvsTimeouts = lvsTimeouts;
  const lvsSync = fieldsOf(globalDefsTable, globalRaw).lvsSyncDaemon;
  if (lvsSync && globalRaw) {
    global.lvsSyncDaemon = lvsSync;
    const r = parseLvsSyncDaemon(
      lvsSync,
      vrrp.instances.map((i) => i.name),
      (name) => vrrp.instances.find((i) => i.name === name)?.vrid,
    );
    if (r.ok) global.lvsSync = r.value;
    else sink.error(globalRaw.at.lvsSyncDaemon ?? globalRaw.pos, 'lvs-sync-daemon', r.error);
  }

  const groups = buildGroups(fieldsOf(rootTable, root).virtualServerGroups ?? [], sink);
  const seenGroup = new Map<string, string>();
  for (const g of groups) {
    if (seenGroup.has(g.name))
      sink.error(
        { file: g.source.replace(/:\d+$/, ''), line: Number(/:(\d+)$/.exec(g.source)?.[1] ?? 0) },
        'duplicate-name',
        `virtual_server_group ${g.name} is defined twice (first at ${seenGroup.get(g.name)}); rename one.`,
      );
    seenGroup.set(g.name, g.source);
  }
  const services: VirtualServiceSpec[] = [];
  const health: HealthServiceSpec[] = [];
  const seenService = new Map<string, string>();
  for (const raw of fieldsOf(rootTable, root).virtualServers ?? []) {
    const vs = buildVirtualServer(raw, groups, sink, uses);
    if (!vs) continue;
    for (const s of vs.services) {
      const id = serviceKeyText(s.key);
      const prev = seenService.get(id);
      if (prev) sink.error(raw.pos, 'duplicate-service', `virtual service ${id} is defined twice (also at ${prev}); merge the two virtual_server blocks.`);
      else seenService.set(id, posString(raw.pos));
    }
    services.push(...vs.services);
    health.push(vs.health);
  }
  resolveEventCheckers(health, bfd, trackFiles, sink);
  const smtp = buildSmtp(
    { global: globalRaw, instances: fieldsOf(rootTable, root).vrrpInstances ?? [], groups: fieldsOf(rootTable, root).vrrpSyncGroups ?? [], health, routerId },
    sink,
  );
  if (smtp) global.smtp = smtp;

  const model: ConfigModel = {
    global,
    vrrp,
    ipvs: { services, timeouts: { ...DEFAULT_TIMEOUTS, ...(lvsTimeouts ?? {}) } },
    health,
    virtualServerGroups: groups,
    bfd,
    files: pre.files,
  };
  const bgp = buildBgp(fieldsOf(rootTable, root).ulvsBgp ?? [], services, bfd, sink);
  if (bgp) model.bgp = bgp;
  const netNamespace = fieldsOf(rootTable, root).netNamespace;
  if (netNamespace !== undefined) model.netNamespace = netNamespace;
  const missing =
    opts.hostChecks !== false ? checkHost(model, uses, sink, opts.interfaces ?? hostInterfaces(), env, opts.uid ?? process.geteuid?.() ?? 0) : undefined;
  if (missing) disableMissingScripts(model, missing);
  if (uses.length > 0 && !global.enableScriptSecurity) {
    const first = uses.reduce((a, b) => (a.script.pos.line <= b.script.pos.line || a.script.pos.file !== b.script.pos.file ? a : b));
    // keepalived's SECURITY VIOLATION (-t exit 6) counts only scripts it finds on the host (SC_ISSCRIPT).
    const found = !missing || missing.length < uses.length;
    sink.warn(
      first.script.pos,
      found ? 'script-security' : 'script-security-absent',
      found
        ? `scripts are configured but global_defs has no 'enable_script_security'; keepalived -t reports a SECURITY VIOLATION for this (exit 6) — add it (ulvs refuses unsafe scripts either way).`
        : `scripts are configured but global_defs has no 'enable_script_security'; none of them exists here, but where one does keepalived -t reports a SECURITY VIOLATION (exit 6) — add it.`,
    );
  }
  const order = new Map(pre.files.map((f, i) => [f, i]));
  const diagnostics = sink.list
    .map((d, i) => ({ d, i }))
    .sort((a, b) => (order.get(a.d.file) ?? -1) - (order.get(b.d.file) ?? -1) || a.d.line - b.d.line || a.i - b.i)
    .map((x) => x.d);
  if (opts.strict) for (const d of diagnostics) if (d.severity === 'warning') d.severity = 'error';
  const ok = !hasErrors(diagnostics, opts.strict);
  if (opts.strict) diagnostics.push(...unicastSrcAdvice(vrrp.instances));
  return { model, diagnostics, ok };
}

/**
 * --strict advice (not an error): a unicast instance without check_unicast_src takes adverts from any
 * host that can reach it, so one packet from off the link can demote its MASTER.
 */
function unicastSrcAdvice(instances: ConfigModel['vrrp']['instances']): Diagnostic[] {
  return instances
    .filter((i) => i.unicastPeers.length > 0 && !i.checkUnicastSrc)
    .map((i) => {
      const m = /^(.*):(\d+)$/.exec(i.source ?? '');
      return {
        severity: 'warning' as const,
        file: m?.[1] ?? '',
        line: Number(m?.[2] ?? 0),
        code: 'unicast-no-src-check',
        message: `vrrp_instance ${i.name} uses unicast_peer without check_unicast_src: an advert from any host (not only a peer) is taken; add check_unicast_src.`,
      };
    });
}
