// keepalived's -s NAME (--namespace) through `ulvs keepalived`: the supervisor stays in the root network
// namespace (where systemd sees it) and runs the daemon in NAME; the pid files go where keepalived 2.2.7
// puts them under -s (/run/keepalived/keepalived_NAME/); after kill -9 of the daemon the VIP is removed
// in NAME (not here) and the daemon restarted there; TERM removes the pid files. keepalived.conf's
// `net_namespace NAME` does the same without -s.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { REPO, VrrpBed, bedId, ensureDist } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;
const VIP = '10.0.8.100';
const conf = `vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 72
    priority 150
    advert_int 1
    virtual_ipaddress {
        ${VIP}/24
    }
}
`;

const pidIn = (file: string): number => (existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : 0);
const netOf = (pid: number): string => {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
};

t.test('ulvs keepalived -n -s NAME: the daemon runs in NAME, is cleaned up and restarted there', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('dn'), [{ name: 'n1', addrs: ['10.0.8.11/24'] }]);
  t.teardown(() => bed.down());
  const ns = bed.ns('n1');
  const f = bed.file('keepalived.conf', conf);
  const out: string[] = [];
  const sup = spawn(process.execPath, [path.join(REPO, 'bin/ulvs-keepalived.mjs'), '-n', '-l', '-s', ns, '-f', f], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [sup.stdout, sup.stderr]) s.on('data', (b: Buffer) => out.push(b.toString()));
  const exited = new Promise<number>((r) => sup.on('close', (c) => r(c ?? 137)));
  t.teardown(() => {
    if (sup.exitCode === null) sup.kill('SIGKILL');
  });
  const dir = `/run/keepalived/keepalived_${ns}`;
  if (!t.ok(await bed.until(() => bed.holds('n1', VIP), 10000), 'the MASTER in NAME holds the VIP')) t.comment(out.join(''));
  t.equal(pidIn(`${dir}/keepalived.pid`), sup.pid, 'the supervisor pid in /run/keepalived/keepalived_NAME/keepalived.pid');
  const child = pidIn(`${dir}/vrrp.pid`);
  t.ok(child > 0 && child !== sup.pid, 'the daemon pid in vrrp.pid');
  t.equal(readlinkSync(`/proc/${child}/ns/net`), `net:[${statSync(`/run/netns/${ns}`).ino}]`, 'the daemon runs in network namespace NAME');
  process.kill(child, 'SIGKILL');
  t.ok(await bed.until(async () => !(await bed.holds('n1', VIP)), 5000), 'after kill -9 of the daemon its VIP is removed in NAME');
  t.ok(await bed.until(() => pidIn(`${dir}/vrrp.pid`) !== child && pidIn(`${dir}/vrrp.pid`) > 0, 8000), 'a new daemon is started');
  sup.kill('SIGTERM');
  t.equal(await exited, 0, 'TERM: the supervisor exits 0');
  t.notOk(await bed.holds('n1', VIP), 'the VIP is released');
  t.notOk(existsSync(dir), 'the pid files and their directory are removed');

  // keepalived.conf's net_namespace NAME does the same without -s.
  const f2 = bed.file('ns.conf', `net_namespace ${ns}\n${conf}`);
  const sup2 = spawn(process.execPath, [path.join(REPO, 'bin/ulvs-keepalived.mjs'), '-n', '-l', '-f', f2], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out2: string[] = [];
  for (const s of [sup2.stdout, sup2.stderr]) s.on('data', (b: Buffer) => out2.push(b.toString()));
  const exited2 = new Promise<number>((r) => sup2.on('close', (c) => r(c ?? 137)));
  t.teardown(() => {
    if (sup2.exitCode === null) sup2.kill('SIGKILL');
  });
  const nsIno = `net:[${statSync(`/run/netns/${ns}`).ino}]`;
  const child2 = (): number => pidIn(`${dir}/vrrp.pid`);
  if (!t.ok(await bed.until(() => netOf(child2()) === nsIno, 8000), 'net_namespace NAME: the daemon runs in NAME')) t.comment(out2.join(''));
  t.equal(pidIn(`${dir}/keepalived.pid`), sup2.pid, 'with the pid files of -s NAME');
  sup2.kill('SIGTERM');
  t.equal(await exited2, 0);
});
