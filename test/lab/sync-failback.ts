// Connection sync (issue 18), the body of sync-failback-{nat,dr}.test.ts (not a test file itself): two
// directors, each `ulvs run -f FILE` with `lvs_sync_daemon eth0 VI_1 id 6`; lb1 (priority 150, preempts)
// is MASTER, lb2 (100) BACKUP, persistent services (TCP echo, TCP upload, UDP echo) over the lab's real
// servers (node servers that say their name). The client holds IDLE idle keep-alive connections (one
// line each, then silence), an upload of UPLOAD_MB checked by sha256 at the far end, and a UDP flow.
// lb1 dies (kill -9 of its daemon, 600 ms later its link goes down); lb2 takes over. Then lb1 comes back
// (link up, daemon started again): it must ask lb2 for the whole table (the idle connections were sent
// once, long ago) and preempt only once it has it. Through both moves: every idle connection still
// echoes on its real server, 0 resets, the upload's sha256 intact, the UDP flow answered by the same real
// server, and new connections after the failback land where the persistence template says.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { type LabDirector, directorStatus, sleep, spawnClient, startDirector, until } from './sync-directors.js';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { type LabMode, prepareRealServers } from '../../src/lab/modes.js';
import { addr4, LAB_ADDR } from '../../src/lab/topology.js';
import { ROOT } from '../helpers/cli.js';

const skip =
  (process.getuid?.() !== 0 && 'needs root (network namespaces)') ||
  (!existsSync(path.join(ROOT, 'dist/cli/ulvs.js')) && 'needs dist/ (npx tsc -p tsconfig.build.json)');
const VIP = LAB_ADDR.vip4;
const ECHO = 7000;
const UPLOAD = 7001;
const UDP = 7002;
const IDLE = 200;
/**
 * Upload size: the issue's 100 MB (paced during the failover, then the rest at full speed; about 28 s a
 * file on 2 shared cores); ULVS_UPLOAD_MB=N for another size.
 */
const UPLOAD_MB = Number(process.env.ULVS_UPLOAD_MB ?? 100);

function conf(lab: Lab, priority: number, mode: LabMode): string {
  const rs = (port: number): string =>
    lab
      .byRole('realserver')
      .map((r) => `  real_server ${addr4(r)} ${port} {\n    weight 1\n  }\n`)
      .join('');
  const vs = (port: number, proto: string): string =>
    `virtual_server ${VIP} ${port} {\n  lb_algo rr\n  lb_kind ${mode.toUpperCase()}\n  protocol ${proto}\n  persistence_timeout 300\n${rs(port)}}\n`;
  return (
    `global_defs {\n  lvs_sync_daemon eth0 VI_1 id 6\n}\n` +
    `vrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 54\n  version 3\n  priority ${priority}\n  advert_int 0.5\n` +
    `  virtual_ipaddress {\n    ${VIP}/24\n${mode === 'nat' ? `    ${LAB_ADDR.natGateway4}/24\n` : ''}  }\n}\n` +
    vs(ECHO, 'TCP') +
    vs(UPLOAD, 'TCP') +
    vs(UDP, 'UDP')
  );
}

// Real server: TCP echo (its name first), TCP upload (answers "<name> <bytes> <sha256>" at the end), UDP echo.
const REAL = `
const net = require('node:net'), dgram = require('node:dgram'), crypto = require('node:crypto');
const [name, udpAddr] = process.argv.slice(1);
net.createServer((s) => { s.on('error', () => {}); s.write(name + '\\n'); s.pipe(s); }).listen(${ECHO});
net.createServer((s) => {
  const h = crypto.createHash('sha256'); let n = 0;
  s.on('error', () => {});
  s.on('data', (d) => { h.update(d); n += d.length; });
  s.on('end', () => s.end(name + ' ' + n + ' ' + h.digest('hex') + '\\n'));
}).listen(${UPLOAD});
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(name + ' ' + m, r.port, r.address));
u.bind(${UDP}, udpAddr, () => console.log('ready'));
`;

