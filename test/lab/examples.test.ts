// Every example keepalived.conf (examples/lvs-{dr,nat,tun}.conf) started the way a keepalived user
// would, `ulvs run -f FILE` and nothing else, in the lab's director: the client's requests through the
// VIP are answered by the real servers in turn, and TERM leaves nothing behind.
import { existsSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { countByServer, directorLeftovers, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { ROOT } from '../helpers/cli.js';

const skip =
  (process.getuid?.() !== 0 && 'needs root (network namespaces)') ||
  (!existsSync(path.join(ROOT, 'dist/cli/ulvs.js')) && 'needs dist/ (npx tsc -p tsconfig.build.json)');

t.test('examples/lvs-*.conf run with `ulvs run -f FILE` alone', { skip, timeout: 180000 }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  for (const mode of ['dr', 'nat', 'tun'] as const) {
    await t.test(`${mode.toUpperCase()}: examples/lvs-${mode}.conf`, async (t) => {
      const undo = await prepareRealServers(lab, mode);
      t.teardown(undo);
      const child = lab.spawn('lb1', [process.execPath, path.join(ROOT, 'bin/ulvs.mjs'), 'run', '-f', path.join(ROOT, 'examples', `lvs-${mode}.conf`)]);
      let log = '';
      child.stdout!.on('data', (d) => {
        log += d;
      });
      child.stderr!.on('data', (d) => {
        log += d;
      });
      const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      t.teardown(async () => {
        if (child.exitCode === null) {
          child.kill('SIGKILL');
          await exited;
        }
      });
      let answers: string[] = [];
      for (let i = 0; i < 40 && child.exitCode === null; i++) {
        answers = await requestsThroughVip(lab, 6);
        if (!answers.includes('') && new Set(answers).size === 3) break; // the VIP comes up once VRRP is MASTER
        await new Promise((r) => setTimeout(r, 500));
      }
      const by = countByServer(answers);
      t.same(Object.keys(by).sort(), ['rs1', 'rs2', 'rs3'], `rr over the three real servers: ${JSON.stringify(by)}`);
      if (Object.keys(by).length !== 3) t.comment(log.slice(-3000));
      child.kill('SIGTERM');
      t.equal(await exited, 0, 'TERM: exit 0');
      t.same(await directorLeftovers(lab), [], 'nothing left on the director');
    });
  }
});
