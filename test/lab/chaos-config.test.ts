// lab: alone — it loads the machine on purpose (flood/stress); the test command runs it by itself.
// Chaos: hostile files in a reload. Includes of /dev/zero, a FIFO, a directory and a socket, and a
// 50 MB file, are refused at once with file:line (nothing changes); a 15 MB file (under the 16 MiB
// cap) is parsed in a worker thread. Through all of it the MASTER keeps advertising: keepalived stays
// BACKUP, the daemon lives and ulvsadm -L -n answers.
import t from 'tap';
import net from 'node:net';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { ChaosBed, VIP_M, bigConf, directorConf } from '../../bench/chaos-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;

t.test('special files, a 50 MB and a 15 MB config in reloads', { skip: !root && 'needs root (network namespaces)', timeout: 240000 }, async (t) => {
  const cb = await ChaosBed.up('cc');
  t.teardown(() => cb.down());
  const fifo = path.join(cb.bed.dir, 'fifo');
  await run(['mkfifo', fifo]);
  const sockFile = path.join(cb.bed.dir, 'a.sock');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(sockFile, r));
  t.teardown(() => new Promise((r) => srv.close(r)));
  const dir = path.join(cb.bed.dir, 'conf.d');
  mkdirSync(dir);
  const check = (o: Awaited<ReturnType<ChaosBed['stressCase']>>, what: string) => {
    t.comment(`${what}: longest advert gap ${o.maxAdvertGapMs} ms (${o.adverts} adverts), RSS ${o.rssKiB.before}/${o.rssKiB.peak}/${o.rssKiB.after} KiB`);
    t.ok(o.alive, `${what}: the director is alive`);
    t.notOk(o.backupTookOver, `${what}: keepalived stayed BACKUP`);
    t.same(
      o.instances.map((i) => i.state),
      ['MASTER', 'MASTER'],
      `${what}: both instances MASTER`,
    );
    t.equal(o.ulvsadm.code, 0, `${what}: ulvsadm -L -n answers`);
    t.match(o.ulvsadm.out, `TCP  ${VIP_M}:80 rr`);
  };

  const special = await cb.stressCase(
    'special files in includes',
    async () => {
      const out: Record<string, { code: number; out: string }> = {};
      for (const f of ['/dev/zero', fifo, dir, sockFile]) {
        cb.writeConf(directorConf(`include ${f}\n`));
        out[f] = await cb.reload();
      }
      return out;
    },
    1000,
  );
  check(special, 'special files');
  for (const [f, r] of Object.entries(special.detail as Record<string, { code: number; out: string }>)) {
    t.not(r.code, 0, `include ${f}: reload refused`);
    t.match(r.out, /keepalived\.conf:\d+: included file .* is (a character device|a FIFO|a directory|a socket)/, `include ${f}: file:line and what it is`);
  }

  const huge = await cb.stressCase(
    '50 MB config',
    async () => {
      bigConf(cb.conf, directorConf(), 50);
      return cb.reload();
    },
    1000,
  );
  check(huge, '50 MB config');
  const h = huge.detail as { code: number; out: string };
  t.not(h.code, 0, '50 MB: refused');
  t.match(h.out, /at most 16 MiB/);

  const big = await cb.stressCase(
    '15 MB config',
    async () => {
      bigConf(cb.conf, directorConf(), 15);
      return cb.reload();
    },
    1000,
  );
  check(big, '15 MB config');
  t.equal((big.detail as { code: number }).code, 0, '15 MB: parsed (in a worker) and applied');
});
