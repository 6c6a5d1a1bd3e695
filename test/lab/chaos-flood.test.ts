// lab: alone — it loads the machine on purpose (flood/stress); the test command runs it by itself.
// Chaos: local floods against the director's listeners. A NON-ROOT user (nobody) holds thousands of
// connections to /metrics (127.0.0.1:9406 in the director's namespace) while the director, limited to
// 1024 open files, reloads and adds a VIP (spawning ip); root floods the control socket; a client
// pipelines requests without reading answers. The MASTER stays MASTER, keepalived stays BACKUP, the
// daemon lives, and ulvsadm -L -n answers — during the flood too.
import t from 'tap';
import { ChaosBed, VIP_M, directorConf, floodArgv } from '../../bench/chaos-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const EXTRA_VIP = '10.71.0.102';

t.test(
  'floods of the metrics port, the control socket and pipelined unread requests',
  { skip: !root && 'needs root (network namespaces)', timeout: 240000 },
  async (t) => {
    const cb = await ChaosBed.up('cf');
    t.teardown(() => cb.down());
    const check = (o: Awaited<ReturnType<ChaosBed['stressCase']>>, what: string) => {
      t.comment(`${what}: longest advert gap ${o.maxAdvertGapMs} ms (${o.adverts} adverts), RSS ${o.rssKiB.before}/${o.rssKiB.peak}/${o.rssKiB.after} KiB`);
      t.ok(o.alive, `${what}: the director is alive`);
      t.notOk(o.backupTookOver, `${what}: keepalived stayed BACKUP`);
      t.same(
        o.instances.map((i) => i.state),
        ['MASTER', 'MASTER'],
        `${what}: both instances MASTER`,
      );
      t.equal(o.ulvsadm.code, 0, `${what}: ulvsadm -L -n answers afterwards`);
      t.match(o.ulvsadm.out, `TCP  ${VIP_M}:80 rr`);
    };

    const metrics = await cb.stressCase('metrics flood by nobody', async () => {
      const flood = cb.asNobody('a', floodArgv('connect', 'tcp', '127.0.0.1:9406', '4000', '6000'));
      const sockTry = cb.asNobody('a', floodArgv('connect', 'unix', cb.sock, '5', '500'));
      await new Promise((r) => setTimeout(r, 1500));
      cb.writeConf(directorConf('', [EXTRA_VIP]));
      const reload = await cb.reload();
      const during = await cb.ulvsadm();
      const vip = await run(['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: cb.bed.ns('a') });
      return {
        flood: JSON.parse((await flood).stdout || '{}'),
        sockTry: JSON.parse((await sockTry).stdout || '{}'),
        reload,
        during,
        vipAdded: vip.stdout.includes(EXTRA_VIP),
      };
    });
    check(metrics, 'metrics flood');
    const m = metrics.detail as {
      flood: { connects: number };
      sockTry: { connects: number; errors: Record<string, number> };
      reload: { code: number; out: string };
      during: { code: number };
      vipAdded: boolean;
    };
    t.ok(m.flood.connects > 1000, `nobody opened ${m.flood.connects} connections to /metrics`);
    t.equal(m.sockTry.connects, 0, 'nobody cannot connect to the control socket');
    t.ok((m.sockTry.errors.EACCES ?? 0) > 0, 'EACCES');
    t.equal(m.reload.code, 0, `reload during the flood works: ${m.reload.out.slice(0, 300)}`);
    t.equal(m.during.code, 0, 'ulvsadm -L -n answers during the flood');
    t.ok(m.vipAdded, 'the reload added a VIP (ip spawned) during the flood');

    const ctl = await cb.stressCase('control socket flood by root', async () => {
      const flood = run(floodArgv('connect', 'unix', cb.sock, '3000', '5000'), { netns: cb.bed.ns('a'), timeoutMs: 30000 });
      await new Promise((r) => setTimeout(r, 1500));
      const during = await cb.ulvsadm();
      return { flood: JSON.parse((await flood).stdout || '{}'), during };
    });
    check(ctl, 'control socket flood');
    const c = ctl.detail as { flood: { connects: number }; during: { code: number; out: string } };
    t.ok(c.flood.connects > 100, `root opened ${c.flood.connects} connections to the control socket`);
    t.equal(c.during.code, 0, `ulvsadm -L -n answers during the flood: ${c.during.out.slice(0, 200)}`);

    const pipe = await cb.stressCase('pipelined unread requests', async () => {
      const r = await run(floodArgv('pipeline', 'unix', cb.sock, '200000', '4000'), { netns: cb.bed.ns('a'), timeoutMs: 30000 });
      return JSON.parse(r.stdout || '{}');
    });
    check(pipe, 'pipelined requests');
    t.ok(
      pipe.rssKiB.peak - pipe.rssKiB.before < 256 * 1024,
      `RSS grew ${Math.round((pipe.rssKiB.peak - pipe.rssKiB.before) / 1024)} MiB (< 256 MiB) for 200k unread requests`,
    );
  },
);
