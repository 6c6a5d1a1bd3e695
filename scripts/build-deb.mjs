#!/usr/bin/env node
// Builds the Debian package ulvs_<version>_<arch>.deb from a set-up checkout (dist/ and the native
// addon built: node scripts/setup.mjs) with `dpkg-deb --root-owner-group --build`:
//   /usr/lib/ulvs/{bin,dist,ui,build/Release/ulvs_native.node,node_modules (production only),package.json}
//   /usr/bin/ulvs, /usr/bin/ulvsadm, /usr/bin/ulvs-keepalived   (links into /usr/lib/ulvs/bin)
//   /lib/systemd/system/ulvs.service   (examples/systemd/ulvs.service, also reading /etc/default/ulvs)
//   /etc/default/ulvs                  (a conffile: DAEMON_ARGS)
//   /usr/share/doc/ulvs/{README.md,examples/}
// Maintainer scripts follow dh_installsystemd's deb-systemd-helper pattern but never enable or start
// the unit on a fresh install (it takes VIPs and netfilter rules; keepalived may hold the same ones)
// and do nothing systemd-related where systemd is not running (containers, CI).
// Usage: node scripts/build-deb.mjs [--out DIR]   (default DIR: build/deb); prints the .deb's path.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outArg = process.argv.indexOf('--out');
const outDir = path.resolve(outArg > 0 ? process.argv[outArg + 1] : path.join(root, 'build/deb'));
const die = (m) => {
  process.stderr.write(`build-deb: ${m}\n`);
  process.exit(1);
};
const sh = (argv, opts = {}) => {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: root, ...opts });
  if (r.status !== 0) die(`'${argv.join(' ')}' failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
};

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const arch = sh(['dpkg', '--print-architecture']).trim();
const addon = path.join(root, 'build/Release/ulvs_native.node');
if (!existsSync(path.join(root, 'dist/cli/ulvs.js'))) die("dist/ is not built: run 'node scripts/setup.mjs' (or 'npm run build') first");
if (!existsSync(addon)) die("the native addon is not built: run 'node scripts/setup.mjs' first");

const stage = mkdtempSync(path.join(os.tmpdir(), 'ulvs-deb-'));
try {
  const lib = path.join(stage, 'usr/lib/ulvs');
  mkdirSync(path.join(lib, 'build/Release'), { recursive: true });
  for (const d of ['bin', 'dist', 'ui']) cpSync(path.join(root, d), path.join(lib, d), { recursive: true });
  cpSync(addon, path.join(lib, 'build/Release/ulvs_native.node'));
  writeFileSync(
    path.join(lib, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, type: pkg.type, dependencies: pkg.dependencies }, null, 2) + '\n',
  );
  // The production dependency tree as npm resolved it in this checkout (no download, no install script).
  const prod = sh(['npm', 'ls', '--omit=dev', '--all', '--parseable'])
    .trim()
    .split('\n')
    .filter((p) => p.startsWith(path.join(root, 'node_modules') + '/'));
  for (const p of prod) {
    const rel = path.relative(root, p);
    if (prod.some((q) => q !== p && p.startsWith(q + '/'))) continue; // copied with its parent
    cpSync(p, path.join(lib, rel), { recursive: true, dereference: true });
  }
  mkdirSync(path.join(stage, 'usr/bin'), { recursive: true });
  for (const name of ['ulvs', 'ulvsadm', 'ulvs-keepalived']) symlinkSync(`../lib/ulvs/bin/${name}.mjs`, path.join(stage, 'usr/bin', name));

  const unitDir = path.join(stage, 'lib/systemd/system');
  mkdirSync(unitDir, { recursive: true });
  const unit = readFileSync(path.join(root, 'examples/systemd/ulvs.service'), 'utf8').replace(
    /^EnvironmentFile=-\/etc\/default\/keepalived$/m,
    'EnvironmentFile=-/etc/default/keepalived\nEnvironmentFile=-/etc/default/ulvs',
  );
  if (!unit.includes('/etc/default/ulvs')) die('examples/systemd/ulvs.service has no EnvironmentFile=-/etc/default/keepalived line to extend');
  writeFileSync(path.join(unitDir, 'ulvs.service'), unit);
  mkdirSync(path.join(stage, 'etc/default'), { recursive: true });
  writeFileSync(
    path.join(stage, 'etc/default/ulvs'),
    `# Options for ulvs-keepalived (keepalived's command line, see 'ulvs-keepalived --help'), read by
# ulvs.service after /etc/default/keepalived: set DAEMON_ARGS here to override keepalived's.
#DAEMON_ARGS=""
`,
  );
  const doc = path.join(stage, 'usr/share/doc/ulvs');
  mkdirSync(doc, { recursive: true });
  cpSync(path.join(root, 'README.md'), path.join(doc, 'README.md'));
  cpSync(path.join(root, 'examples'), path.join(doc, 'examples'), { recursive: true });

  const deb = path.join(stage, 'DEBIAN');
  mkdirSync(deb);
  const kb = Number(sh(['du', '-sk', '--exclude=DEBIAN', stage]).split('\t')[0]);
  writeFileSync(
    path.join(deb, 'control'),
    `Package: ulvs
Version: ${pkg.version}
Architecture: ${arch}
Maintainer: ulvs developers <root@localhost>
Installed-Size: ${kb}
Depends: nodejs (>= 20), iptables, iproute2
Section: net
Priority: optional
Description: userspace IPVS-style layer-4 load balancer with VRRP
 ulvs reads keepalived.conf as it is and speaks ipvsadm's command line
 (ulvsadm); ulvs-keepalived takes keepalived's options, so a keepalived
 unit or entrypoint switches by one word. For hosts without kernel IPVS.
`,
  );
  writeFileSync(path.join(deb, 'conffiles'), '/etc/default/ulvs\n');
  const script = (name, body) => {
    writeFileSync(path.join(deb, name), `#!/bin/sh\nset -e\n${body}\nexit 0\n`);
  };
  script(
    'postinst',
    `# dh_installsystemd's pattern, without enabling or starting the unit on a fresh install.
if [ "$1" = configure ] || [ "$1" = abort-upgrade ] || [ "$1" = abort-deconfigure ] || [ "$1" = abort-remove ]; then
  if [ -x /usr/bin/deb-systemd-helper ]; then
    # An admin's 'systemctl enable ulvs' survives upgrades; otherwise only the state is recorded
    # (was-enabled alone says yes when there is no state yet: a first install).
    if deb-systemd-helper debian-installed ulvs.service && deb-systemd-helper --quiet was-enabled ulvs.service; then
      deb-systemd-helper enable ulvs.service >/dev/null || true
    else
      deb-systemd-helper update-state ulvs.service >/dev/null || true
    fi
  fi
  if [ -d /run/systemd/system ]; then
    systemctl --system daemon-reload >/dev/null || true
    # An upgrade (a previous version in $2) restarts a running service, outside containers only.
    in_container=no
    if command -v systemd-detect-virt >/dev/null && systemd-detect-virt --quiet --container; then in_container=yes; fi
    if [ -n "$2" ] && [ $in_container = no ] && systemctl --quiet is-active ulvs.service; then
      deb-systemd-invoke restart ulvs.service >/dev/null || true
    fi
  fi
fi`,
  );
  script(
    'prerm',
    `if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop ulvs.service >/dev/null || true
fi`,
  );
  script(
    'postrm',
    `if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then
  deb-systemd-helper purge ulvs.service >/dev/null || true
  deb-systemd-helper unmask ulvs.service >/dev/null || true
fi`,
  );
  // Modes as dpkg expects them, whatever the umask and the checkout's modes were.
  const fix = (p) => {
    for (const e of readdirSync(p, { withFileTypes: true })) {
      const f = path.join(p, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        chmodSync(f, 0o755);
        fix(f);
      } else chmodSync(f, statSync(f).mode & 0o111 || f.startsWith(path.join(lib, 'bin')) ? 0o755 : 0o644);
    }
  };
  chmodSync(stage, 0o755);
  fix(stage);
  for (const s of ['postinst', 'prerm', 'postrm']) chmodSync(path.join(deb, s), 0o755);
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `ulvs_${pkg.version}_${arch}.deb`);
  sh(['dpkg-deb', '--root-owner-group', '-Zgzip', '-z6', '--build', stage, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(`${file}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
