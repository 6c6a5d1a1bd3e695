/**
 * The track_file, vrrp_track_process and track_bfd trackers of one configuration, and their combined
 * effect on an instance (with its sync group's references): a priority delta and whether it must be
 * FAULT. Only blocks something tracks are watched, as keepalived does; BFD sessions run in src/bfd.
 */
import { bfdSessions } from '../bfd/registry.js';
import type { BfdStateEvent } from '../bfd/daemon.js';
import { fileEffect, FileTracker, refWeight } from './track-file.js';
import { ProcessTracker } from './track-process.js';
import type { TrackScriptRef, VrrpConfig } from './types.js';

/** Priority delta and FAULT from files and processes. */
export interface FileProcessEffect {
  delta: number;
  fault: boolean;
  reasons: string[];
}

/** Runs the file and process trackers; `onChange` is called when any value or state changes. */
export class FileProcessTrackers {
  private files = new Map<string, FileTracker>();
  private procs?: ProcessTracker;
  private config: VrrpConfig = { instances: [], scripts: [], syncGroups: [] };
  private bfdListener?: (e: BfdStateEvent) => void;

  constructor(
    private readonly log: (m: string) => void,
    private readonly onChange: () => void,
  ) {}

  /** (Re)starts the trackers of `config`; file values are read before this resolves. */
  async apply(config: VrrpConfig): Promise<void> {
    this.stop();
    this.config = config;
    const owners = [...config.instances, ...config.syncGroups];
    const usedFiles = new Set(owners.flatMap((o) => (o.trackFiles ?? []).map((r) => r.name)));
    const usedProcs = new Set(owners.flatMap((o) => (o.trackProcesses ?? []).map((r) => r.name)));
    for (const spec of config.trackFiles ?? []) {
      if (!usedFiles.has(spec.name)) continue;
      const t = new FileTracker(spec);
      t.on('change', (v: number) => {
        this.log(`track_file ${spec.name}: value ${v}`);
        this.onChange();
      });
      this.files.set(spec.name, t);
      await t.start();
    }
    const usedBfds = new Set(owners.flatMap((o) => (o.trackBfds ?? []).map((r) => r.name)));
    if (usedBfds.size) {
      this.bfdListener = (e) => {
        if (usedBfds.has(e.name)) {
          this.log(`track_bfd ${e.name} ${e.up ? 'up' : 'down'}`);
          this.onChange();
        }
      };
      bfdSessions().on('state', this.bfdListener);
    }
    const procSpecs = (config.trackProcesses ?? []).filter((p) => usedProcs.has(p.name));
    if (procSpecs.length) {
      this.procs = new ProcessTracker(procSpecs);
      this.procs.on('change', (name: string, up: boolean) => {
        this.log(`vrrp_track_process ${name} ${up ? 'up' : 'down'}`);
        this.onChange();
      });
      await this.procs.start();
    }
  }

  /** Stops every tracker. */
  stop(): void {
    for (const t of this.files.values()) t.stop();
    this.files.clear();
    this.procs?.stop();
    this.procs = undefined;
    if (this.bfdListener) bfdSessions().off('state', this.bfdListener);
    this.bfdListener = undefined;
  }

  /** The effect of the references of an instance plus those of its sync group. */
  effect(files: readonly TrackScriptRef[], procs: readonly TrackScriptRef[], bfds: readonly TrackScriptRef[] = []): FileProcessEffect {
    const e: FileProcessEffect = { delta: 0, fault: false, reasons: [] };
    for (const ref of files) {
      const t = this.files.get(ref.name);
      if (!t) continue;
      const { weight, reverse } = refWeight(ref, t.spec);
      const x = fileEffect(t.value, weight, reverse);
      e.delta += x.delta;
      if (x.fault) {
        e.fault = true;
        e.reasons.push(`track_file ${ref.name}`);
      }
    }
    for (const ref of procs) {
      const spec = this.config.trackProcesses?.find((p) => p.name === ref.name);
      const up = this.procs?.up.get(ref.name);
      if (!spec || up === undefined) continue;
      upDownEffect(e, `track_process ${ref.name}`, up, refWeight(ref, spec));
    }
    for (const ref of bfds) {
      const spec = this.config.bfdInstances?.find((b) => b.name === ref.name);
      if (!spec) continue;
      // keepalived's vrrp_track.c: the same weight rules as track_process; a session not Up is down.
      upDownEffect(e, `track_bfd ${ref.name}`, bfdSessions().isUp(ref.name) ?? false, refWeight(ref, spec));
    }
    return e;
  }
}

/** keepalived's up/down weights: 0 → FAULT while down (up with reverse); W > 0 added while up, W < 0 while down; reverse flips both. */
function upDownEffect(e: FileProcessEffect, what: string, up: boolean, w: { weight: number; reverse: boolean }): void {
  if (w.weight === 0) {
    if (up === w.reverse) {
      e.fault = true;
      e.reasons.push(what);
    }
    return;
  }
  const m = w.reverse ? -1 : 1;
  if (w.weight > 0 && up === !w.reverse) e.delta += w.weight * m;
  if (w.weight < 0 && up === w.reverse) e.delta += w.weight * m;
}
