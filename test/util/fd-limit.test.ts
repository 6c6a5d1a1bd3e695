import t from 'tap';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readFdLimits } from '../../src/util/fd-limit.js';

t.test('raiseFdLimit lifts the soft open-files limit to the hard one', async (t) => {
  const lim = readFdLimits();
  if (!lim) {
    t.comment('skip: no /proc/self/limits');
    return;
  }
  t.ok(lim.soft <= lim.hard);
  if (lim.hard <= 256) {
    t.comment(`skip: hard limit ${lim.hard} is too low to test`);
    return;
  }
  const child = fileURLToPath(new URL('./fixtures/raise-fd-limit.ts', import.meta.url));
  const argv = [process.execPath, ...process.execArgv, child].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('sh', ['-c', `ulimit -Sn 256 && exec ${argv}`], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const after = JSON.parse(r.stdout.trim()) as { soft: number | string; hard: number | string };
  t.equal(after.soft, after.hard, `soft ${after.soft} raised to hard ${after.hard}`);
});
