// A track_file in a directory a local user can write (/tmp): a FIFO put there must not block the daemon's
// reads (each would hold a thread-pool thread for ever, and after four every file read, reload and
// interface poll of the daemon waits), /dev/zero must not be read without end, and init_file must not
// write through a symlink planted at the path.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FileTracker } from '../../src/vrrp/track-file.js';
import { probeFile } from '../../src/health/checkers/check-file.js';
import type { ResolvedChecker } from '../../src/health/resolve.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-trk-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => Promise.race([p, new Promise<'hung'>((r) => setTimeout(() => r('hung'), ms).unref())]);

t.test('track_file: a FIFO or a device reads as 0 at once', async (t) => {
  const fifo = path.join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  for (const p of [fifo, '/dev/zero']) {
    const ft = new FileTracker({ name: 'f', path: p, weight: 10 });
    t.not(await within(ft.start(), 2000), 'hung', `${p}: start() returns`);
    t.equal(ft.value, 0, `${p}: value 0`);
    ft.stop();
  }
  const c = { spec: { type: 'FILE_CHECK', trackFile: 'f', path: fifo, weight: 0, reverse: false } } as unknown as ResolvedChecker;
  t.not(await within(probeFile(c), 2000), 'hung', 'FILE_CHECK on a FIFO returns');
});

t.test('init_file does not write through a symlink planted at the path', async (t) => {
  const victim = path.join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  const link = path.join(dir, 'trk');
  symlinkSync(victim, link);
  const ft = new FileTracker({ name: 'f', path: link, weight: 1, init: { value: 7, overwrite: true } });
  await ft.start();
  ft.stop();
  t.equal(readFileSync(victim, 'utf8'), 'precious\n');
  const dangling = path.join(dir, 'trk2');
  symlinkSync(path.join(dir, 'made-by-root'), dangling);
  const ft2 = new FileTracker({ name: 'g', path: dangling, weight: 1, init: { value: 7, overwrite: false } });
  await ft2.start();
  ft2.stop();
  t.notOk(existsSync(path.join(dir, 'made-by-root')), 'a dangling symlink target is not created');
});
