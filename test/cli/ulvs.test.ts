// `ulvs` dispatcher: help, unknown commands and options print usage and exit 2; lab refuses without root.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ROOT, runCli } from '../helpers/cli.js';

t.test('--help lists the subcommands and exits 0', async (t) => {
  const r = runCli(['--help']);
  t.equal(r.status, 0);
  for (const c of ['run', 'check-config', 'replay', 'lab', 'realserver']) t.match(r.stdout, new RegExp(`\\n  ${c} `));
});

t.test('no command prints usage on stderr and exits 2', async (t) => {
  const r = runCli([]);
  t.equal(r.status, 2);
  t.match(r.stderr, /^usage: ulvs <command>/);
});

t.test('an unknown command names it, prints usage, exits 2', async (t) => {
  const r = runCli(['frobnicate']);
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown command 'frobnicate'/);
  t.match(r.stderr, /usage: ulvs/);
});

t.test('an unknown option of a command prints its usage and exits 2', async (t) => {
  const r = runCli(['lab', 'status', '--bogus']);
  t.equal(r.status, 2);
  t.match(r.stderr, /Unknown option '--bogus'/);
  t.match(r.stderr, /usage: ulvs lab up/);
});

t.test('lab up --ecmp takes threshold or resilient and nothing else', async (t) => {
  const r = runCli(['lab', 'up', '--ecmp=roundrobin']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--ecmp takes threshold or resilient, not 'roundrobin'/);
  t.match(runCli(['lab', 'up', '--ecmp', 'sideways']).stderr, /unexpected argument 'sideways'/);
});

t.test('an unknown lab action prints usage and exits 2', async (t) => {
  const r = runCli(['lab', 'sideways']);
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown action 'sideways'/);
});

t.test('lab without CAP_NET_ADMIN says root is needed in one sentence', { skip: process.getuid?.() !== 0 && 'needs root to drop capabilities' }, async (t) => {
  // Root with CAP_NET_ADMIN and CAP_NET_RAW removed from the bounding set: the files stay readable
  // wherever the checkout lives, and the capability check is what is exercised.
  const r = spawnSync('setpriv', ['--bounding-set=-net_admin,-net_raw', '--', process.execPath, `${ROOT}/bin/ulvs.mjs`, 'lab', 'status'], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /^ulvs lab: ulvs lab needs root \(or CAP_NET_ADMIN and CAP_NET_RAW\)/);
  t.notOk(r.stderr.includes(`${ROOT}/dist/`) || r.stderr.includes(`${ROOT}/src/`), 'no stack trace from ulvs');
});

t.test('a bad --afp-ring value prints usage and exits 2', async (t) => {
  const r = runCli(['run', '-f', '/nonexistent/keepalived.conf', '--afp-ring', '4']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--afp-ring must be 2 or 3, not '4'/);
});

t.test('a bad realserver --decap value prints usage and exits 2', async (t) => {
  const r = runCli(['realserver', 'decap', '--decap', 'kernel']);
  t.equal(r.status, 2);
  t.match(r.stderr, /--decap must be auto, xdp or userspace, not 'kernel'/);
  t.match(r.stderr, /usage: ulvs realserver/);
});
