// Two directors running `ulvs run` with the same keepalived.conf (seed 001's NAT shape: the VIP and the
// real servers' NAT gateway are VRRP addresses): traffic flows through the MASTER; after SIGTERM of the
// MASTER the BACKUP takes over and traffic flows again. The data plane never holds VRRP's VIPs itself.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, addr4 } from '../../src/lab/topology.js';
import { prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { callOnce } from '../../src/api/client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const notRoot = process.getuid?.() !== 0 && 'needs root (network namespaces)';
const noAddon = !existsSync(path.join(root, 'build/Release/ulvs_native.node')) && 'the native addon is not built';
const noDist = !existsSync(path.join(root, 'dist/cli/commands/run.js')) && 'dist/ is not built (npm run build): two daemons from TS sources start too slowly';

function conf(lab: Lab, priority: number): string {
  return (
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    ${LAB_ADDR.vip4}/24\n    ${LAB_ADDR.natGateway4}/24\n  }\n}\n` +
    `virtual_server ${LAB_ADDR.vip4} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    lab
      .byRole('realserver')
      .map((rs) => `  real_server ${addr4(rs)} ${LAB_HTTP_PORT} {\n    weight 1\n  }\n`)
      .join('') +
    '}\n'
  );
}

t.test('VRRP failover between two ulvs daemons carries the traffic', { skip: notRoot || noAddon || noDist, timeout: 180000 }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-failover-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.teardown(await prepareRealServers(lab, 'nat'));
  const daemons = new Map<string, { child: ChildProcess; sock: string; log: () => string; exited: Promise<number | null> }>();
  for (const [node, prio] of [
    ['lb1', 150],
    ['lb2', 100],
  ] as const) {
    await lab.execOk(node, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    const file = path.join(dir, `${node}.conf`);
    writeFileSync(file, conf(lab, prio));
    const sock = path.join(dir, `${node}.sock`);
    const child = lab.spawn(node, [
      process.execPath,
      path.join(root, 'dist/cli/commands/run.js'),
      '-f',
      file,
      '--backend',
      'afpacket',
      '--iface',
      'eth0',
      '--workers',
      '1',
      '--no-metrics',
      '--socket',
      sock,
      '--pid-file',
      path.join(dir, `${node}.pid`),
    ]);
    let log = '';
    child.stdout!.on('data', (d) => {
      log += d;
    });
    child.stderr!.on('data', (d) => {
      log += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    t.teardown(async () => {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    });
    daemons.set(node, { child, sock, log: () => log, exited });
  }
  const stateOf = async (node: string) => {
    try {
      return (await callOnce<{ vrrp: Array<{ state: string }> }>(daemons.get(node)!.sock, 'status')).vrrp[0]?.state ?? '';
    } catch {
      return '';
    }
  };
  const waitState = async (node: string, want: string, ms: number) => {
    for (let i = 0; i < ms / 100; i++) {
      if ((await stateOf(node)) === want) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };
  if (!(await waitState('lb1', 'MASTER', 20000))) {
    t.fail(`lb1 did not become MASTER:\n${daemons.get('lb1')!.log()}`);
    return;
  }
  t.ok(await waitState('lb2', 'BACKUP', 5000), 'lb2 is BACKUP');
  t.notMatch(await lab.execOk('lb2', ['ip', '-4', '-o', 'addr']), /198\.18\.0\.100/, 'the BACKUP does not hold the VIP');
  const before = await requestsThroughVip(lab, 6);
  t.same(
    before.filter((a) => a === ''),
    [],
    `every request answered through lb1: ${before.join(',')}`,
  );

  daemons.get('lb1')!.child.kill('SIGTERM');
  t.equal(await daemons.get('lb1')!.exited, 0, 'lb1 stopped cleanly');
  t.ok(await waitState('lb2', 'MASTER', 5000), 'lb2 takes over');
  await new Promise((r) => setTimeout(r, 500));
  const after = await requestsThroughVip(lab, 6);
  t.same(
    after.filter((a) => a === ''),
    [],
    `every request answered through lb2: ${after.join(',')}`,
  );
  t.notMatch(await lab.execOk('lb1', ['ip', '-4', '-o', 'addr']), /198\.18\.0\.(100|254)/, 'lb1 released its VIPs');
});
