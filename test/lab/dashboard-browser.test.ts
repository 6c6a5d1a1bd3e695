// The dashboard in a real browser (Debian's chromium driven by puppeteer-core, run inside each director's
// network namespace, where the daemon serves it on 127.0.0.1:9406): two directors run `ulvs run -f
// keepalived.conf` (the default NFQUEUE backend, interfaces derived, as a keepalived user starts it); the
// MASTER's counters and rate chart move with HTTP traffic through the VIP; the packet walk marks the right fields
// for NAT and TUN, and for DR (which changes no field on NFQUEUE) the kernel's egress: the mark's policy route and
// the real server's MAC; the BACKUP's VRRP timeline shows the failover
// when the MASTER stops; no page or API answer carries the auth_pass. Screenshots: test-artifacts/dashboard/.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { ChildProcess } from 'node:child_process';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { callOnce } from '../../src/api/client.js';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { commandArgv, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { addr4, LAB_ADDR } from '../../src/lab/topology.js';

const root = process.getuid?.() === 0;
const CHROMIUM = '/usr/bin/chromium';
const SECRET = 'dashPw42';
const ARTIFACTS = path.join(import.meta.dirname, '../../test-artifacts/dashboard');
const skip = !root ? 'needs root' : !existsSync(CHROMIUM) ? 'needs chromium (node scripts/setup.mjs installs it)' : false;

function config(lab: Lab, priority: number): string {
  const rs = lab.byRole('realserver').slice(0, 2);
  const vs = (port: number, kind: string, check: boolean) =>
    `virtual_server ${LAB_ADDR.vip4} ${port} {\n  delay_loop 1\n  lb_algo rr\n  lb_kind ${kind}\n  protocol TCP\n` +
    rs.map((r) => `  real_server ${addr4(r)} ${port} {\n    weight 1\n${check ? '    TCP_CHECK {\n      connect_timeout 1\n    }\n' : ''}  }\n`).join('') +
    '}\n';
  return (
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 52\n  priority ${priority}\n  advert_int 1\n` +
    `  authentication {\n    auth_type PASS\n    auth_pass ${SECRET}\n  }\n` +
    `  virtual_ipaddress {\n    ${LAB_ADDR.vip4}/24\n    ${LAB_ADDR.natGateway4}/24\n  }\n}\n` +
    vs(80, 'NAT', true) +
    vs(8081, 'DR', false) +
    vs(8082, 'TUN', false)
  );
}

async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 200))) if (await check().catch(() => false)) return true;
  return false;
}

/** The walk's changed fields of hop `hop` for a flow to VIP:port (`rows`: 'changed', or 'kernel' for the kernel's egress rows). */
async function walk(page: Page, port: number, hop: number, rows: 'changed' | 'kernel' = 'changed'): Promise<string[]> {
  await page.evaluate((p) => {
    (document.querySelector('#walk-client') as HTMLInputElement).value = `${'198.18.1.2'}:${41000 + p}`;
    (document.querySelector('#walk-vip') as HTMLInputElement).value = `198.18.0.100:${p}`;
    (document.querySelector('#walk-flags') as HTMLInputElement).value = 'S';
    document.querySelector('#walk')!.replaceChildren();
  }, port);
  await page.click('#walk-go');
  await page.waitForSelector(`#walk .hop[data-hop="${hop}"]`, { timeout: 5000 });
  return page.$$eval(`#walk .hop[data-hop="${hop}"] tr.${rows}`, (rs) =>
    rs.map((r) => `${(r as HTMLElement).dataset.field!}=${r.lastElementChild?.textContent}`),
  );
}

