import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/util/exec.js';

t.test('a command that cannot be started resolves with code 127', async (t) => {
  const r = await run(['/nonexistent/ulvs-no-such-command']);
  t.equal(r.code, 127);
  t.match(r.stderr, /ENOENT/);
});

t.test('a spawn at the open-files limit (EMFILE) resolves instead of crashing the process', async (t) => {
  const child = fileURLToPath(new URL('./fixtures/spawn-at-emfile.ts', import.meta.url));
  const argv = [process.execPath, ...process.execArgv, child].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('sh', ['-c', `ulimit -n 256 && exec ${argv}`], { encoding: 'utf8', timeout: 60000 });
  t.equal(r.status, 0, `the child survived: ${r.stderr.slice(-400)}`);
  const out = JSON.parse(r.stdout.trim()) as { held: number; atLimit: { code: number; stderr: string }; after: { code: number } };
  t.ok(out.held > 0);
  t.not(out.atLimit.code, 0, 'the spawn at the limit failed');
  t.match(out.atLimit.stderr, /EMFILE|EAGAIN|ENFILE|cannot run/, `with the reason: ${out.atLimit.stderr.slice(0, 200)}`);
  t.equal(out.after.code, 0, 'and works again once descriptors are free');
});