// The client. stdin commands: "ping" (every idle connection sends a line, answers "pinged <ok> <bad>"),
// "new" (3 new connections, answers "new <servers>"), "finish" (the upload sends the rest and ends),
// "report" (one JSON line, then exit).
const CLIENT = `
const net = require('node:net'), dgram = require('node:dgram'), crypto = require('node:crypto');
const VIP = '${VIP}', TOTAL = ${UPLOAD_MB} << 20, CHUNK = 64 << 10;
const idle = [];
let ready = 0;
for (let i = 0; i < ${IDLE}; i++) {
  const c = { server: '', buf: '', want: [], ok: 0, bad: 0, error: '', closed: false };
  const s = net.connect(${ECHO}, VIP);
  s.setEncoding('utf8');
  s.on('data', (d) => {
    c.buf += d;
    let k;
    while ((k = c.buf.indexOf('\\n')) >= 0) {
      const line = c.buf.slice(0, k); c.buf = c.buf.slice(k + 1);
      if (!c.server) { c.server = line; s.write('hello-' + i + '\\n'); c.want.push('hello-' + i); continue; }
      if (line === c.want.shift()) { c.ok++; if (c.ok === 1 && ++ready === ${IDLE}) console.log('ready'); } else c.bad++;
    }
  });
  s.on('error', (e) => { c.error = e.code || e.message; });
  s.on('close', () => { c.closed = true; });
  c.sock = s;
  idle.push(c);
}
const up = { server: '', sent: 0, answer: '', error: '', closed: false, finish: false };
const hash = crypto.createHash('sha256');
const block = crypto.randomBytes(CHUNK);
const us = net.connect(${UPLOAD}, VIP);
us.on('data', (d) => { up.answer += d; });
us.on('error', (e) => { up.error = e.code || e.message; });
us.on('close', () => { up.closed = true; });
function pump() {
  // Paced (1 MB/s) until "finish", then as fast as the path takes it; never more than TOTAL.
  const n = up.finish ? 16 : 1;
  for (let i = 0; i < n && up.sent < TOTAL; i++) {
    const b = Buffer.from(block); b.writeUInt32BE(up.sent >>> 0, 0);
    const len = Math.min(CHUNK, TOTAL - up.sent);
    const part = b.subarray(0, len);
    hash.update(part); up.sent += len;
    if (!us.write(part)) { us.once('drain', pump); return; }
  }
  if (up.sent >= TOTAL) { if (up.finish) { up.digest = hash.digest('hex'); us.end(); } else setTimeout(pump, 64); return; }
  setTimeout(pump, up.finish ? 0 : 64);
}
us.on('connect', pump);
const udp = { sent: 0, got: 0, servers: {}, lastAt: 0 };
const u = dgram.createSocket('udp4');
u.on('message', (m) => { const who = String(m).split(' ')[0]; udp.servers[who] = (udp.servers[who] || 0) + 1; udp.got++; udp.lastAt = Date.now(); });
u.on('error', () => {});
setInterval(() => { u.send('u' + udp.sent++, ${UDP}, VIP); }, 100);
let pingNo = 0;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  for (const cmd of d.split('\\n').filter(Boolean)) {
    if (cmd === 'ping') {
      const no = ++pingNo;
      const before = idle.map((c) => c.ok);
      for (const [i, c] of idle.entries()) if (!c.closed) { const l = 'ping-' + no + '-' + i; c.want.push(l); c.sock.write(l + '\\n'); }
      let tries = 0;
      const check = () => {
        const ok = idle.filter((c, i) => c.ok > before[i]).length;
        if (ok === idle.length || ++tries > 80) console.log('pinged ' + no + ' ' + ok + ' ' + idle.filter((c) => c.bad || c.closed || c.error).length);
        else setTimeout(check, 100);
      };
      setTimeout(check, 100);
    } else if (cmd === 'new') {
      const got = [];
      for (let k = 0; k < 3; k++) {
        const s = net.connect(${ECHO}, VIP);
        s.setEncoding('utf8');
        s.once('data', (d) => { got.push(d.split('\\n')[0]); s.destroy(); if (got.length === 3) console.log('new ' + got.join(',')); });
        s.on('error', (e) => { got.push('ERR:' + (e.code || e.message)); if (got.length === 3) console.log('new ' + got.join(',')); });
      }
    } else if (cmd === 'finish') { up.finish = true; }
    else if (cmd === 'report') { if (up.answer.includes('\\n') || up.error || up.closed) report(); else us.once('close', report); }
  }
});
function report() {
  {
    {
      const servers = {};
      for (const c of idle) servers[c.server] = (servers[c.server] || 0) + 1;
      console.log('report ' + JSON.stringify({
        idle: { servers, bad: idle.filter((c) => c.bad).length, reset: idle.filter((c) => c.error || c.closed).map((c) => c.error || 'closed') },
        upload: { sent: up.sent, answer: up.answer.trim(), digest: up.digest, error: up.error },
        udp,
      }));
      process.exit(0);
    }
  }
}
`;

