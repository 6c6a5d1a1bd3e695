// keepalived users' first contact: the daemon started with only the file (`ulvs run -f FILE`, a
// VRRP-only config: no --iface, no --backend), keepalived's signals (USR1/USR2/JSON dumps, HUP, TERM),
// a signal storm, no inspector port, and the supervisor (`ulvs keepalived -n -l -f FILE`) cleaning up
// after kill -9 of the daemon so no VIP is left behind.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { REPO, VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const VIP = '10.0.7.100';
const conf = `global_defs {
    router_id LVS_DROPIN
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 71
    priority 150
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;

t.test('ulvs run -f FILE alone: keepalived signals, dumps, storm, TERM', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('ds'), [{ name: 'n1', addrs: ['10.0.7.11/24'] }]);
  t.teardown(() => bed.down());
  const f = bed.file('keepalived.conf', conf);
  const env = { ...process.env, ULVS_TMP_DIR: bed.dir };
  const d = bed.spawn('n1', [process.execPath, path.join(REPO, 'bin/ulvs.mjs'), 'run', '-f', f], env);
  if (!t.ok(await bed.until(() => bed.holds('n1', VIP), 10000), 'the MASTER holds the VIP with only -f given')) t.comment(d.out.join('\n'));
  const dump = (n: string): string => (existsSync(path.join(bed.dir, n)) ? readFileSync(path.join(bed.dir, n), 'utf8') : '');
  process.kill(d.pid, 'SIGUSR1');
  t.ok(await bed.until(() => /VI_1/.test(dump('keepalived.data')), 5000), 'SIGUSR1 writes keepalived.data naming the instance');
  process.kill(d.pid, 'SIGUSR2');
  t.ok(await bed.until(() => /VI_1/.test(dump('keepalived.stats')), 5000), 'SIGUSR2 writes keepalived.stats naming the instance');
  process.kill(d.pid, 36);
  t.ok(await bed.until(() => /VI_1/.test(dump('keepalived.json')), 5000), 'signal 36 (keepalived --signum=JSON) writes keepalived.json');
  t.doesNotThrow(() => JSON.parse(dump('keepalived.json')), 'keepalived.json is JSON');
  const listening = (await run(['ss', '-Hltn'], { netns: bed.ns('n1') })).stdout;
  t.notMatch(listening, /:9229\b/, 'no signal opened a debugger port');
  for (let i = 0; i < 300; i++) for (const s of ['SIGUSR1', 'SIGUSR2', 'SIGHUP'] as const) process.kill(d.pid, s);
  await new Promise((r) => setTimeout(r, 1500));
  t.equal(d.child.exitCode, null, 'a storm of 900 USR1/USR2/HUP kills nothing');
  t.ok(await bed.holds('n1', VIP), 'and the MASTER still holds the VIP');
  process.kill(d.pid, 'SIGTERM');
  t.equal(await Promise.race([d.exited, new Promise<number>((r) => setTimeout(() => r(-1), 8000))]), 0, 'TERM stops with exit 0');
  t.notOk(await bed.holds('n1', VIP), 'TERM removed the VIP');
});

t.test('ulvs keepalived -n -l -f FILE: kill -9 of the daemon leaves no VIP behind, then it comes back', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('dk'), [{ name: 'n1', addrs: ['10.0.7.11/24'] }]);
  t.teardown(() => bed.down());
  const f = bed.file('keepalived.conf', conf);
  const pid = (n: string): string => path.join(bed.dir, n);
  const env = { ...process.env, ULVS_TMP_DIR: bed.dir };
  const s = bed.spawn(
    'n1',
    [process.execPath, path.join(REPO, 'bin/ulvs.mjs'), 'keepalived', '-n', '-l', '-f', f, '-p', pid('k.pid'), '-r', pid('v.pid'), '-c', pid('c.pid')],
    env,
  );
  t.teardown(() => {
    rmSync(pid('k.pid'), { force: true });
  });
  if (!t.ok(await bed.until(() => bed.holds('n1', VIP), 10000), 'the supervised MASTER holds the VIP')) t.comment(s.out.join('\n'));
  const child = Number(readFileSync(pid('v.pid'), 'utf8').trim());
  t.ok(child > 0 && child !== s.pid, 'the vrrp pid file names the daemon, not the supervisor');
  process.kill(child, 'SIGKILL');
  const gone = await bed.until(async () => !(await bed.holds('n1', VIP)), 5000);
  t.ok(gone, 'after kill -9 of the daemon the supervisor removed the VIP');
  t.ok(await bed.until(() => bed.holds('n1', VIP), 15000), 'the restarted daemon holds the VIP again');
  const again = Number(readFileSync(pid('v.pid'), 'utf8').trim());
  t.not(again, child, 'a new daemon runs');
  await stopProc(s);
  t.equal(s.child.exitCode ?? s.child.signalCode, 0, 'TERM to the supervisor stops it cleanly');
  t.notOk(await bed.holds('n1', VIP), 'and removes the VIP');
});
