// keepalived's dump signals write /tmp/keepalived.{data,stats,json} as root: a local user who plants a
// symlink (at the old predictable "<file>.<pid>.tmp" or at the file itself) or a file of their own there
// must not get root to write through it, nor read the dump (fs.protected_symlinks may be 0, as here).
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { installDaemonSignals } from '../../src/control/daemon-signals.js';
import type { Logger } from '../../src/control/logger.js';

const log: Logger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;

t.test('USR1/USR2 dumps never follow a planted symlink and replace a planted file', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-sig-'));
  chmodSync(dir, 0o1777);
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const victim = path.join(dir, 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, path.join(dir, `keepalived.data.${process.pid}.tmp`));
  symlinkSync(victim, path.join(dir, 'keepalived.data'));
  writeFileSync(path.join(dir, 'keepalived.stats'), '', { mode: 0o666 });
  const planted = statSync(path.join(dir, 'keepalived.stats')).ino;
  const uninstall = installDaemonSignals({ reload: async () => {}, dumpInput: () => ({ instances: [], nowS: 0 }), log, tmpDir: dir, stop: () => {} });
  t.teardown(uninstall);
  process.kill(process.pid, 'SIGUSR1');
  process.kill(process.pid, 'SIGUSR2');
  await new Promise((r) => setTimeout(r, 300));
  t.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlinks target is untouched');
  const data = path.join(dir, 'keepalived.data');
  t.ok(lstatSync(data).isFile(), 'keepalived.data is a regular file now (the symlink replaced)');
  t.match(readFileSync(data, 'utf8'), /Global definitions/);
  t.equal(lstatSync(data).mode & 0o777, 0o600, 'mode 0600');
  const stats = path.join(dir, 'keepalived.stats');
  t.not(statSync(stats).ino, planted, 'the planted keepalived.stats is replaced, not written into');
  t.equal(statSync(stats).mode & 0o777, 0o600);
  t.same(
    readdirSync(dir).filter((f) => f.startsWith('.keepalived')),
    [],
    'no temporary file is left behind',
  );
});
