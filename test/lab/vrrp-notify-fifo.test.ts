// notify_fifo: keepalived 2.2.7 and `ulvs run -f` go through the same life (BACKUP at start, MASTER when
// the other stops, STOP at their own stop) with a two-instance sync group; each writes its FIFO, and
// the lines (priorities aside) must be the same, in keepalived's format. fifo_write_vrrp_states_on_reload
// makes ulvs repeat its states after SIGHUP.
import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { runOk } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;

const conf = (fifo: string, prio: number): string => `global_defs {
 notify_fifo ${fifo}
 fifo_write_vrrp_states_on_reload
}
vrrp_sync_group G {
 group {
  VI_1
  VI_2
 }
}
${[1, 2]
  .map(
    (n) => `vrrp_instance VI_${n} {
 state BACKUP
 interface eth0
 virtual_router_id ${80 + n}
 priority ${prio}
 advert_int 1
 virtual_ipaddress {
  10.67.0.${100 + n}/24
 }
}`,
  )
  .join('\n')}
`;

/** Starts a reader that copies the FIFO to a file until the last writer closes it. */
async function reader(bed: VrrpBed, name: string): Promise<{ fifo: string; lines: () => string[]; done: Promise<void> }> {
  const fifo = path.join(bed.dir, `${name}.fifo`);
  const out = path.join(bed.dir, `${name}.out`);
  await runOk(['mkfifo', fifo]);
  const c = spawn('sh', ['-c', 'exec cat "$0" > "$1"', fifo, out], { stdio: 'ignore' });
  const done = new Promise<void>((r) => c.on('close', () => r()));
  t.teardown(() => {
    if (c.exitCode === null) c.kill('SIGKILL');
  });
  const lines = (): string[] => {
    try {
      return readFileSync(out, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  return { fifo, lines, done };
}

t.test('notify_fifo lines: ulvs writes what keepalived writes', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('ff'), [
    { name: 'k', addrs: ['10.67.0.1/24'] },
    { name: 'u', addrs: ['10.67.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const kr = await reader(bed, 'k');
  const ur = await reader(bed, 'u');
  const k = bed.keepalived('k', conf(kr.fifo, 200));
  t.ok(await bed.until(() => bed.holds('k', '10.67.0.101'), 8000), 'keepalived MASTER');
  const u = bed.ulvsRun('u', conf(ur.fifo, 100));
  t.ok(await bed.until(() => ur.lines().length >= 3, 8000), `ulvs wrote its BACKUP lines: ${ur.lines().join(' | ')}`);
  await stopProc(k);
  t.ok(await bed.until(() => ur.lines().filter((l) => l.includes('MASTER')).length >= 3, 8000), 'ulvs MASTER after keepalived stopped');

  process.kill(u.pid, 'SIGHUP');
  t.ok(
    await bed.until(() => ur.lines().filter((l) => l.includes('MASTER')).length >= 6, 5000),
    `fifo_write_vrrp_states_on_reload: states written again after SIGHUP: ${ur.lines().join(' | ')}`,
  );
  await stopProc(u);
  await Promise.race([ur.done, new Promise((r) => setTimeout(r, 2000))]);

  const norm = (ls: string[]): string[] => ls.map((l) => l.replace(/ \d+$/, (m) => (m === ' 0' ? ' 0' : ' P')));
  const uLines = norm(ur.lines());
  const reloadLines = uLines.splice(6, 3);
  t.same(
    reloadLines.sort(),
    ['GROUP "G" MASTER 0', 'INSTANCE "VI_1" MASTER P', 'INSTANCE "VI_2" MASTER P'],
    'after SIGHUP: each instance and the group, MASTER',
  );
  const kLines = norm(kr.lines());
  t.ok(kLines.includes('INSTANCE "VI_1" MASTER P') && kLines.includes('GROUP "G" MASTER 0'), `keepalived's lines: ${kLines.join(' | ')}`);
  // Same phases in the same order; within a phase (instances and group at once) the order may differ.
  const phases = (ls: string[]): string[][] => {
    const out: string[][] = [];
    for (const l of ls) {
      const st = l.split(' ')[2];
      const last = out[out.length - 1];
      if (last && last[0]!.split(' ')[2] === st) last.push(l);
      else out.push([l]);
    }
    return out.map((p) => p.sort());
  };
  t.same(phases(uLines), phases(kLines), `ulvs: ${uLines.join(' | ')}`);
});
