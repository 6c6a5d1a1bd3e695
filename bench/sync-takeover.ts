// Takeover with 100 000 live connections (bench/sync.md): two directors (`ulvs run -f FILE`, NFQUEUE,
// 1 worker, lvs_sync_daemon), NAT over the lab's real servers. The client makes 100 000 UDP flows through
// the MASTER (bench/live/c/udp-gen: 50 000 source ports to each of two UDP services, >= 3 datagrams a
// flow so each passes sync_threshold), waits until the BACKUP holds them all, and keeps one TCP session
// and one UDP flow exchanging a line every 10 ms. Then the MASTER dies (kill -9, link down at once) and
// the client records, for each, the gap from the last echo before the kill to the first one after.
//   sudo node --import @tapjs/typescript/import bench/sync-takeover.ts [--runs 1] [--flows 50000]
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { callOnce } from '../src/api/client.js';
import { Lab, uniqueLabId } from '../src/lab/lab.js';
import { prepareRealServers } from '../src/lab/modes.js';
import { addr4, LAB_ADDR } from '../src/lab/topology.js';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const arg = (k: string, d: number): number => {
  const i = process.argv.indexOf(k);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const RUNS = arg('--runs', 1);
const FLOWS = arg('--flows', 50_000);
const PPS = arg('--pps', 25_000);
const VIP = LAB_ADDR.vip4;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const REAL = `
const net = require('node:net'), dgram = require('node:dgram');
const name = process.argv[1];
net.createServer((s) => { s.on('error', () => {}); s.pipe(s); }).listen(7000);
const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(7002);
`;
const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram');
const t = { tcp: [], udp: [] };
const s = net.connect(7000, '${VIP}'); s.setNoDelay(true);
s.on('data', () => t.tcp.push(Date.now())); s.on('error', (e) => console.log('tcp-error ' + e.code));
const u = dgram.createSocket('udp4'); u.on('message', () => t.udp.push(Date.now()));
setInterval(() => { s.write('x\\n'); u.send('x', 7002, '${VIP}'); }, 10);
process.stdin.on('data', (d) => {
  const k = Number(String(d).trim());
  const gap = (a) => { const before = a.filter((x) => x <= k).pop() || 0; const after = a.find((x) => x > k + 20) || 0; return { before: k - before, after: after ? after - k : -1 }; };
  console.log('gaps ' + JSON.stringify({ tcp: gap(t.tcp), udp: gap(t.udp) }));
  process.exit(0);
});
`;

function conf(lab: Lab, prio: number): string {
  const rs = (port: number): string =>
    lab
      .byRole('realserver')
      .map((r) => `  real_server ${addr4(r)} ${port} {\n    weight 1\n  }\n`)
      .join('');
  const vs = (port: number, proto: string): string => `virtual_server ${VIP} ${port} {\n  lb_algo rr\n  lb_kind NAT\n  protocol ${proto}\n${rs(port)}}\n`;
  return (
    `global_defs {\n  lvs_sync_daemon eth0 VI_1 id 7\n}\n` +
    `vrrp_instance VI_1 {\n  state BACKUP\n  nopreempt\n  interface eth0\n  virtual_router_id 55\n  version 3\n  priority ${prio}\n  advert_int 0.5\n` +
    `  virtual_ipaddress {\n    ${VIP}/24\n    ${LAB_ADDR.natGateway4}/24\n  }\n}\n` +
    vs(7000, 'TCP') +
    vs(7002, 'UDP') +
    vs(7003, 'UDP') +
    vs(7004, 'UDP')
  );
}

const gen = path.join(os.tmpdir(), `ulvs-udp-gen-${process.pid}`);
execFileSync('gcc', ['-O2', '-o', gen, path.join(ROOT, 'bench/live/c/udp-gen.c')]);
for (let run = 1; run <= RUNS; run++) {
  const lab = await Lab.up({ id: uniqueLabId() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-syncbench-'));
  const kids: ChildProcess[] = [];
  try {
    const undo = await prepareRealServers(lab, 'nat');
    for (const rs of lab.byRole('realserver')) kids.push(lab.spawn(rs.name, [process.execPath, '-e', REAL, rs.name]));
    const start = (node: string, prio: number): ChildProcess => {
      const file = path.join(dir, `${node}.conf`);
      writeFileSync(file, conf(lab, prio));
      const argv = [
        'run',
        '-f',
        file,
        '--workers',
        '1',
        '--no-metrics',
        '--socket',
        path.join(dir, `${node}.sock`),
        '--pid-file',
        path.join(dir, `${node}.pid`),
      ];
      const c = lab.spawn(node, [process.execPath, path.join(ROOT, 'bin/ulvs.mjs'), ...argv], { env: { ...process.env, ULVS_TMP_DIR: dir }, stdio: 'ignore' });
      kids.push(c);
      return c;
    };
    type St = { vrrp: Array<{ state: string }>; sync: Array<{ state: string; installedNew: number; caughtUp: boolean }> };
    const status = (node: string): Promise<St | undefined> => callOnce<St>(path.join(dir, `${node}.sock`), 'status').catch(() => undefined);
    const until = async (f: () => Promise<boolean>, ms: number): Promise<boolean> => {
      for (const end = Date.now() + ms; Date.now() < end; await sleep(100)) if (await f()) return true;
      return false;
    };
    const lb1 = start('lb1', 150);
    await until(async () => (await status('lb1'))?.vrrp[0]?.state === 'MASTER', 20000);
    start('lb2', 100);
    await until(async () => (await status('lb2'))?.sync[0]?.caughtUp === true, 20000);
    const gw = await lab.mac('router', 'eth0');
    const t0 = Date.now();
    for (const port of ['7003', '7004'])
      await lab.exec('client', [gen, 'eth0', gw, VIP, port, String((FLOWS * 6) / PPS), String(PPS), String(FLOWS)], { timeoutMs: 60_000 });
    const synced = await until(async () => ((await status('lb2'))?.sync[0]?.installedNew ?? 0) >= 2 * FLOWS, 20_000);
    const installed = (await status('lb2'))?.sync[0]?.installedNew ?? 0;
    console.error(
      `after the flows: lb1 ${JSON.stringify((await status('lb1'))?.sync)} ${(await status('lb1'))?.vrrp[0]?.state}; lb2 ${JSON.stringify((await status('lb2'))?.sync)} ${(await status('lb2'))?.vrrp[0]?.state}`,
    );
    const syncS = (Date.now() - t0) / 1000;
    const client = lab.spawn('client', [process.execPath, '-e', CLIENT]);
    kids.push(client);
    let out = '';
    client.stdout!.on('data', (d) => {
      out += d;
    });
    await sleep(1500);
    const kill = Date.now();
    lb1.kill('SIGKILL');
    await lab.exec('lb1', ['ip', 'link', 'set', 'eth0', 'down']);
    await until(async () => (await status('lb2'))?.vrrp[0]?.state === 'MASTER', 15_000);
    const takeoverMs = Date.now() - kill;
    await sleep(6000);
    client.stdin!.write(`${kill}\n`);
    await until(async () => out.includes('gaps '), 5000);
    const gaps = JSON.parse(/gaps (.*)/.exec(out)?.[1] ?? '{}');
    console.log(
      JSON.stringify({
        run,
        flows: 2 * FLOWS,
        lb2Installed: installed,
        allSynced: synced,
        genAndSyncS: syncS,
        takeoverMs,
        gaps,
        load: os.loadavg()[0]!.toFixed(2),
      }),
    );
    await undo();
  } finally {
    for (const k of kids) k.kill('SIGKILL');
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  }
}
rmSync(gen, { force: true });
