// Any local user may bind UDP 3784 (BFD's port) before the daemon: that kept a director with a
// bfd_instance from starting at all ("ulvs run: bind EADDRINUSE 0.0.0.0:3784"). Now it starts, and its
// session comes Up with the peer all the same (the raw receiver reads every control packet).
import path from 'node:path';
import t from 'tap';
import { REPO, VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;
const conf = (self: string, peer: string): string => `bfd_instance b {\n neighbor_ip ${peer}\n source_ip ${self}\n min_rx 100\n min_tx 100\n}\n`;

t.test('a local user holding UDP 3784: the director starts and its BFD session comes Up', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('bq'), [
    { name: 'a', addrs: ['10.0.9.1/24'] },
    { name: 'b', addrs: ['10.0.9.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const squat = bed.spawn('a', [
    'setpriv',
    '--reuid',
    'nobody',
    '--regid',
    'nogroup',
    '--clear-groups',
    '/usr/bin/node',
    '-e',
    "require('dgram').createSocket('udp4').bind(3784, () => console.log('bound'))",
  ]);
  t.teardown(() => stopProc(squat, 'SIGKILL'));
  t.ok(await bed.until(() => squat.out.join('').includes('bound'), 5000), 'nobody holds UDP 3784 in the director namespace');
  const ulvs = (n: string, self: string, peer: string) =>
    bed.spawn(n, [process.execPath, path.join(REPO, 'bin/ulvs.mjs'), 'run', '-f', bed.file(`${n}.conf`, conf(self, peer)), '--no-metrics'], {
      ...process.env,
      ULVS_TMP_DIR: bed.dir,
    });
  const a = ulvs('a', '10.0.9.1', '10.0.9.2');
  const b = ulvs('b', '10.0.9.2', '10.0.9.1');
  t.teardown(() => Promise.all([stopProc(a), stopProc(b)]));
  const up = await bed.until(() => /bfd_instance b: \w+ -> Up/.test(a.out.join('')), 10000);
  if (!t.ok(up, 'the squatted director runs and its session is Up')) t.comment(a.out.join(''));
  t.match(a.out.join(''), /BFD port 3784 \(IPv4\) is held by another process/, 'it says why it reads from the raw socket only');
  t.equal(a.child.exitCode, null, 'still running');
});
