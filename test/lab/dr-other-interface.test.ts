// DR on NFQUEUE to a real server behind another interface than the one the director started on: `ulvs run -f
// FILE` (a file with no virtual_server) gets its service and a DR real server from ulvsadm, as a keepalived +
// ipvsadm user does; the data plane starts on the VIP's interface (d0) and the real server lies behind d1. The
// mark's policy route must leave by d1, as ip_vs_dr_xmit routes to the real server — it used to say
// 'dev d0 onlink' and the request was lost. The real server answers the client directly (its own link to it).
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { callOnce } from '../../src/api/client.js';
import { main as ulvsadm } from '../../src/cli/ulvsadm.js';
import { uniqueLabId } from '../../src/lab/lab.js';
import { commandArgv } from '../../src/lab/modes.js';
import { run } from '../../src/util/exec.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const skip =
  process.getuid?.() !== 0
    ? 'needs root (network namespaces)'
    : !existsSync(path.join(root, 'build/Release/ulvs_native.node'))
      ? 'the native addon is not built (node scripts/build-native.mjs)'
      : false;
const VIP = '198.51.100.100';

async function ok(argv: string[]): Promise<string> {
  const r = await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

t.test('DR on NFQUEUE: the mark routes to a real server behind a second director interface', { skip, timeout: 60000 }, async (t) => {
  const id = uniqueLabId();
  const [C, D, R] = [`${id}c`, `${id}d`, `${id}r`];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-dr-if-'));
  let daemon: ChildProcess | undefined;
  let rs: ChildProcess | undefined;
  t.teardown(async () => {
    rs?.kill('SIGKILL');
    if (daemon && daemon.exitCode === null) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    for (const n of [C, D, R]) await run(['ip', 'netns', 'del', n]);
    rmSync(dir, { recursive: true, force: true });
  });
  for (const n of [C, D, R]) await ok(['ip', 'netns', 'add', n]);
  const sh = (ns: string, cmd: string) => ok(['ip', 'netns', 'exec', ns, 'sh', '-ec', cmd]);
  await ok(['ip', '-n', C, 'link', 'add', 'c0', 'type', 'veth', 'peer', 'name', 'd0', 'netns', D]);
  await ok(['ip', '-n', D, 'link', 'add', 'd1', 'type', 'veth', 'peer', 'name', 'r0', 'netns', R]);
  await ok(['ip', '-n', R, 'link', 'add', 'r1', 'type', 'veth', 'peer', 'name', 'c1', 'netns', C]);
  await sh(C, 'ip link set lo up; ip link set c0 up; ip link set c1 up; ip addr add 198.51.100.7/24 dev c0; ip addr add 192.0.2.1/30 dev c1');
  await sh(D, 'ip link set lo up; ip link set d0 up; ip link set d1 up; ip addr add 198.51.100.1/24 dev d0; ip addr add 10.1.0.1/24 dev d1');
  // The real server holds the VIP on lo (no ARP for it) and answers the client over its own link.
  await sh(
    R,
    `ip link set lo up; ip link set r0 up; ip link set r1 up; ip addr add 10.1.0.2/24 dev r0; ip addr add 192.0.2.2/30 dev r1; ip addr add ${VIP}/32 dev lo; ip route add 198.51.100.0/24 via 192.0.2.1 dev r1`,
  );
  rs = spawn('ip', ['netns', 'exec', R, 'socat', `TCP-LISTEN:80,bind=${VIP},reuseaddr,fork`, 'SYSTEM:echo rs-behind-d1'], { stdio: 'ignore' });

  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, 'global_defs {\n  router_id dr-if\n}\n');
  const sock = path.join(dir, 'ulvs.sock');
  daemon = spawn('ip', ['netns', 'exec', D, ...commandArgv('run'), '-f', file, '--socket', sock, '--pid-file', path.join(dir, 'ulvs.pid'), '--no-metrics'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  daemon.stdout!.on('data', (b: Buffer) => (log += b.toString()));
  daemon.stderr!.on('data', (b: Buffer) => (log += b.toString()));
  const adm = async (argv: string[]) => ulvsadm(argv, { socketPath: sock, stdout: () => {}, stderr: (s) => (log += s), readStdin: async () => '' });
  for (let i = 0; i < 50 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(await adm(['-A', '-t', `${VIP}:80`, '-s', 'rr']), 0, 'ulvsadm -A');
  t.equal(await adm(['-a', '-t', `${VIP}:80`, '-r', '10.1.0.2:80', '-g']), 0, 'ulvsadm -a ... -g');

  // The route the kernel uses for the real server's mark, as the director installed it.
  const drRoute = async () => (await sh(D, 'ip route show table all proto 117 | grep "^default via 10.1.0.2" || true')).trim();
  for (let i = 0; i < 50 && !(await drRoute()); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(await drRoute(), /^default via 10\.1\.0\.2 dev d1 table \d+ .*onlink/, 'the mark is routed out of d1, towards the real server');

  const e = await callOnce<{ egress: { kernel?: { route: string } } }>(sock, 'explain', {
    flow: { proto: 6, src: '198.51.100.7', sport: 40000, dst: VIP, dport: 80, tcpFlags: 2 },
  });
  t.equal(e.egress.kernel?.route, 'default via 10.1.0.2 dev d1 onlink', "ulvs explain shows the same route as the kernel's egress");

  const answer = await run(['ip', 'netns', 'exec', C, 'socat', '-T', '3', '-', `TCP:${VIP}:80,connect-timeout=3`], { timeoutMs: 8000 });
  if (!t.equal(answer.stdout.trim(), 'rs-behind-d1', 'the request reached the real server through the VIP')) t.comment(log);
});
