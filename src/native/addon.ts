/**
 * The only file that loads the native addon (build/Release/ulvs_native.node). Everything else imports
 * the typed handle from here, so a missing or stale build gives one clear sentence, not a stack trace.
 */
import { ERROR_CODES, UlvsError } from '../core/errors.js';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './types.js';

/** The ABI version this TypeScript expects; must equal native/addon.cc's kAbiVersion. */
export const EXPECTED_ABI = 2;

/** Raised when the addon cannot be loaded; its message is one sentence for the user. */
export class NativeAddonError extends UlvsError {
  constructor(message: string) {
    super(message, ERROR_CODES.NativeMissing);
  }
}

let cached: NativeAddon | undefined;

/** Directory of the repository (src/native or dist/native are two levels below it). */
export function repoRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
}

/** Loads (once per thread) and returns the native addon, or throws NativeAddonError. */
export function loadNative(): NativeAddon {
  if (cached) return cached;
  const file = path.join(repoRoot(), 'build/Release/ulvs_native.node');
  if (!existsSync(file)) {
    throw new NativeAddonError(`the native addon is not built (${file} is missing): run 'node scripts/setup.mjs' or 'npm ci' in ${repoRoot()}`);
  }
  let mod: NativeAddon;
  try {
    mod = createRequire(import.meta.url)(file) as NativeAddon;
  } catch (e) {
    const msg = (e as Error).message.split('\n')[0];
    throw new NativeAddonError(`the native addon at ${file} cannot be loaded (${msg}); rebuild it with 'npm rebuild' for Node ${process.version}`);
  }
  if (mod.abiVersion !== EXPECTED_ABI) {
    throw new NativeAddonError(`the native addon at ${file} is ABI ${mod.abiVersion}, this code expects ${EXPECTED_ABI}: rebuild it with 'npm rebuild'`);
  }
  cached = mod;
  return mod;
}
