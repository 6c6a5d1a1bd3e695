// track_file and vrrp_track_process with keepalived's semantics: the same scenario is run twice, once
// with ulvs (`ulvs run -f`) as the tracking router against keepalived 2.2.7, once the other way round;
// the VIP must move the same way both times: file value × weight raises the priority, a value × weight
// below -253 means FAULT. A missing process (weight 0) means FAULT: shown for ulvs only, since
// keepalived's proc connector cannot listen from a network namespace ("process event listen - errno 111").
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { VrrpBed, bedId, ensureDist, stopProc, type BedProc } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;
const VIP = '10.69.0.100';

const conf = (prio: number, tracked?: { file: string; proc?: string }): string => `${
  tracked
    ? `track_file tf {
 file ${tracked.file}
 weight 10
 init_file 0 overwrite
}
`
    : ''
}${
  tracked?.proc
    ? `vrrp_track_process tp {
 process ${tracked.proc}
 weight 0
}
`
    : ''
}vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 95
 priority ${prio}
 version 3
 advert_int 0.25
 virtual_ipaddress {
  ${VIP}/24
 }
${tracked ? ' track_file {\n  tf\n }\n' : ''}${tracked?.proc ? ' track_process {\n  tp\n }\n' : ''}}
`;

for (const tracker of ['ulvs', 'keepalived'] as const) {
  t.test(`${tracker} tracks a file and a process`, { skip: !root && 'needs root' }, async (t) => {
    await ensureDist();
    const bed = await VrrpBed.up(bedId(tracker === 'ulvs' ? 'tu' : 'tk'), [
      { name: 't', addrs: ['10.69.0.1/24'] },
      { name: 'x', addrs: ['10.69.0.2/24'] },
    ]);
    t.teardown(() => bed.down());
    const file = path.join(bed.dir, 'weight');
    const procName = `ulvsp${bed.id.slice(-6)}`;
    const exe = path.join(bed.dir, procName);
    copyFileSync('/bin/sleep', exe);
    let proc: ChildProcess | undefined;
    const startProc = (): void => {
      proc = spawn(exe, ['600'], { stdio: 'ignore' });
    };
    const killProc = (): void => {
      if (proc?.pid) process.kill(proc.pid, 'SIGKILL');
      proc = undefined;
    };
    t.teardown(killProc);
    startProc();
    const trackedConf = conf(100, tracker === 'ulvs' ? { file, proc: procName } : { file });
    const run = (n: string, text: string, who: 'ulvs' | 'keepalived'): BedProc => (who === 'ulvs' ? bed.ulvsRun(n, text) : bed.keepalived(n, text));
    const other = tracker === 'ulvs' ? 'keepalived' : 'ulvs';
    const x = run('x', conf(150), other);
    const tr = run('t', trackedConf, tracker);
    const holder = async (): Promise<string> => `${(await bed.holds('t', VIP)) ? 't' : ''}${(await bed.holds('x', VIP)) ? 'x' : ''}`;
    const expect = async (want: string, what: string): Promise<void> => {
      if (!t.ok(await bed.until(async () => (await holder()) === want, 8000), what)) t.comment([`holder ${await holder()}`, ...tr.out.slice(-12)].join('\n'));
    };
    await expect('x', 'file 0, process running: the untracked router (150) is master over 100');
    // The tracker has started once init_file created the file; a write before that would be overwritten
    // by 'init_file 0 overwrite' (the untracked router is master at once, so the line above does not wait).
    t.ok(await bed.until(async () => existsSync(file), 10000), `${tracker} wrote init_file's 0`);
    writeFileSync(file, '10\n');
    await expect('t', 'file 10 × weight 10: priority 200 preempts');
    if (tracker === 'ulvs') {
      killProc();
      await expect('x', 'tracked process gone (weight 0): FAULT, the VIP moves back');
      startProc();
      await expect('t', 'process back: priority 200 again, master');
    }
    writeFileSync(file, '-30\n');
    await expect('x', 'file -30 × 10 is below -253: FAULT');
    await stopProc(tr);
    await stopProc(x);
  });
}
