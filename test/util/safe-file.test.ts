// File access a local user cannot turn against root: no write through a symlink or into someone's
// planted file, no read that blocks on a FIFO or runs away on a device.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { readSmallFile, replaceFileSafely, writeFileNoFollow } from '../../src/util/safe-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-safe-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('replaceFileSafely: replaces a symlink instead of following it; leaves no temporary file', async (t) => {
  const victim = path.join(dir, 'v1');
  writeFileSync(victim, 'precious');
  const f = path.join(dir, 'dump');
  symlinkSync(victim, f);
  replaceFileSafely(f, 'new text');
  t.equal(readFileSync(victim, 'utf8'), 'precious');
  t.equal(readFileSync(f, 'utf8'), 'new text');
  t.same(
    readdirSync(dir).filter((x) => x.startsWith('.dump.')),
    [],
  );
});

t.test('writeFileNoFollow: refuses a symlink (dangling or not), creates only when asked', async (t) => {
  const victim = path.join(dir, 'v2');
  writeFileSync(victim, 'precious');
  const link = path.join(dir, 'track');
  symlinkSync(victim, link);
  t.throws(() => writeFileNoFollow(link, '1\n', true), { code: 'ELOOP' });
  t.equal(readFileSync(victim, 'utf8'), 'precious');
  const dangling = path.join(dir, 'track2');
  symlinkSync(path.join(dir, 'created-by-root'), dangling);
  t.throws(() => writeFileNoFollow(dangling, '1\n', false));
  t.notOk(readdirSync(dir).includes('created-by-root'), 'the dangling target is not created');
  const plain = path.join(dir, 'track3');
  writeFileNoFollow(plain, '5\n', false);
  t.throws(() => writeFileNoFollow(plain, '6\n', false), { code: 'EEXIST' });
  writeFileNoFollow(plain, '7\n', true);
  t.equal(readFileSync(plain, 'utf8'), '7\n');
});

t.test('readSmallFile: a FIFO or a device is refused at once; a large file is read only up to the cap', async (t) => {
  const fifo = path.join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  await t.rejects(readSmallFile(fifo), { code: 'ENOTREG' }, 'a FIFO with no writer does not block');
  await t.rejects(readSmallFile('/dev/zero'), { code: 'ENOTREG' });
  const big = path.join(dir, 'big');
  writeFileSync(big, '1'.repeat(100_000));
  t.equal((await readSmallFile(big, 64)).length, 64);
});
