// `ulvs keepalived` and `ulvs run`: keepalived 2.2's command line — unknown flags exit 2 naming the flag,
// flags keepalived takes and ulvs does not act on are accepted with a warning, --signum prints keepalived's
// numbers, -t checks a file and exits 0 when it is valid and 5 (as keepalived 2.2.7) when not.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';

const bin = new URL('../../bin/ulvs.mjs', import.meta.url).pathname;
const ulvs = (...args: string[]) => spawnSync(process.execPath, [bin, 'keepalived', ...args], { encoding: 'utf8' });
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'run', ...args], { encoding: 'utf8' });

t.test('unknown flags: exit 2, naming the flag; ambiguous prefixes name the candidates', async (t) => {
  const r = ulvs('--bogus');
  t.equal(r.status, 2);
  t.match(r.stderr, /--bogus/);
  const d = ulvs('--dont');
  t.equal(d.status, 2);
  t.match(d.stderr, /ambiguous.*--dont-fork/);
});

t.test("--signum prints keepalived's signal numbers; -v keepalived's version line", async (t) => {
  const v = ulvs('-v');
  t.equal(v.status, 0);
  t.match(v.stderr, /^Keepalived v2\.2\.7 \(ulvs /, 'the first line tools parse for the version, on stderr as keepalived prints it');
  for (const [name, n] of [
    ['JSON', '36'],
    ['RELOAD', '1'],
    ['DATA', '10'],
    ['STATS', '12'],
    ['STOP', '15'],
  ])
    t.equal(ulvs(`--signum=${name}`).stdout.trim(), n, name);
});

t.test('-t: exit 0 for a valid file, 5 with file:line for an invalid one; ulvs run -t the same', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-kat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.conf');
  const ifname = readdirSync('/sys/class/net').find((n) => n !== 'lo') ?? 'eth0';
  writeFileSync(
    good,
    `vrrp_instance VI_1 {\n  state MASTER\n  interface ${ifname}\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.9.9.9/32\n  }\n}\n`,
  );
  t.equal(ulvs('-t', '-f', good).status, 0, ulvs('-t', '-f', good).stderr);
  const bad = path.join(dir, 'bad.conf');
  writeFileSync(bad, 'vrrp_instance VI_1 {\n  state MASTER\n  interface lo\n  priority 100\n}\n');
  const r = ulvs('-t', '-f', bad);
  t.equal(r.status, 5);
  t.match(r.stderr, /bad\.conf:\d+/);
  t.equal(run('-t', '-f', good).status, 0, 'ulvs run -t, valid');
  const rr = run('-t', '-f', bad);
  t.equal(rr.status, 5, 'ulvs run -t, invalid');
  t.match(rr.stderr, /bad\.conf:\d+/);
  // keepalived 2.2.7 takes all of these: SNMP, core dump and --all options, prefixes, attached -tFILE.
  const log = path.join(dir, 'ct.log');
  for (const argv of [
    ['-x', '-A', '/x.sock', '-M', '--all', '-e', '-a', '-X', '--use=' + good],
    ['--log-fac=local1', '-lnD', '-f', good],
  ]) {
    t.equal(ulvs('-t', ...argv).status, 0, `ulvs keepalived -t ${argv.join(' ')}`);
    t.equal(run('-t', ...argv).status, 0, `ulvs run -t ${argv.join(' ')}`);
  }
  t.equal(ulvs(`-t${log}`, '-f', bad).status, 5);
  t.match(readFileSync(log, 'utf8'), /bad\.conf:\d+/, '-tFILE writes the report to FILE');
  t.equal(run('--signum=JSON').stdout.trim(), '36', 'ulvs run --signum');
  // Without -n the daemon goes to the background: a file it would refuse is reported before that, not lost.
  const bg = ulvs('-f', bad, '-p', path.join(dir, 'k.pid'));
  t.equal(bg.status, 1, 'forking mode: a bad file exits 1 in the foreground');
  t.match(bg.stderr, /not started.*\n.*bad\.conf:\d+/);
  // keepalived 2.2.7's -t fails (5) for an interface this host does not have; check-config only warns.
  const noIf = path.join(dir, 'noif.conf');
  writeFileSync(noIf, readFileSync(good, 'utf8').replace(`interface ${ifname}`, 'interface ulvs-no-if0'));
  t.equal(ulvs('-t', '-f', noIf).status, 5, '-t: a missing interface fails as in keepalived');
  t.equal(spawnSync(process.execPath, [bin, 'check-config', '-f', noIf]).status, 0, 'check-config: a warning only');
  // net_namespace NAME: 'ulvs run' cannot move itself there, and must not run here in its place.
  const nsConf = path.join(dir, 'ns.conf');
  writeFileSync(nsConf, `net_namespace ulvs-no-such-ns\n${readFileSync(good, 'utf8')}`);
  t.equal(run('-t', '-f', nsConf).status, 0, 'net_namespace is a keyword keepalived -t takes');
  const inRoot = run('-f', nsConf, '--backend', 'none', '--no-metrics');
  t.equal(inRoot.status, 1, 'ulvs run outside the net_namespace refuses to start');
  t.match(inRoot.stderr, /net_namespace ulvs-no-such-ns.*ip netns exec ulvs-no-such-ns/);
});
