/**
 * FILE_CHECK (keepalived check_file.c with trackers/track_file.c): the number in a track_file, read as
 * keepalived's strtol does. Weight 0: a non-zero value takes the real server down (zero, with reverse);
 * otherwise value × weight (negated by reverse) is added to the configured weight and the server stays up.
 * The track_file's init_file is honoured here too, so a file only FILE_CHECK uses is initialised.
 */
import { existsSync } from 'node:fs';
import { readSmallFile, writeFileNoFollow } from '../../util/safe-file.js';
import type { FileCheckSpec } from '../types.js';
import type { ResolvedChecker } from '../resolve.js';
import type { CheckOutcome } from './outcome.js';

/** keepalived's strtol(buf, NULL, 0): the leading number (decimal, 0x hex, 0 octal), else 0. */
function leadingNumber(text: string): number {
  const m = /^\s*([-+]?)(0x[0-9a-f]+|0[0-7]*|[1-9]\d*)/i.exec(text);
  if (!m) return 0;
  const d = m[2]!;
  const v = /^0x/i.test(d) ? parseInt(d.slice(2), 16) : d.length > 1 && d.startsWith('0') ? parseInt(d, 8) : parseInt(d, 10);
  return m[1] === '-' ? -v : v;
}

/** Files whose init_file this process has written (once per file, as keepalived does at start). */
const initialised = new Set<string>();

/** One FILE_CHECK read of the track_file. */
export async function probeFile(c: ResolvedChecker): Promise<CheckOutcome> {
  const s = c.spec as FileCheckSpec;
  if (s.init && !initialised.has(s.path)) {
    initialised.add(s.path);
    if (s.init.overwrite || !existsSync(s.path)) {
      try {
        writeFileNoFollow(s.path, `${s.init.value}\n`, !!s.init.overwrite);
      } catch {
        /* read below gives 0 */
      }
    }
  }
  let value = 0;
  try {
    value = leadingNumber(await readSmallFile(s.path));
  } catch {
    /* missing or unreadable: 0, as keepalived */
  }
  if (s.weight === 0) {
    const down = (value !== 0) !== s.reverse;
    return { ok: !down, reason: `track_file ${s.trackFile} value ${value}` };
  }
  return { ok: true, reason: `track_file ${s.trackFile} value ${value}`, weightDelta: value * s.weight * (s.reverse ? -1 : 1) };
}
