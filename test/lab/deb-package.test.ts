// lab: global — installs and removes the Debian package on the host (dpkg's database, /usr/bin,
// /lib/systemd/system, /etc/default): keep it serial.
// scripts/build-deb.mjs builds ulvs_<version>_<arch>.deb; `dpkg -i` installs commands that work, a unit
// that passes `systemd-analyze verify` and the conffile, and starts or enables nothing; `dpkg -r` removes
// every file but the conffile, `dpkg --purge` that too; the /usr/local/bin links of setup are untouched.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers/cli.js';

const sh = (argv: string[], opts: { cwd?: string } = {}): { status: number; out: string } => {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    cwd: opts.cwd ?? '/',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 60000,
  });
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
};
const installed = (): string => sh(['dpkg-query', '-W', '-f=${db:Status-Status}', 'ulvs']).out.trim();
const skip =
  (process.getuid?.() !== 0 && 'needs root (dpkg -i)') ||
  (!existsSync(path.join(ROOT, 'dist/cli/ulvs.js')) && 'needs dist/ (npx tsc -p tsconfig.build.json)') ||
  (!existsSync(path.join(ROOT, 'build/Release/ulvs_native.node')) && 'the native addon is not built') ||
  (sh(['dpkg-query', '-W', 'ulvs']).status === 0 && 'a ulvs package is installed on this host: not touching it');

const links = (): string[] =>
  ['ulvs', 'ulvsadm', 'ulvs-keepalived'].map((n) => {
    const p = path.join('/usr/local/bin', n);
    try {
      return lstatSync(p).isSymbolicLink() ? `${n} -> ${readlinkSync(p)}` : `${n}: a file`;
    } catch {
      return `${n}: absent`;
    }
  });

t.test('the Debian package installs, works and removes cleanly', { skip, timeout: 120000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-deb-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.teardown(() => {
    if (sh(['dpkg-query', '-W', 'ulvs']).status === 0) sh(['dpkg', '--purge', 'ulvs']);
  });
  const linksBefore = links();
  const built = sh([process.execPath, path.join(ROOT, 'scripts/build-deb.mjs'), '--out', dir], { cwd: ROOT });
  if (!t.equal(built.status, 0, 'build-deb.mjs builds the package')) {
    t.comment(built.out);
    return;
  }
  const deb = built.out.trim().split('\n').pop()!;
  t.match(path.basename(deb), /^ulvs_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/, 'named ulvs_<version>_<arch>.deb');
  const info = sh(['dpkg-deb', '-f', deb, 'Depends']).out;
  t.match(info, /nodejs \(>= 20\)/, 'depends on nodejs >= 20');
  t.match(info, /iptables/, 'and on iptables');
  const owners = sh(['dpkg-deb', '-c', deb])
    .out.split('\n')
    .filter(Boolean)
    .filter((l) => !/ root\/root /.test(l));
  t.same(owners, [], 'every file is owned by root');

  const inst = sh(['dpkg', '-i', deb]);
  if (!t.equal(inst.status, 0, 'dpkg -i installs it')) {
    t.comment(inst.out);
    return;
  }
  const files = sh(['dpkg-query', '-L', 'ulvs'])
    .out.split('\n')
    .filter((f) => f.startsWith('/'));
  for (const f of [
    '/usr/bin/ulvs',
    '/usr/bin/ulvsadm',
    '/usr/bin/ulvs-keepalived',
    '/lib/systemd/system/ulvs.service',
    '/etc/default/ulvs',
    '/usr/lib/ulvs/build/Release/ulvs_native.node',
  ]) {
    t.ok(files.includes(f), `the package ships ${f}`);
  }
  t.notOk(
    files.some((f) => f.startsWith('/usr/lib/ulvs/node_modules/tap') || f.startsWith('/usr/lib/ulvs/node_modules/typescript')),
    'no development dependency is shipped',
  );
  const version = sh(['/usr/bin/ulvs', '--version']);
  t.equal(version.status, 0, '/usr/bin/ulvs --version exits 0');
  t.match(version.out, /0\.1\.0/, `and prints the version: ${version.out.trim()}`);
  const adm = sh(['/usr/bin/ulvsadm', '-h']);
  t.equal(adm.status, 0, '/usr/bin/ulvsadm -h exits 0');
  t.match(adm.out, /ulvsadm|ipvsadm/i, 'and prints its usage');
  const check = sh(['/usr/bin/ulvs', 'check-config', '-f', '/usr/share/doc/ulvs/examples/lvs-nat.conf']);
  t.equal(check.status, 0, `the installed program reads the shipped example (native addon and node_modules in place): ${check.out.trim()}`);
  const kv = sh(['/usr/bin/ulvs-keepalived', '-v']);
  t.equal(kv.status, 0, '/usr/bin/ulvs-keepalived -v exits 0');
  const verify = sh(['systemd-analyze', 'verify', '/lib/systemd/system/ulvs.service']);
  t.equal(verify.status, 0, `systemd-analyze verify passes on the installed unit ${verify.out}`);
  t.notMatch(verify.out, /Unknown key|Unknown section|not executable|No such file/, 'without complaints');
  t.match(sh(['dpkg-query', '-W', '-f=${Conffiles}', 'ulvs']).out, /\/etc\/default\/ulvs/, '/etc/default/ulvs is a conffile');
  t.notOk(existsSync('/etc/systemd/system/multi-user.target.wants/ulvs.service'), 'installing enabled nothing');

  const rm = sh(['dpkg', '-r', 'ulvs']);
  t.equal(rm.status, 0, `dpkg -r removes it ${rm.status ? rm.out : ''}`);
  t.equal(installed(), 'config-files', 'only the conffile is left after -r');
  const present = (f: string): boolean => {
    try {
      lstatSync(f);
      return true;
    } catch {
      return false;
    }
  };
  const isDir = (f: string): boolean => {
    try {
      return statSync(f).isDirectory();
    } catch {
      return false;
    }
  }; // /lib -> usr/lib too
  const left = files.filter((f) => f !== '/etc/default/ulvs' && present(f) && !isDir(f));
  t.same(left, [], 'every file of the package is gone');
  t.notOk(existsSync('/usr/lib/ulvs'), '/usr/lib/ulvs is gone');
  t.ok(existsSync('/etc/default/ulvs'), '/etc/default/ulvs stays until purge');
  const purge = sh(['dpkg', '--purge', 'ulvs']);
  t.equal(purge.status, 0, 'dpkg --purge purges it');
  t.notOk(existsSync('/etc/default/ulvs'), 'purge removes /etc/default/ulvs');
  t.not(sh(['dpkg-query', '-W', 'ulvs']).status, 0, 'dpkg knows the package no more');
  const state = '/var/lib/systemd/deb-systemd-helper-enabled';
  t.same(existsSync(state) ? sh(['find', state, '-name', '*ulvs*']).out.trim() : '', '', 'no deb-systemd-helper state is left');
  t.same(links(), linksBefore, 'the /usr/local/bin links of scripts/setup.mjs are as they were');
});
