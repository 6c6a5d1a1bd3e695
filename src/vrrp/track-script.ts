/**
 * vrrp_script trackers: each script runs every interval (killed after timeout), `fall`
 * consecutive failures make it failed and `rise` consecutive successes make it OK (keepalived
 * vrrp_track.c semantics; starts OK unless init_fail). Runs only while something tracks it.
 */
import { EventEmitter } from 'node:events';
import { runScript } from './notify.js';
import type { TrackInterfaceSpec, TrackScriptRef, VrrpScriptSpec } from './types.js';

/** Splits a keepalived script line into argv (double/single quotes, backslash escapes). */
export function splitScriptLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q: string | undefined;
  let has = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (q) {
      if (c === q) q = undefined;
      else if (c === '\\' && q === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      q = c;
      has = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      has = true;
    } else if (c === ' ' || c === '\t') {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

/** One running vrrp_script; emits 'change' (ok: boolean) when its result flips. */
export class ScriptTracker extends EventEmitter {
  /** Current result: true = OK. */
  ok: boolean;
  private goodRun = 0;
  private badRun = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(readonly spec: VrrpScriptSpec) {
    super();
    this.ok = !spec.initFail;
  }

  /** Starts the periodic runs (first run at once). */
  start(): void {
    this.stopped = false;
    void this.loop();
  }

  /** Stops scheduling further runs. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private async loop(): Promise<void> {
    if (this.stopped) return;
    // keepalived runs `</dev/tcp/host/port`-style lines with system(3) (lib/notify.c check_script_secure, SC_SYSTEM).
    const argv = /^<[ \t]*\//.test(this.spec.script) ? ['/bin/sh', '-c', this.spec.script] : splitScriptLine(this.spec.script);
    const r = await runScript(argv, this.spec.timeoutMs);
    if (this.stopped) return;
    this.record(r.code === 0);
    this.timer = setTimeout(() => void this.loop(), this.spec.intervalMs);
  }

  /** Feeds one result (exposed for tests). */
  record(success: boolean): void {
    if (success) {
      this.goodRun++;
      this.badRun = 0;
    } else {
      this.badRun++;
      this.goodRun = 0;
    }
    const before = this.ok;
    if (!this.ok && this.goodRun >= this.spec.rise) this.ok = true;
    if (this.ok && this.badRun >= this.spec.fall) this.ok = false;
    if (this.ok !== before) this.emit('change', this.ok);
  }
}

/** The effect of the trackers on an instance: priority delta and whether it must be FAULT. */
export interface TrackEffect {
  delta: number;
  fault: boolean;
  reasons: string[];
}

/**
 * keepalived's weight rules: weight 0 → FAULT while failed/down; W > 0 added while OK/up;
 * W < 0 added (subtracted) while failed/down; `reverse` inverts which state applies and the sign.
 */
export function trackEffect(
  scripts: { ref: TrackScriptRef; spec: VrrpScriptSpec; ok: boolean }[],
  ifaces: { spec: TrackInterfaceSpec; up: boolean }[],
): TrackEffect {
  const e: TrackEffect = { delta: 0, fault: false, reasons: [] };
  const apply = (name: string, weight: number, reverse: boolean, good: boolean): void => {
    if (weight === 0) {
      if (!good) {
        e.fault = true;
        e.reasons.push(name);
      }
      return;
    }
    const m = reverse ? -1 : 1;
    if (weight > 0 && good === !reverse) e.delta += weight * m;
    if (weight < 0 && good === reverse) e.delta += weight * m;
  };
  for (const s of scripts) apply(`script ${s.spec.name}`, s.ref.weight ?? s.spec.weight, !!(s.ref.reverse ?? s.spec.reverse), s.ok);
  for (const i of ifaces) apply(`interface ${i.spec.name}`, i.spec.weight, !!i.spec.reverse, i.up);
  return e;
}
