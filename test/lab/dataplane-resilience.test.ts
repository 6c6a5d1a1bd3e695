/**
 * Resilience of the live data plane: a 100 MB NAT transfer arrives intact (sha256 compared) while a
 * packet worker is crashed mid-transfer and restarted by the supervisor (the established connection
 * continues), on both backends; a director killed with SIGKILL leaves tagged state that the next
 * start removes, and that run's stop leaves nothing.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { directorLeftovers, prepareRealServers, requestsThroughVip, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR } from '../../src/lab/topology.js';

const BYTES = 100 * 1024 * 1024;

/** sha256 of what the lab responder sends for /bytes/N (64 KiB pattern chunks). */
function expectedSha(n: number): string {
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
  const h = createHash('sha256');
  for (let left = n; left > 0; left -= chunk.length) h.update(left >= chunk.length ? chunk : chunk.subarray(0, left));
  return h.digest('hex');
}

t.test('resilience', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const undo = await prepareRealServers(lab, 'nat');
  t.teardown(undo);
  const want = expectedSha(BYTES);

  for (const backend of ['afpacket', 'nfqueue'] as const) {
    await t.test(`100 MB through NAT on ${backend} with a worker crash mid-transfer`, async (t) => {
      const d = await startLabDirector(lab, { mode: 'nat', backend, workers: 2 });
      t.teardown(() => d.stop());
      const transfer = lab.exec(
        'client',
        ['bash', '-c', `curl -s -m 50 --limit-rate 25M http://${LAB_ADDR.vip4}/bytes/${BYTES} | sha256sum; echo "curl exit \${PIPESTATUS[0]}"`],
        { timeoutMs: 60000 },
      );
      await new Promise((r) => setTimeout(r, 1500));
      // Crash both workers one after the other: whichever owns the flow dies at least once.
      process.kill(d.child.pid!, 'SIGUSR2');
      await new Promise((r) => setTimeout(r, 1000));
      const r = await transfer;
      const out = await d.stop();
      t.equal(r.stdout.split(' ')[0], want, '100 MB arrived intact (sha256)', {
        curl: r.stdout.split('\n')[1],
        director: out.split('\n').slice(-30).join('\n'),
      });
      t.match(out, /restarting worker 0/, 'the supervisor restarted the crashed worker');
      t.match(out, /restarts [1-9]/, 'restart counted');
      t.same(await directorLeftovers(lab), [], 'nothing left after stop');
    });
  }

  await t.test('a killed director leaves tagged state; the next start cleans it', async (t) => {
    const d1 = await startLabDirector(lab, { mode: 'nat', backend: 'nfqueue', workers: 1 });
    d1.child.kill('SIGKILL');
    await new Promise((r) => d1.child.once('exit', r));
    const left = await directorLeftovers(lab);
    t.ok(
      left.some((l) => l.startsWith('iptables')),
      'rules left behind by the crash',
    );
    const d2 = await startLabDirector(lab, { mode: 'nat', backend: 'nfqueue', workers: 1 });
    t.teardown(() => d2.stop());
    t.same(await requestsThroughVip(lab, 3), ['rs3', 'rs2', 'rs1'], 'the new director serves');
    await d2.stop();
    t.same(await directorLeftovers(lab), [], 'nothing left after its stop');
  });
});
