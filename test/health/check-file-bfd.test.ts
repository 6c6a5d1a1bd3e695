// FILE_CHECK and BFD_CHECK probes: a track_file's number as up/down or a weight offset (keepalived
// check_file.c), and a BFD session's state as up/down (check_bfd.c), through the PROBES table.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveChecker } from '../../src/health/resolve.js';
import { PROBES } from '../../src/health/checkers/index.js';
import type { CheckerSpec, HealthRealServerSpec, HealthServiceSpec } from '../../src/health/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-filecheck-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'w');
const rs = { address: '10.0.0.1', port: 80, checkers: [] } as unknown as HealthRealServerSpec;
const vs = { realServers: [rs] } as unknown as HealthServiceSpec;
const probe = (c: CheckerSpec) => PROBES[c.type](resolveChecker(vs, rs, c));

t.test('FILE_CHECK weight 0: non-zero takes the server down; reverse flips it; a missing file reads 0', async (t) => {
  const c = { type: 'FILE_CHECK', trackFile: 'tf', path: file, weight: 0, reverse: false } as CheckerSpec;
  t.equal((await probe(c)).ok, true, 'missing file = 0 = up');
  writeFileSync(file, '3\n');
  t.equal((await probe(c)).ok, false);
  t.equal((await probe({ ...c, reverse: true } as CheckerSpec)).ok, true);
  writeFileSync(file, 'garbage');
  t.equal((await probe(c)).ok, true, 'not a number reads as 0');
});

t.test('FILE_CHECK weight W: value × W (negated by reverse) is the weight offset', async (t) => {
  const c = { type: 'FILE_CHECK', trackFile: 'tf', path: file, weight: 2, reverse: false } as CheckerSpec;
  writeFileSync(file, '0x10');
  t.match(await probe(c), { ok: true, weightDelta: 32 });
  writeFileSync(file, '-4');
  t.match(await probe({ ...c, reverse: true } as CheckerSpec), { ok: true, weightDelta: 8 });
});

t.test('FILE_CHECK writes the track_file init_file value before its first read when the file is missing', async (t) => {
  const f = path.join(dir, 'init');
  const c = { type: 'FILE_CHECK', trackFile: 'ti', path: f, weight: 1, reverse: false, init: { value: 7, overwrite: false } } as CheckerSpec;
  t.match(await probe(c), { ok: true, weightDelta: 7 });
  writeFileSync(f, '2');
  t.match(await probe(c), { weightDelta: 2 }, 'written once only');
});

t.test('BFD_CHECK: a session that is not running is down (the lab test vrrp-bfd-frr drives real sessions)', async (t) => {
  t.match(await probe({ type: 'BFD_CHECK', name: 'nope' } as CheckerSpec), { ok: false, reason: /not running/ });
});
