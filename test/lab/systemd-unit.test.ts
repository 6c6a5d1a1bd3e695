// The systemd unit (examples/systemd/ulvs.service) passes `systemd-analyze verify`, and the program its
// ExecStart runs speaks the notify protocol a Type=notify unit needs: READY=1 once the VIPs are managed,
// RELOADING=1 then READY=1 on HUP, STOPPING=1 on TERM (read from $NOTIFY_SOCKET as systemd would).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { REPO, VrrpBed, bedId, ensureDist } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;
const unit = path.join(REPO, 'examples/systemd/ulvs.service');

t.test('examples/systemd/ulvs.service passes systemd-analyze verify', async (t) => {
  const text = readFileSync(unit, 'utf8');
  t.match(text, /^Type=notify$/m);
  t.match(text, /^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW$/m, 'only CAP_NET_ADMIN and CAP_NET_RAW');
  t.match(text, /^ExecStart=\/usr\/bin\/ulvs-keepalived --dont-fork \$DAEMON_ARGS$/m, "Debian's keepalived.service ExecStart with one word changed");
  const which = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' });
  if (which.status !== 0) {
    t.fail('systemd-analyze is not installed (apt-get install systemd)');
    return;
  }
  // From a checkout the command is linked in /usr/local/bin (scripts/setup.mjs); the package puts it in /usr/bin.
  const local = t.testdir({ 'ulvs.service': text.replace('/usr/bin/ulvs-keepalived', path.join(REPO, 'bin/ulvs-keepalived.mjs')) });
  const r = spawnSync('systemd-analyze', ['verify', path.join(local, 'ulvs.service')], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, /Unknown key|Unknown section|not executable/, r.stderr);
});

t.test('the supervisor speaks sd_notify: READY, RELOADING, STOPPING', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('sd'), [{ name: 'n1', addrs: ['10.0.8.11/24'] }]);
  t.teardown(() => bed.down());
  const conf = bed.file(
    'keepalived.conf',
    'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 81\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n    10.0.8.100/24\n  }\n}\n',
  );
  const sock = path.join(bed.dir, 'notify.sock');
  const got = path.join(bed.dir, 'notify.log');
  writeFileSync(got, '');
  // systemd's side: an AF_UNIX datagram socket; every message is appended as one line.
  const listener = spawn(
    'python3',
    [
      '-c',
      `import socket,sys\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\ns.bind(${JSON.stringify(sock)})\nprint('bound',flush=True)\nwhile True:\n  m=s.recv(4096).decode()\n  open(${JSON.stringify(got)},'a').write(m.replace('\\n',' ')+'\\n')\n`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    if (listener.exitCode === null) listener.kill('SIGKILL');
  });
  await new Promise((r) => listener.stdout!.once('data', r));
  const pid = (n: string): string => path.join(bed.dir, n);
  const s = bed.spawn(
    'n1',
    [process.execPath, path.join(REPO, 'bin/ulvs-keepalived.mjs'), '--dont-fork', '-l', '-f', conf, '-p', pid('k.pid'), '-r', pid('v.pid'), '-c', pid('c.pid')],
    { ...process.env, NOTIFY_SOCKET: sock, ULVS_TMP_DIR: bed.dir },
  );
  const lines = (): string[] => readFileSync(got, 'utf8').split('\n').filter(Boolean);
  if (!t.ok(await bed.until(() => lines().some((l) => /READY=1/.test(l)), 15000), 'READY=1 after start')) t.comment(s.out.join('\n'));
  process.kill(s.pid, 'SIGHUP');
  t.ok(await bed.until(() => lines().some((l) => /RELOADING=1/.test(l)), 10000), 'RELOADING=1 on HUP');
  t.ok(await bed.until(() => lines().filter((l) => /READY=1/.test(l)).length >= 2, 10000), 'READY=1 again after the reload');
  process.kill(s.pid, 'SIGTERM');
  t.ok(await bed.until(() => lines().some((l) => /STOPPING=1/.test(l)), 10000), 'STOPPING=1 on TERM');
  t.equal(await Promise.race([s.exited, new Promise<number>((r) => setTimeout(() => r(-1), 10000))]), 0, 'the supervisor exits 0');
});
