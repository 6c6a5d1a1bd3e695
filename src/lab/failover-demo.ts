/**
 * The two-director part of `ulvs lab demo`: lb1 and lb2 each run `ulvs run -f keepalived.conf`
 * (VRRP owns the VIP and the real servers' NAT gateway, as in seed 001's NAT setup), requests go
 * through the MASTER, then the MASTER stops and the BACKUP takes over the VIP and the traffic.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callOnce } from '../api/client.js';
import type { Lab } from './lab.js';
import { commandArgv, countByServer, prepareRealServers, requestsThroughVip } from './modes.js';
import { addr4, LAB_ADDR, LAB_HTTP_PORT } from './topology.js';
import { DEFAULT_DASHBOARD_LISTEN, LAB_DASHBOARD_PORT } from './dashboard-forward.js';

/** keepalived.conf of one director: one VRRP instance holding both VIPs, one NAT virtual server. */
export function failoverConfig(lab: Lab, priority: number): string {
  return (
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority ${priority}\n  advert_int 1\n` +
    `  virtual_ipaddress {\n    ${LAB_ADDR.vip4}/24\n    ${LAB_ADDR.natGateway4}/24\n  }\n}\n` +
    `virtual_server ${LAB_ADDR.vip4} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    lab
      .byRole('realserver')
      .map((rs) => `  real_server ${addr4(rs)} ${LAB_HTTP_PORT} {\n    weight 1\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n`)
      .join('') +
    '}\n'
  );
}

interface Daemon {
  child: ChildProcess;
  sock: string;
  exited: Promise<number | null>;
  log: () => string;
}

async function vrrpState(d: Daemon): Promise<string> {
  try {
    return (await callOnce<{ vrrp: Array<{ state: string }> }>(d.sock, 'status')).vrrp[0]?.state ?? '';
  } catch {
    return '';
  }
}

async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

async function vipHolder(lab: Lab): Promise<string> {
  for (const n of ['lb1', 'lb2']) {
    if ((await lab.exec(n, ['ip', '-4', '-o', 'addr'])).stdout.includes(` ${LAB_ADDR.vip4}/`)) return n;
  }
  return 'nobody';
}

/** Runs the failover demo on a lab that is up; resolves to the number of failures. */
export async function runFailoverDemo(lab: Lab, out: (line: string) => void, requests = 6): Promise<number> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-demo-'));
  const undo = await prepareRealServers(lab, 'nat');
  const daemons = new Map<string, Daemon>();
  let bad = 0;
  const show = (answers: string[]): void => {
    out(
      `   ${answers.map((a) => a || 'FAILED').join(' ')}   (${Object.entries(countByServer(answers))
        .map(([k, v]) => `${k || 'failed'}=${v}`)
        .join(' ')})`,
    );
    bad += answers.filter((a) => a === '').length;
  };
  try {
    for (const [node, prio] of [
      ['lb1', 150],
      ['lb2', 100],
    ] as const) {
      await lab.execOk(node, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      const file = path.join(dir, `${node}.conf`);
      writeFileSync(file, failoverConfig(lab, prio));
      const sock = path.join(dir, `${node}.sock`);
      const child = lab.spawn(node, [
        ...commandArgv('run'),
        '-f',
        file,
        '--backend',
        'afpacket',
        '--iface',
        'eth0',
        '--workers',
        '1',
        '--metrics',
        `127.0.0.1:${LAB_DASHBOARD_PORT}`,
        '--socket',
        sock,
        '--pid-file',
        path.join(dir, `${node}.pid`),
      ]);
      let log = '';
      child.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        log += d.toString();
      });
      daemons.set(node, { child, sock, log: () => log, exited: new Promise((r) => child.once('exit', (c) => r(c))) });
    }
    const lb1 = daemons.get('lb1')!;
    const lb2 = daemons.get('lb2')!;
    if (!(await waitFor(async () => (await vrrpState(lb1)) === 'MASTER', 20000))) {
      out(`   FAILED: lb1 did not become MASTER\n${lb1.log()}`);
      return bad + 1;
    }
    await waitFor(async () => (await vrrpState(lb2)) === 'BACKUP', 5000);
    out(`   lb1 is ${await vrrpState(lb1)} (priority 150), lb2 is ${await vrrpState(lb2)} (priority 100); the VIP is on ${await vipHolder(lab)}`);
    out(
      `   dashboards: http://127.0.0.1:${LAB_DASHBOARD_PORT}/ in ${lab.ns('lb1')} and ${lab.ns('lb2')} (while they run: 'ulvs lab dashboard --node lb2${lab.id === 'lab' ? '' : ` --id ${lab.id}`}' serves one on http://${DEFAULT_DASHBOARD_LISTEN}/)`,
    );
    show(await requestsThroughVip(lab, requests));
    out('   stopping lb1 (SIGTERM: priority-0 advert, VIPs removed) ...');
    lb1.child.kill('SIGTERM');
    await lb1.exited;
    if (!(await waitFor(async () => (await vrrpState(lb2)) === 'MASTER', 10000))) {
      out(`   FAILED: lb2 did not take over\n${lb2.log()}`);
      return bad + 1;
    }
    await waitFor(async () => (await vipHolder(lab)) === 'lb2', 3000);
    out(`   lb2 is ${await vrrpState(lb2)}; the VIP is on ${await vipHolder(lab)}`);
    show(await requestsThroughVip(lab, requests));
    return bad;
  } finally {
    for (const d of daemons.values()) {
      if (d.child.exitCode === null) {
        d.child.kill('SIGTERM');
        const t = setTimeout(() => d.child.kill('SIGKILL'), 10000);
        await d.exited;
        clearTimeout(t);
      }
    }
    await undo();
    rmSync(dir, { recursive: true, force: true });
  }
}
