/**
 * Shared by the seed lab tests: the seed files (test/fixtures/seeds) and loading a seed's
 * keepalived.conf with the project's parser.
 */
import { readFileSync } from 'node:fs';
import type { VrrpBed } from '../../bench/failover-lab.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { VrrpConfig } from '../../src/vrrp/types.js';

const SEEDS = new URL('../fixtures/seeds/', import.meta.url).pathname;

/** Text of a seed file (config or script) as the seed documents have it. */
export const seedText = (f: string): string => readFileSync(`${SEEDS}${f}`, 'utf8');

/** Loads keepalived.conf text (written into the bed) with the project's parser; fails on errors. */
export function vrrpOf(bed: VrrpBed, name: string, text: string): VrrpConfig {
  const file = bed.file(name, text);
  const r = loadConfig(file, { hostChecks: false });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  return r.model.vrrp;
}
