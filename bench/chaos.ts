/**
 * Chaos figures (not a test): on the chaos bed (bench/chaos-lab.ts), each stress case runs for a few
 * seconds while keepalived on the BACKUP side records the MASTER's adverts with tcpdump. Prints, per
 * case, the longest gap between two adverts against advert_int (1 s; keepalived's BACKUP takes over
 * after 3 × advert_int + skew ≈ 3.6 s), whether the BACKUP ever took a VIP, and the director's RSS
 * before, at the peak of and after the stress.
 *
 *   npx tsc -p tsconfig.build.json && sudo node --import @tapjs/typescript/import bench/chaos.ts [--seconds 8] [--fresh]
 *
 * --fresh builds a new bed for every case; ULVS_CHAOS_DIRECTOR=/path/to/older/checkout runs that
 * checkout's bin/ulvs.mjs as the director (its dist/ built), for before/after figures.
 */
import net from 'node:net';
import path from 'node:path';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { ADVERT_INT_MS, ChaosBed, VIP_M, VIP_U, bigConf, craftAdverts, directorConf, floodArgv, type CaseOutcome } from './chaos-lab.js';
import { run } from '../src/util/exec.js';

const secIdx = process.argv.indexOf('--seconds');
const SECONDS = secIdx > 0 ? Number(process.argv[secIdx + 1]) : 8;
const ms = SECONDS * 1000;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const FRESH = process.argv.includes('--fresh');

async function main(): Promise<void> {
  let cb = await ChaosBed.up('cb');
  const rows: CaseOutcome[] = [];
  const special = mkdtempSync(path.join(tmpdir(), 'ulvs-chaos-files-'));
  try {
    const fifo = path.join(special, 'fifo');
    await run(['mkfifo', fifo]);
    const sockFile = path.join(special, 'a.sock');
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(sockFile, r));
    const dir = path.join(special, 'conf.d');
    mkdirSync(dir);
    const cases: Array<[string, () => Promise<unknown>]> = [
      ['idle (reference)', () => sleep(ms)],
      [
        'fd flood of /metrics by nobody (4000 conns, reconnecting) + reload adding a VIP',
        async () => {
          const f = cb.asNobody('a', floodArgv('connect', 'tcp', '127.0.0.1:9406', '4000', String(ms)));
          await sleep(ms / 2);
          cb.writeConf(directorConf('', ['10.71.0.102']));
          await cb.reload();
          return f;
        },
      ],
      [
        'fd flood of the control socket by root (3000 conns)',
        () => run(floodArgv('connect', 'unix', cb.sock, '3000', String(ms)), { netns: cb.bed.ns('a'), timeoutMs: ms + 20000 }),
      ],
      [
        '200k pipelined requests, answers never read',
        () => run(floodArgv('pipeline', 'unix', cb.sock, '200000', String(ms)), { netns: cb.bed.ns('a'), timeoutMs: ms + 20000 }),
      ],
      [
        'reloads including /dev/zero, a FIFO, a directory, a socket',
        async () => {
          const end = Date.now() + ms;
          while (Date.now() < end)
            for (const f of ['/dev/zero', fifo, dir, sockFile]) {
              cb.writeConf(directorConf(`include ${f}\n`));
              await cb.reload();
            }
        },
      ],
      [
        'reload of a 50 MB config (refused)',
        async () => {
          bigConf(cb.conf, directorConf(), 50);
          const r = await cb.reload();
          await sleep(ms);
          return r;
        },
      ],
      [
        'reload of a 15 MB config (parsed in a worker)',
        async () => {
          bigConf(cb.conf, directorConf(), 15);
          const r = await cb.reload();
          await sleep(ms);
          return r;
        },
      ],
      [
        'off-link (TTL 64/254) and non-peer adverts, 20/s',
        async () => {
          const n = Math.round(SECONDS * 20);
          await Promise.all([
            craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst: '10.71.0.1', ttl: 64, vrid: 51, priority: 254, vip: VIP_M, count: n }),
            craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst: '10.71.0.1', ttl: 254, vrid: 51, priority: 254, vip: VIP_M, count: n }),
            craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst: '224.0.0.18', ttl: 255, vrid: 52, priority: 254, vip: VIP_U, count: n }),
            craftAdverts(cb.bed, 'c', { src: '10.71.0.3', dst: '224.0.0.1', ttl: 255, vrid: 52, priority: 254, vip: VIP_U, count: n }),
          ]);
        },
      ],
    ];
    for (const [name, fn] of cases) {
      // --fresh: a new bed per case, so a case that broke the director does not spoil the next one.
      if (FRESH && rows.length > 0) {
        await cb.down();
        cb = await ChaosBed.up('cb');
      }
      cb.writeConf(directorConf());
      await cb.reload();
      rows.push(await cb.stressCase(name, fn, 2000));
      process.stderr.write(`${name}: gap ${rows.at(-1)!.maxAdvertGapMs} ms\n`);
    }
    srv.close();
  } finally {
    await cb.down();
    rmSync(special, { recursive: true, force: true });
  }
  const mib = (k: number) => (k / 1024).toFixed(0);
  const out = [
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${SECONDS} s per case, advert_int ${ADVERT_INT_MS} ms`,
    '',
    '| case | longest advert gap | × advert_int | adverts seen | BACKUP took over | MASTER after | RSS before / peak / after (MiB) | ulvsadm -L -n after |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.maxAdvertGapMs} ms | ${(r.maxAdvertGapMs / ADVERT_INT_MS).toFixed(2)} | ${r.adverts} | ${r.backupTookOver ? 'yes' : 'no'} | ${r.instances.filter((i) => i.state === 'MASTER').length}/2 | ${mib(r.rssKiB.before)} / ${mib(r.rssKiB.peak)} / ${mib(r.rssKiB.after)} | ${r.ulvsadm.code === 0 ? 'answers' : `exit ${r.ulvsadm.code}`} |`,
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

await main();
