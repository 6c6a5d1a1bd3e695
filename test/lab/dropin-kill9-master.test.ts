// kill -9 of the MASTER under load (issue 14 "Done when", issue 16 chaos case): two directors, each
// `ulvs keepalived -n -l -f FILE` (the supervisor and its daemon, as keepalived.service runs it), in
// VRRP MASTER/BACKUP with a NAT service over the lab's three real servers, and a client opening short
// connections to the VIP in a loop. kill -9 of the MASTER's daemon (the child the supervisor watches):
// its namespace loses the VIPs, the NFQUEUE rules and bound queues, gets its sysctls back, answers no
// ARP for the VIP (only the BACKUP's MAC does), the BACKUP takes over and new connections succeed;
// then the supervisor's restarted daemon comes up as BACKUP (nopreempt) without breaking the traffic.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, addr4 } from '../../src/lab/topology.js';
import { prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { ROOT } from '../helpers/cli.js';

const skip =
  (process.getuid?.() !== 0 && 'needs root (network namespaces)') ||
  (!existsSync(path.join(ROOT, 'dist/cli/ulvs.js')) && 'needs dist/ (npx tsc -p tsconfig.build.json)') ||
  (!existsSync('/usr/bin/arping') && 'needs arping (node scripts/setup.mjs installs iputils-arping)');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const VIP = LAB_ADDR.vip4;
const GW = LAB_ADDR.natGateway4;
const SYSCTLS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.send_redirects',
  'net.ipv4.conf.eth0.send_redirects',
  'net.ipv4.conf.all.accept_local',
  'net.ipv4.conf.eth0.accept_local',
  'net.ipv4.ip_early_demux',
];

