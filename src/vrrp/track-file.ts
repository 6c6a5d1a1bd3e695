/**
 * track_file: a file holding a number, re-read when it changes (fs.watch on its directory, like
 * keepalived's inotify, plus a 1 s re-read in case the watch misses a rename) — keepalived's
 * trackers/track_file.c. A missing or unreadable file reads as 0; a non-number as 0 (strtol).
 */
import { EventEmitter } from 'node:events';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { readSmallFile, writeFileNoFollow } from '../util/safe-file.js';
import path from 'node:path';
import type { TrackScriptRef, VrrpTrackFileSpec } from './types.js';

/** keepalived's strtol(buf, NULL, 0): leading number (decimal, 0x hex, 0 octal), else 0. */
export function parseTrackValue(text: string): number {
  const m = /^\s*([-+]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(text);
  if (!m) return 0;
  const digits = m[2]!;
  const v = /^0x/i.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  return m[1] === '-' ? -v : v;
}

/**
 * The effect of a file value on an instance (process_update_vrrp_track_file_status): weight 0 means
 * FAULT while the value is non-zero (zero with reverse); otherwise value × weight (negated by
 * reverse) clamped to -254..253 is added to the priority, and -254 means FAULT.
 */
export function fileEffect(value: number, weight: number, reverse: boolean): { delta: number; fault: boolean } {
  if (weight === 0) return { delta: 0, fault: (value !== 0) !== reverse };
  const s = Math.max(-254, Math.min(253, value * weight * (reverse ? -1 : 1)));
  return s === -254 ? { delta: 0, fault: true } : { delta: s, fault: false };
}

/** The weight and reverse an instance applies: its own reference's, else the block's. */
export function refWeight(ref: TrackScriptRef, spec: { weight: number; reverse?: boolean }): { weight: number; reverse: boolean } {
  return { weight: ref.weight ?? spec.weight, reverse: ref.reverse ?? !!spec.reverse };
}

/** One watched track_file; emits 'change' (value) when the number changes. */
export class FileTracker extends EventEmitter {
  value = 0;
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  private reading = false;

  constructor(readonly spec: VrrpTrackFileSpec) {
    super();
  }

  /** Writes init_file's value if asked, reads the file once, then watches it. */
  async start(): Promise<void> {
    const init = this.spec.init;
    if (init && (init.overwrite || !existsSync(this.spec.path))) {
      try {
        writeFileNoFollow(this.spec.path, `${init.value}\n`, !!init.overwrite);
      } catch {
        /* reported by the read below as 0 */
      }
    }
    this.value = await this.read();
    try {
      const base = path.basename(this.spec.path);
      this.watcher = watch(path.dirname(this.spec.path), (_e, f) => {
        if (!f || f === base) void this.reread();
      });
      this.watcher.on('error', () => {});
    } catch {
      /* directory missing: the periodic re-read still runs */
    }
    this.timer = setInterval(() => void this.reread(), 1000);
  }

  /** Stops watching. */
  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<number> {
    try {
      return parseTrackValue(await readSmallFile(this.spec.path));
    } catch {
      return 0;
    }
  }

  private async reread(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const v = await this.read();
      if (v !== this.value) {
        this.value = v;
        this.emit('change', v);
      }
    } finally {
      this.reading = false;
    }
  }
}