interface Status {
  vrrp: Array<{ state: string }>;
  sync: Array<{ state: string; caughtUp: boolean; installedNew: number; bulkRequests: number; entriesReceived: number; lastFullSyncMs: number }>;
}

/** The test for one LVS mode. */
export function testSyncFailback(mode: LabMode): void {
  t.test(
    `${mode.toUpperCase()}: idle connections, an upload and a UDP flow survive kill -9 of the MASTER and a failback that waits for the bulk sync`,
    { skip, timeout: 90000 },
    async (t) => {
      const lab = await Lab.up({ id: uniqueLabId() });
      t.teardown(() => lab.down());
      const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-syncfb-'));
      t.teardown(() => rmSync(dir, { recursive: true, force: true }));
      t.teardown(await prepareRealServers(lab, mode));
      for (const rs of lab.byRole('realserver')) {
        const p = lab.spawn(rs.name, [process.execPath, '-e', REAL, rs.name, mode === 'dr' ? VIP : '0.0.0.0']);
        t.teardown(() => {
          p.kill('SIGKILL');
        });
      }
      const daemons = new Map<string, LabDirector>();
      const start = (node: string, prio: number): void => {
        const file = path.join(dir, `${node}.conf`);
        writeFileSync(file, conf(lab, prio, mode));
        daemons.set(node, startDirector(t, lab, node, file, dir));
      };
      const status = (node: string): Promise<Status | undefined> => directorStatus<Status>(daemons.get(node));
      const role = async (node: string): Promise<string | undefined> => (await status(node))?.vrrp[0]?.state;

      start('lb1', 150);
      if (!t.ok(await until(async () => (await role('lb1')) === 'MASTER', 15000), 'lb1 becomes MASTER')) return void t.comment(daemons.get('lb1')?.log());
      start('lb2', 100);
      if (!t.ok(await until(async () => (await status('lb2'))?.sync[0]?.caughtUp === true, 15000), 'lb2 is BACKUP and caught up'))
        return void t.comment(daemons.get('lb2')?.log());

      const { proc: client, out } = spawnClient(t, lab, 'client', CLIENT);
      const line = async (re: RegExp, ms: number): Promise<RegExpMatchArray | null> => {
        await until(() => re.test(out()), ms);
        return out().match(re);
      };
      if (!t.ok(await line(/^ready$/m, 10000), `${IDLE} idle connections open and echoing through lb1`)) return;
      t.ok(await until(async () => ((await status('lb2'))?.sync[0]?.installedNew ?? 0) >= IDLE + 2, 5000), 'lb2 received them over the sync protocol');

      daemons.get('lb1')!.kill();
      await sleep(600);
      await lab.exec('lb1', ['ip', 'link', 'set', 'eth0', 'down']);
      t.ok(await until(async () => (await role('lb2')) === 'MASTER', 10000), 'lb2 takes over');
      client.stdin!.write('ping\n');
      const p1 = await line(/^pinged 1 (\d+) (\d+)$/m, 12000);
      t.equal(Number(p1?.[1]), IDLE, `after the takeover every idle connection echoes (${p1?.[1]}/${IDLE})`);

      // The idle connections were sent to lb2 once, when they reached the threshold; lb2 does not send them
      // again before its 30 s full sync. The returning lb1 must ask for them before it preempts.
      // The machine comes back as it booted: link up, its default route again (link down had flushed it).
      await lab.exec('lb1', ['ip', 'link', 'set', 'eth0', 'up']);
      await lab.exec('lb1', ['ip', 'route', 'replace', 'default', 'via', LAB_ADDR.router4]);
      start('lb1', 150);
      t.ok(await until(async () => (await role('lb1')) === 'MASTER', 20000), 'lb1 preempts again');
      await until(async () => (await role('lb2')) === 'BACKUP', 5000);
      client.stdin!.write('ping\n');
      const p2 = await line(/^pinged 2 (\d+) (\d+)$/m, 12000);
      t.equal(Number(p2?.[1]), IDLE, `after the failback every idle connection echoes (${p2?.[1]}/${IDLE})`);
      client.stdin!.write('new\n');
      const fresh = (await line(/^new (.*)$/m, 8000))?.[1]?.split(',') ?? [];
      client.stdin!.write('finish\n');
      client.stdin!.write('report\n');
      const r = await line(/^report (.*)$/m, 30000);
      const rep = JSON.parse(r?.[1] ?? 'null') as {
        idle: { servers: Record<string, number>; bad: number; reset: string[] };
        upload: { sent: number; answer: string; digest?: string; error: string };
        udp: { sent: number; got: number; servers: Record<string, number> };
      } | null;
      if (!t.ok(rep, 'the client reported')) return void t.comment(out());
      t.comment(`client: ${JSON.stringify(rep)}`);
      const idleServers = Object.keys(rep!.idle.servers);
      t.equal(idleServers.length, 1, `persistence: every idle connection on one real server (${idleServers.join(',')})`);
      t.same(rep!.idle.reset, [], '0 idle connections reset or closed');
      t.equal(rep!.idle.bad, 0, 'every echoed line intact and in order');
      t.same(fresh, [idleServers[0], idleServers[0], idleServers[0]], `new connections after the failback follow the template to ${idleServers[0]}`);
      const [who, bytes, digest] = rep!.upload.answer.split(' ');
      t.equal(rep!.upload.error, '', 'the upload was not reset');
      t.equal(Number(bytes), UPLOAD_MB << 20, `${UPLOAD_MB} MB arrived at ${who}`);
      t.ok(digest && digest === rep!.upload.digest, `its sha256 matches what was sent (${digest})`);
      const udpServers = Object.keys(rep!.udp.servers);
      t.equal(udpServers.length, 1, `the UDP flow was answered by one real server throughout (${udpServers.join(',')})`);
      t.ok(rep!.udp.got >= rep!.udp.sent * 0.5, `UDP flow continued: ${rep!.udp.got} of ${rep!.udp.sent} answered`);
      const lb1Log = daemons.get('lb1')?.log() ?? '';
      const caught = lb1Log.indexOf('caught up with the master');
      const master = lb1Log.search(/vrrp state .*to=MASTER/);
      t.ok(caught >= 0 && master > caught, 'the returning lb1 had the whole table (bulk sync) before it became MASTER');
      if (caught < 0 || master < caught) t.comment(`lb1 log: ${lb1Log.slice(-3000)}`);
    },
  );
}