function conf(lab: Lab, priority: number): string {
  return (
    `vrrp_instance VI_1 {\n  state BACKUP\n  nopreempt\n  interface eth0\n  virtual_router_id 52\n  version 3\n  priority ${priority}\n  advert_int 0.5\n` +
    `  virtual_ipaddress {\n    ${VIP}/24\n    ${GW}/24\n  }\n}\n` +
    `virtual_server ${VIP} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    lab
      .byRole('realserver')
      .map((rs) => `  real_server ${addr4(rs)} ${LAB_HTTP_PORT} {\n    weight 1\n  }\n`)
      .join('') +
    '}\n'
  );
}

/** One consistent look at a director: its addresses, ulvs' netfilter rules, bound queues and the sysctls. */
async function snapshot(lab: Lab, node: string): Promise<{ vips: string[]; rules: string[]; queues: string; sysctls: string[] }> {
  const script = `ip -4 -o addr show; echo ===; iptables-save; echo ===; cat /proc/net/netfilter/nfnetlink_queue; echo ===; sysctl -n ${SYSCTLS.join(' ')}`;
  const [addrs = '', ipt = '', queues = '', sys = ''] = (await lab.exec(node, ['sh', '-c', script])).stdout.split('===\n');
  return {
    vips: [VIP, GW].filter((a) => addrs.includes(` ${a}/`)),
    rules: ipt.split('\n').filter((l) => /ulvs|NFQUEUE|:ULVS /.test(l)),
    queues: queues.trim(),
    sysctls: sys.trim().split('\n'),
  };
}

t.test(
  'kill -9 of the MASTER daemon under load: nothing answers for the VIP on the dead director, the BACKUP carries the traffic',
  { skip, timeout: 120000 },
  async (t) => {
    const lab = await Lab.up({ id: uniqueLabId() });
    t.teardown(() => lab.down());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-kill9-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    t.teardown(await prepareRealServers(lab, 'nat'));
    const sysctlsBefore = (await snapshot(lab, 'lb1')).sysctls;
    const sup = new Map<string, { log: () => string; exited: Promise<unknown>; kill: (s: NodeJS.Signals) => void }>();
    const until = async (f: () => Promise<boolean>, ms: number): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await f()) return true;
      return false;
    };
    const start = (node: string, prio: number): void => {
      const file = path.join(dir, `${node}.conf`);
      writeFileSync(file, conf(lab, prio));
      const pid = (n: string): string => path.join(dir, `${node}-${n}.pid`);
      const child = lab.spawn(
        node,
        [process.execPath, path.join(ROOT, 'bin/ulvs.mjs'), 'keepalived', '-n', '-l', '-f', file, '-p', pid('k'), '-r', pid('v'), '-c', pid('c')],
        { env: { ...process.env, ULVS_TMP_DIR: dir } },
      );
      let log = '';
      child.stdout!.on('data', (d) => {
        log += d;
      });
      child.stderr!.on('data', (d) => {
        log += d;
      });
      const exited = new Promise((r) => child.once('exit', r));
      t.teardown(async () => {
        if (child.exitCode === null) {
          child.kill('SIGTERM');
          await Promise.race([exited, sleep(8000)]);
        }
      });
      sup.set(node, { log: () => log, exited, kill: (s) => child.kill(s) });
    };
    const holds = async (node: string): Promise<boolean> => (await snapshot(lab, node)).vips.includes(VIP);
    // lb1 first: with nopreempt, whoever is MASTER first stays MASTER, and two daemons started together
    // race by startup time rather than by priority.
    start('lb1', 150);
    if (!t.ok(await until(() => holds('lb1'), 20000), 'lb1 (priority 150) becomes MASTER and holds the VIP')) {
      t.comment(sup.get('lb1')!.log());
      return;
    }
    start('lb2', 100);
    if (!t.ok(await until(async () => (await snapshot(lab, 'lb2')).queues !== '', 20000), 'lb2 is up, its data plane ready')) {
      t.comment(sup.get('lb2')!.log());
      return;
    }
    t.notOk(await holds('lb2'), 'lb2 is BACKUP: no VIP');
    const running = await snapshot(lab, 'lb1');
    t.ok(running.rules.some((l) => l.includes('NFQUEUE')) && running.queues !== '', 'the MASTER has its NFQUEUE rules and bound queues');
    t.not(running.sysctls.join(','), sysctlsBefore.join(','), `the MASTER changed sysctls (${SYSCTLS.join(' ')}: ${running.sysctls.join(' ')})`);

    // The load: short connections from the client in a loop, one line per connection ("<ms> <server|FAIL>").
    const loop = `while :; do r=$(curl -s -m 2 http://${VIP}:${LAB_HTTP_PORT}/) || r=FAIL; [ -n "$r" ] || r=FAIL; echo "$(($(date +%s%N)/1000000)) $r"; done`;
    const load = lab.spawn('client', ['sh', '-c', loop]);
    let loadOut = '';
    load.stdout!.on('data', (d) => {
      loadOut += d;
    });
    t.teardown(() => {
      load.kill('SIGKILL');
    });
    const lines = (): Array<{ at: number; who: string }> =>
      loadOut
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [at, who = ''] = l.split(' ');
          return { at: Number(at), who };
        });
    await sleep(1000);
    const before = lines();
    t.ok(before.length > 0 && before.every((l) => l.who !== 'FAIL'), `traffic flows through the MASTER: ${before.length} connections, none failed`);

    const daemon = Number(readFileSync(path.join(dir, 'lb1-v.pid'), 'utf8'));
    process.kill(daemon, 'SIGKILL');
    let dead = await snapshot(lab, 'lb1');
    for (let i = 0; i < 100 && dead.vips.length; i++) {
      await sleep(50);
      dead = await snapshot(lab, 'lb1');
    }
    t.same(dead.vips, [], 'the dead MASTER holds neither the VIP nor the NAT gateway');
    t.same(dead.rules, [], 'its ulvs netfilter rules are gone');
    t.equal(dead.queues, '', 'no queue is bound');
    t.same(dead.sysctls, sysctlsBefore, 'its sysctls are restored');

    if (!t.ok(await until(() => holds('lb2'), 10000), 'the BACKUP becomes MASTER')) t.comment(sup.get('lb2')!.log());
    const tTakeover = Date.now();
    const macOf = async (node: string): Promise<string> => (await lab.exec(node, ['cat', '/sys/class/net/eth0/address'])).stdout.trim().toUpperCase();
    const arp = await lab.exec('router', ['arping', '-c', '2', '-w', '3', '-I', 'eth1', VIP], { timeoutMs: 8000 });
    const macs = [...new Set([...arp.stdout.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toUpperCase()))];
    t.same(macs, [await macOf('lb2')], `ARP for the VIP: only the BACKUP's MAC answers (lb1 ${await macOf('lb1')})`);
    const after = await requestsThroughVip(lab, 3);
    t.same(
      after.filter((a) => a === ''),
      [],
      `new connections through the VIP succeed: ${after.join(',')}`,
    );

    // The supervisor restarts the daemon (1 s backoff): it comes up as BACKUP, its data plane set up again.
    t.ok(await until(async () => Number(readFileSync(path.join(dir, 'lb1-v.pid'), 'utf8')) !== daemon, 10000), 'the supervisor started a new daemon');
    t.ok(
      await until(async () => (await snapshot(lab, 'lb1')).rules.some((l) => l.includes('NFQUEUE')), 15000),
      'the restarted daemon installed its rules again',
    );
    await sleep(Math.max(0, tTakeover + 2500 - Date.now()) + 1000);
    t.notOk(await holds('lb1'), 'the restarted daemon is BACKUP (nopreempt): no VIP');
    t.ok(await holds('lb2'), 'lb2 stays MASTER');
    const settled = lines().filter((l) => l.at > tTakeover + 2500);
    t.ok(settled.length > 0, `connections keep being opened after the takeover (${settled.length})`);
    t.same(settled.filter((l) => l.who === 'FAIL').length, 0, 'none failed after the takeover, through the restart');
    const failed = lines().filter((l) => l.who === 'FAIL');
    t.comment(`client: ${lines().length} connections, ${failed.length} failed, all in the takeover`);
    load.kill('SIGKILL');
    sup.get('lb1')!.kill('SIGTERM');
    await Promise.race([sup.get('lb1')!.exited, sleep(8000)]);
    const stopped = await snapshot(lab, 'lb1');
    t.same([stopped.vips, stopped.rules, stopped.sysctls], [[], [], sysctlsBefore], 'TERM to the supervisor leaves nothing behind');
  },
);
