#!/usr/bin/env node
// One-step, idempotent setup of a ulvs checkout on Debian 12 (root): installs the Debian packages the
// project and its tests use, runs `npm ci` (which builds the native addon and dist/), and rebuilds what
// is stale. A second run with everything in place does nothing and prints nothing with --quiet.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const removeLinks = process.argv.includes('--remove-links');
const say = (m) => {
  if (!quiet) process.stderr.write(`setup: ${m}\n`);
};
const loud = (m) => process.stderr.write(`setup: ${m}\n`);

/** Debian packages and why we need them. */
export const APT_PACKAGES = {
  'build-essential': 'compiles the native addon',
  python3: 'node-gyp',
  'libnetfilter-queue-dev': 'native NFQUEUE I/O',
  'libmnl-dev': 'native netlink',
  iproute2: 'namespaces, addresses, routes',
  iptables: 'NFQUEUE rules, test firewall rules',
  ethtool: "lab: the offloads-off variant (Lab.up({ offloads: 'off' }))",
  curl: 'lab clients',
  tcpdump: 'captures in tests',
  tshark: 'independent packet decoder in tests',
  'python3-scapy': 'packet fixtures and generators',
  keepalived: 'real VRRP peer in tests and failover benchmark',
  frr: 'real VRRPv3 peer (vrrpd) and BFD peer (bfdd) in tests',
  wrk: 'HTTP load in tests and benchmarks',
  haproxy: 'benchmark reference',
  'nginx-light': 'benchmark reference',
  'libnginx-mod-stream': 'benchmark reference (nginx stream, L4)',
  hping3: 'SYN flood tests',
  iperf3: 'throughput benchmark',
  openssl: 'self-signed certificates for SSL_GET tests',
  socat: 'small TCP/UDP peers in tests',
  'iputils-arping': 'who answers ARP for a VIP (kill -9 of the MASTER test)',
  'python3-aiosmtpd': 'real SMTP server for SMTP_CHECK and mail alert tests',
  procps: 'sysctl, ps',
  systemd: 'systemd-analyze verify of the example unit',
  chromium: 'headless browser the dashboard tests drive (puppeteer-core)',
};

function missingPackages() {
  const names = Object.keys(APT_PACKAGES);
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${db:Status-Status}\n', ...names], { encoding: 'utf8' });
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => l.endsWith(' installed'))
      .map((l) => l.split(' ')[0]),
  );
  return names.filter((n) => !installed.has(n));
}

function sh(argv, opts = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    loud(`'${argv.join(' ')}' failed (exit ${r.status})`);
    process.exit(r.status || 1);
  }
}

function newest(dir, exts) {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p, exts));
    else if (exts.some((x) => e.name.endsWith(x))) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}
const mtime = (p) => (existsSync(p) ? statSync(p).mtimeMs : 0);

/** The commands, as package.json's "bin" would give them (kept out of package.json: see linkCommands). */
export const COMMANDS = { ulvs: 'bin/ulvs.mjs', ulvsadm: 'bin/ulvsadm.mjs', 'ulvs-keepalived': 'bin/ulvs-keepalived.mjs' };
const LINK_DIR = process.env.ULVS_LINK_DIR ?? '/usr/local/bin';

/** A symlink's target, or undefined when `p` is not a symlink. */
function linkTarget(p) {
  try {
    return lstatSync(p).isSymbolicLink() ? readlinkSync(p) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Puts the commands on PATH the way `npm link` does: symlinks in /usr/local/bin to this checkout's bin/,
 * and in node_modules/.bin so `npx ulvs` runs them. package.json has no "bin" on purpose: with one,
 * `npx ulvs` inside the checkout installs the checkout itself into the npx cache, whose install script
 * npm 11 refuses (ESTRICTALLOWSCRIPTS; npx ignores the project's allowScripts by design).
 * A link to another checkout is replaced (the last checkout set up wins); a regular file is left alone.
 */
function linkCommands() {
  for (const [name, rel] of Object.entries(COMMANDS)) {
    const target = path.join(root, rel);
    for (const [dir, want] of [
      [path.join(root, 'node_modules/.bin'), path.relative(path.join(root, 'node_modules/.bin'), target)],
      [LINK_DIR, target],
    ]) {
      const p = path.join(dir, name);
      const cur = linkTarget(p);
      if (cur === want) continue;
      if (cur === undefined && existsSync(p)) {
        say(`${p} exists and is not a link: left alone`);
        continue;
      }
      if (dir === LINK_DIR && process.getuid?.() !== 0) {
        say(`not root: ${name} is not linked into ${LINK_DIR}`);
        continue;
      }
      mkdirSync(dir, { recursive: true });
      if (cur !== undefined) rmSync(p, { force: true });
      symlinkSync(want, p);
      say(`linked ${p} -> ${want}`);
    }
  }
}

/** Removes the links linkCommands made (those pointing into this checkout). */
function unlinkCommands() {
  for (const [name, rel] of Object.entries(COMMANDS)) {
    for (const p of [path.join(root, 'node_modules/.bin', name), path.join(LINK_DIR, name)]) {
      const cur = linkTarget(p);
      if (cur !== undefined && path.resolve(path.dirname(p), cur) === path.join(root, rel)) {
        rmSync(p);
        loud(`removed ${p}`);
      }
    }
  }
}

if (removeLinks) {
  unlinkCommands();
  process.exit(0);
}

// 1. Debian packages.
const missing = missingPackages();
if (missing.length) {
  if (process.getuid?.() !== 0) {
    loud(`these Debian packages are missing and installing them needs root: ${missing.join(' ')}`);
    process.exit(1);
  }
  loud(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  sh(['apt-get', 'update', '-q'], { env });
  sh(['apt-get', 'install', '-y', '-q', '--no-install-recommends', ...missing], { env });
}

// 2. npm dependencies, native addon and dist/ (npm ci runs the install and prepare scripts).
const env = { ...process.env };
if (!env.npm_config_nodedir) env.npm_config_nodedir = path.resolve(process.execPath, '../..');
const lock = path.join(root, 'package-lock.json');
const installedLock = path.join(root, 'node_modules/.package-lock.json');
const addon = path.join(root, 'build/Release/ulvs_native.node');
if (!existsSync(installedLock) || mtime(lock) > mtime(installedLock)) {
  loud('installing npm dependencies (npm ci)');
  sh(['npm', 'ci', '--no-audit', '--no-fund'], { env });
} else {
  if (mtime(addon) < Math.max(newest(path.join(root, 'native'), ['.cc', '.h']), mtime(path.join(root, 'binding.gyp')))) {
    say('rebuilding the native addon');
    sh([process.execPath, 'scripts/build-native.mjs'], { env });
  }
  if (mtime(path.join(root, 'dist/cli/ulvs.js')) < newest(path.join(root, 'src'), ['.ts'])) {
    say('compiling TypeScript to dist/');
    sh([process.execPath, 'node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { env });
  }
}
// 3. The commands on PATH (ulvs, ulvsadm, ulvs-keepalived) and for npx.
linkCommands();
say('everything is in place');
