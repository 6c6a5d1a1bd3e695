/**
 * The track_file and vrrp_track_process trackers of one configuration, and their combined effect
 * on an instance (with its sync group's references): a priority delta and whether it must be FAULT.
 * Only blocks something tracks are watched, as keepalived does.
 */
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

  constructor(private readonly log: (m: string) => void, private readonly onChange: () => void) {}

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
      t.on('change', (v: number) => { this.log(`track_file ${spec.name}: value ${v}`); this.onChange(); });
      this.files.set(spec.name, t);
      await t.start();
    }
    const procSpecs = (config.trackProcesses ?? []).filter((p) => usedProcs.has(p.name));
    if (procSpecs.length) {
      this.procs = new ProcessTracker(procSpecs);
      this.procs.on('change', (name: string, up: boolean) => { this.log(`vrrp_track_process ${name} ${up ? 'up' : 'down'}`); this.onChange(); });
      await this.procs.start();
    }
  }

  /** Stops every tracker. */
  stop(): void {
    for (const t of this.files.values()) t.stop();
    this.files.clear();
    this.procs?.stop();
    this.procs = undefined;
  }

  /** The effect of the references of an instance plus those of its sync group. */
  effect(files: readonly TrackScriptRef[], procs: readonly TrackScriptRef[]): FileProcessEffect {
    const e: FileProcessEffect = { delta: 0, fault: false, reasons: [] };
    for (const ref of files) {
      const t = this.files.get(ref.name);
      if (!t) continue;
      const { weight, reverse } = refWeight(ref, t.spec);
      const x = fileEffect(t.value, weight, reverse);
      e.delta += x.delta;
      if (x.fault) { e.fault = true; e.reasons.push(`track_file ${ref.name}`); }
    }
    for (const ref of procs) {
      const spec = this.config.trackProcesses?.find((p) => p.name === ref.name);
      const up = this.procs?.up.get(ref.name);
      if (!spec || up === undefined) continue;
      const { weight, reverse } = refWeight(ref, spec);
      // keepalived's weights: 0 → FAULT while down (up with reverse); W > 0 added while up, W < 0 while down; reverse flips both.
      if (weight === 0) { if (up === reverse) { e.fault = true; e.reasons.push(`track_process ${ref.name}`); } continue; }
      const m = reverse ? -1 : 1;
      if (weight > 0 && up === !reverse) e.delta += weight * m;
      if (weight < 0 && up === reverse) e.delta += weight * m;
    }
    return e;
  }
}
