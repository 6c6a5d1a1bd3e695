// The README's main job: `ulvs lab demo` sends traffic through the VIP in DR, NAT and TUN, then hands
// the VIP over between two directors running the daemon with VRRP; every request is answered and the
// lab is gone afterwards.
import t from 'tap';
import { listNetns } from '../../src/lab/netns.js';
import { uniqueLabId, Lab } from '../../src/lab/lab.js';
import { runCli } from '../helpers/cli.js';

t.test('ulvs lab demo', { skip: process.getuid?.() !== 0 && 'needs root (network namespaces)' }, async (t) => {
  const id = uniqueLabId();
  t.teardown(() => Lab.destroy(id));
  const r = runCli(['lab', 'demo', '--id', id], { timeoutMs: 180000 });
  t.equal(r.status, 0, r.stderr);
  for (const mode of ['DR', 'NAT', 'TUN']) t.match(r.stdout, new RegExp(`== ${mode} `), `${mode} section`);
  const counts = r.stdout.match(/per real server: rs\d=\d+ {2}rs\d=\d+ {2}rs\d=\d+/g) ?? [];
  t.equal(counts.length, 3, 'each mode spread its requests over the three real servers');
  t.match(r.stdout, /lb1 is MASTER \(priority 150\), lb2 is BACKUP \(priority 100\); the VIP is on lb1/);
  t.match(r.stdout, /lb2 is MASTER; the VIP is on lb2/, 'the backup took the VIP over');
  t.match(r.stdout, /demo complete: every request was answered/);
  t.notMatch(r.stdout, /FAILED/);
  t.same(
    (await listNetns()).filter((n) => n.startsWith(`ulvs-${id}-`)),
    [],
    'the lab is gone',
  );
});
