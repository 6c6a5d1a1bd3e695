// `ulvs replay --dashboard` in a real browser (Debian's chromium driven by puppeteer-core): the command
// replays a capture with NAT, DR and TUN services and serves the dashboard on an ephemeral loopback port;
// the page lists the capture's packets, a click on packet N walks it as the replay saw it (packet 1 creates
// the connection that packet 2 then hits), with the right fields highlighted per mode, and the filter finds
// one packet. No network namespace: the replay needs no network. Screenshots: test-artifacts/dashboard/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import t from 'tap';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { PKT, writeCapture } from '../fixtures/replay-dashboard/capture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(import.meta.dirname, '../../test-artifacts/dashboard');
const BIN = path.join(import.meta.dirname, '../../bin/ulvs.mjs');
const skip = !existsSync(CHROMIUM) ? 'needs chromium (node scripts/setup.mjs installs it)' : false;

/** Clicks packet `n` of the list; resolves to the changed fields of walk hop `hop` and the walk's steps. */
async function pick(page: Page, n: number, hop: number): Promise<{ changed: string[]; steps: string }> {
  await page.evaluate(() => document.querySelector('#walk')!.replaceChildren());
  await page.click(`#replay tbody tr[data-packet="${n}"]`);
  await page.waitForSelector(`#walk .hop[data-hop="${hop}"]`, { timeout: 5000 });
  const changed = await page.$$eval(`#walk .hop[data-hop="${hop}"] tr.changed`, (rows) => rows.map((r) => (r as HTMLElement).dataset.field!));
  return { changed, steps: await page.$eval('#walk-steps', (e) => e.textContent ?? '') };
}

t.test('replay dashboard in chromium: pick packet N, its walk per mode as the replay saw it', { skip }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-replay-dash-'));
  const { rules, pcap } = writeCapture(dir);
  const child = spawn(
    process.execPath,
    [BIN, 'replay', '--rules', rules, '--in', pcap, '--local-ip', '198.18.0.11', '--dashboard', '--listen', '127.0.0.1:0'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let browser: Browser | undefined;
  t.teardown(async () => {
    await browser?.close().catch(() => undefined);
    if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  let out = '';
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
      if (m) resolve(m[0]);
    });
    child.once('exit', (code) => reject(new Error(`ulvs replay --dashboard exited ${code}: ${out}`)));
  });
  t.match(out, /replayed 7 packets/);
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    pipe: true,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1200 });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#replay tbody tr[data-packet="7"]', { timeout: 10000 });
  t.equal(await page.$$eval('#replay tbody tr', (r) => r.length), 7, 'the seven packets of the capture are listed');
  t.equal(await page.$eval('#vrrp-section', (e) => getComputedStyle(e).display), 'none', 'no VRRP section in a replay');
  t.match(await page.$eval('header h1', (e) => e.textContent), /replay of capture\.pcap/);

  // Packet 1 creates the NAT connection; packet 2 hits it — the table at each packet, not at the end.
  const syn = await pick(page, PKT.natSyn, 1);
  t.match(syn.steps, /no connection entry: a new one is created/, 'packet 1: connection created');
  const nat = await pick(page, PKT.natAck, 1);
  t.match(nat.steps, /connection entry hit: .*SYN_RECV/, 'packet 2: hits the entry packet 1 left');
  t.ok(nat.changed.includes('ip.dst') && nat.changed.includes('tcp.checksum'), `NAT: destination and checksum marked (${nat.changed})`);
  t.match(await page.$eval('#walk-title', (e) => e.textContent), /packet #2 of capture\.pcap, as the replay saw it/);
  t.ok(
    (await page.$$eval('#walk .hop[data-hop="3"] tr.changed', (r) => r.map((x) => (x as HTMLElement).dataset.field))).includes('ip.src'),
    'NAT: the answer gets the VIP back',
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'replay-walk-nat.png'), fullPage: true });
  const dr = await pick(page, PKT.drSyn, 1);
  t.ok(dr.changed.includes('eth.dst') && !dr.changed.includes('ip.dst'), `DR: only the MAC side marked (${dr.changed})`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'replay-walk-dr.png'), fullPage: true });
  const tun = await pick(page, PKT.tunSyn, 1);
  t.ok(tun.changed.includes('outer.dst') && !tun.changed.includes('ip.dst'), `TUN: the outer header marked, the inner VIP kept (${tun.changed})`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'replay-walk-tun.png'), fullPage: true });

  // The NAT real server's answer (packet 7) starts at the real server and leaves with the VIP as source.
  const answer = await pick(page, PKT.natAnswer, 1);
  t.match(await page.$eval('#walk-path', (e) => e.textContent), /^NAT: real server 198\.18\.0\.21:80→director→client$/);
  t.ok(answer.changed.includes('ip.src'), `the answer: source marked (${answer.changed})`);

  // The filter: one packet to :8082.
  await page.type('#replay-q', ':8082');
  t.ok(
    await page
      .waitForFunction(() => document.querySelectorAll('#replay tbody tr').length === 1, { timeout: 5000 })
      .then(
        () => true,
        () => false,
      ),
    'the filter leaves the one packet to :8082',
  );
  t.equal(await page.$eval('#replay tbody tr', (e) => (e as HTMLElement).dataset.packet), String(PKT.tunSyn));
});