t.test('dashboard in chromium: traffic, packet walk per mode, VRRP failover, no secrets', { skip }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-dash-'));
  const daemons: ChildProcess[] = [];
  let browser: Browser | undefined;
  t.teardown(async () => {
    await browser?.close().catch(() => undefined);
    for (const d of daemons) if (d.exitCode === null) d.kill('SIGKILL');
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const undo = await prepareRealServers(lab, 'nat');
  t.teardown(undo);
  const logs: Record<string, string> = {};
  for (const [node, prio] of [
    ['lb1', 150],
    ['lb2', 100],
  ] as const) {
    await lab.execOk(node, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    const file = path.join(dir, `${node}.conf`);
    writeFileSync(file, config(lab, prio));
    const argv = [...commandArgv('run'), '-f', file];
    const d = lab.spawn(node, [...argv, '--socket', path.join(dir, `${node}.sock`), '--pid-file', path.join(dir, `${node}.pid`)]);
    logs[node] = '';
    d.stdout!.on('data', (b: Buffer) => (logs[node] += b.toString()));
    d.stderr!.on('data', (b: Buffer) => (logs[node] += b.toString()));
    daemons.push(d);
  }
  const state = async (node: string) => (await callOnce<{ vrrp: Array<{ state: string }> }>(path.join(dir, `${node}.sock`), 'status')).vrrp[0]?.state;
  if (!t.ok(await until(async () => (await state('lb1')) === 'MASTER' && (await state('lb2')) === 'BACKUP', 20000), 'lb1 MASTER, lb2 BACKUP'))
    return void t.comment(logs.lb1, logs.lb2);

  // One browser per director namespace: a wrapper runs chromium inside it (the page is on its loopback).
  const open = async (node: string): Promise<{ b: Browser; page: Page }> => {
    const wrapper = path.join(dir, `chromium-${node}`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.ns(node)} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    const b = await puppeteer.launch({
      executablePath: wrapper,
      pipe: true,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    const page = await b.newPage();
    await page.setViewport({ width: 1400, height: 1200 });
    await page.goto('http://127.0.0.1:9406/', { waitUntil: 'load' });
    await page.waitForSelector('tr.dest', { timeout: 10000 });
    return { b, page };
  };
  const m = await open('lb1');
  browser = m.b;
  const conns = () => m.page.$eval('tr.svc[data-service="TCP 198.18.0.100:80"] td.conns', (e) => Number(e.textContent));
  t.equal(await conns(), 0, 'no connections before traffic');
  const answers = await requestsThroughVip(lab, 12);
  t.equal(answers.filter(Boolean).length, 12, 'every request answered through the VIP');
  t.ok(await until(async () => (await conns()) >= 12, 8000), 'the service counter moved with the traffic');
  const chartMax = () =>
    m.page.evaluate(() => {
      const c = (window as unknown as { ulvsDash: { charts: Record<string, { data: number[][] }> } }).ulvsDash.charts['TCP 198.18.0.100:80'];
      return c ? Math.max(0, ...(c.data[1] ?? [])) : 0;
    });
  t.ok(await until(async () => (await chartMax()) > 0, 10000), 'the packets/s chart rose');
  // Each real server has its own line in the service's chart, and those lines move too.
  const rsLines = () =>
    m.page.evaluate(() => {
      const c = (window as unknown as { ulvsDash: { charts: Record<string, { data: number[][]; series: Array<{ label: string }> }> } }).ulvsDash.charts[
        'TCP 198.18.0.100:80'
      ]!;
      return { labels: c.series.slice(3).map((x) => x.label), max: c.data.slice(3).map((d) => Math.max(0, ...d)) };
    });
  t.ok(await until(async () => (await rsLines()).max.every((x) => x > 0), 10000), 'every real server line of the chart rose');
  t.same((await rsLines()).labels.sort(), ['198.18.0.21:80 pkts/s', '198.18.0.22:80 pkts/s']);
  // The VRRP timeline ends at "now": its segments fill the bar, the last one is the current state.
  const bar = await m.page.$eval('#vrrp-timeline .timeline', (b) => ({
    last: b.lastElementChild?.className,
    width: [...b.children].reduce((a, c) => a + Number.parseFloat((c as HTMLElement).style.width), 0),
  }));
  t.equal(bar.last, 'seg-MASTER', 'the timeline ends in MASTER');
  t.ok(Math.abs(bar.width - 100) < 1, `the segments fill the bar up to now (${bar.width.toFixed(1)}%)`);
  // The health table counts the TCP_CHECKs (delay_loop 1: warmup under a second), none failed.
  const checks = () => m.page.$$eval('#health tbody tr.checked td.checks', (tds) => tds.map((d) => Number(d.textContent)));
  if (
    !t.ok(await until(async () => (await checks()).length === 2 && (await checks()).every((n) => n >= 2), 8000), 'the health table counts the running checks')
  )
    t.comment(JSON.stringify(await checks()), await m.page.evaluate(async () => (await fetch('/api/state')).text()));
  await m.page.screenshot({ path: path.join(ARTIFACTS, 'traffic.png'), fullPage: true });

  const fields = (rows: string[]) => rows.map((r) => r.split('=')[0]);
  const nat = fields(await walk(m.page, 80, 1));
  t.ok(nat.includes('ip.dst') && nat.includes('tcp.checksum'), `NAT: destination and checksums marked (${nat})`);
  t.ok(fields(await walk(m.page, 80, 3)).includes('ip.src'), 'NAT: the answer gets the VIP back as source');
  await m.page.screenshot({ path: path.join(ARTIFACTS, 'walk-nat.png'), fullPage: true });
  // DR on NFQUEUE: the packet goes back to the kernel unchanged; the kernel's egress row names the real server's MAC.
  t.same(await walk(m.page, 8081, 1), [], 'DR: no field marked as rewritten');
  const rsIps = lab
    .byRole('realserver')
    .slice(0, 2)
    .map((r) => addr4(r));
  const macs = await Promise.all(
    lab
      .byRole('realserver')
      .slice(0, 2)
      .map((r) => lab.mac(r.name)),
  );
  const kernel = Object.fromEntries((await walk(m.page, 8081, 1, 'kernel')).map((r) => r.split('=') as [string, string]));
  t.match(kernel['egress (kernel).rule'], /^fwmark 0x[0-9a-f]+ lookup \d+$/, 'DR: the mark and the table it selects');
  const via = /^default via (\S+) dev eth0 onlink$/.exec(kernel['egress (kernel).route'] ?? '')?.[1];
  t.ok(via && rsIps.includes(via), `DR: the policy route to a real server (${kernel['egress (kernel).route']})`);
  t.equal(kernel['egress (kernel).eth.dst'], via ? macs[rsIps.indexOf(via)] : '(no route)', "DR: the MAC the kernel writes is that real server's");
  await m.page.screenshot({ path: path.join(ARTIFACTS, 'walk-dr.png'), fullPage: true });
  const tun = fields(await walk(m.page, 8082, 1));
  t.ok(tun.includes('outer.dst') && tun.includes('outer.src') && !tun.includes('ip.dst'), `TUN: the outer header marked, the inner VIP kept (${tun})`);
  await m.page.screenshot({ path: path.join(ARTIFACTS, 'walk-tun.png'), fullPage: true });

  // Failover: the BACKUP's timeline shows BACKUP -> MASTER once lb1 stops.
  const s = await open('lb2');
  daemons[0]!.kill('SIGTERM');
  const shown = await until(
    async () =>
      (await s.page.$$('#vrrp-events li[data-from="BACKUP"][data-to="MASTER"]')).length > 0 && (await s.page.$$('#vrrp-timeline .seg-MASTER')).length > 0,
    15000,
  );
  t.ok(shown, 'lb2 timeline: BACKUP -> MASTER');
  await s.page.screenshot({ path: path.join(ARTIFACTS, 'failover.png'), fullPage: true });
  const bodies = await s.page.evaluate(async () =>
    Promise.all(['/', '/api/state', '/api/history', '/api/connections', '/ui/dashboard.js', '/metrics'].map(async (u) => (await fetch(u)).text())),
  );
  t.notOk(
    bodies.some((x) => x.includes('dashPw42')),
    'no answer carries the auth_pass',
  );
  await s.b.close();
});
