// Connection sync (issue 18), the body of sync-failover-{nat,dr}.test.ts (not a test file itself):
// two directors, each `ulvs run -f FILE` with keepalived's
// `lvs_sync_daemon eth0 VI_1 id 5`, VRRP MASTER/BACKUP and a NAT or DR service over the lab's real servers
// (socat echo servers that first say their name). A client holds 4 long-lived TCP sessions through the
// VIP, exchanging a line every 100 ms. The MASTER dies (kill -9 of its daemon, 600 ms later its link goes down,
// as a dead machine); the BACKUP, which received the connections over the sync protocol, takes over:
// every session goes on, its bytes echoed intact by the same real server, none reset.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { LAB_ADDR, addr4 } from '../../src/lab/topology.js';
import { prepareRealServers, type LabMode } from '../../src/lab/modes.js';
import { callOnce } from '../../src/api/client.js';
import { type LabDirector, directorStatus, sleep, spawnClient, startDirector, until } from './sync-directors.js';
import { ROOT } from '../helpers/cli.js';

const skip =
  (process.getuid?.() !== 0 && 'needs root (network namespaces)') ||
  (!existsSync(path.join(ROOT, 'dist/cli/ulvs.js')) && 'needs dist/ (npx tsc -p tsconfig.build.json)') ||
  (!existsSync('/usr/bin/socat') && 'needs socat (apt-get install socat)');
const VIP = LAB_ADDR.vip4;
const PORT = 7000;
const SESSIONS = 4;

function conf(lab: Lab, priority: number, mode: LabMode, node: string): string {
  // ULVS_SYNC_OFF=1: the same run without connection sync, for the before/after figure of bench/sync.md;
  // ULVS_SYNC_UNICAST=1: unicast to the other director (lvs_sync_daemon ... peer ADDR) instead of multicast.
  const other = lab.byRole('director').find((d) => d.name !== node);
  const peer = process.env.ULVS_SYNC_UNICAST && other ? ` peer ${addr4(other)}` : '';
  return (
    (process.env.ULVS_SYNC_OFF ? '' : `global_defs {\n  lvs_sync_daemon eth0 VI_1 id 5${peer}\n}\n`) +
    `vrrp_instance VI_1 {\n  state BACKUP\n  nopreempt\n  interface eth0\n  virtual_router_id 53\n  version 3\n  priority ${priority}\n  advert_int 0.5\n` +
    `  virtual_ipaddress {\n    ${VIP}/24\n${mode === 'nat' ? `    ${LAB_ADDR.natGateway4}/24\n` : ''}  }\n}\n` +
    `virtual_server ${VIP} ${PORT} {\n  lb_algo rr\n  lb_kind ${mode.toUpperCase()}\n  protocol TCP\n` +
    lab
      .byRole('realserver')
      .map((rs) => `  real_server ${addr4(rs)} ${PORT} {\n    weight 1\n  }\n`)
      .join('') +
    '}\n'
  );
}

// The client: SESSIONS connections; each reads the server's name, then sends "<i>-<n>\n" every 100 ms
// and checks every echoed line comes back in order. "mark" on stdin starts counting the lines echoed
// after it; "report" prints one JSON line and exits.
const CLIENT = `
const net = require('node:net');
const s = [];
for (let i = 0; i < ${SESSIONS}; i++) {
  const c = { server: '', sent: 0, echoed: 0, afterMark: 0, bad: 0, error: '', closed: false, buf: '' };
  const sock = net.connect(${PORT}, '${VIP}');
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    c.buf += d;
    let k;
    while ((k = c.buf.indexOf('\\n')) >= 0) {
      const line = c.buf.slice(0, k); c.buf = c.buf.slice(k + 1);
      if (!c.server) { c.server = line; console.log('ready ' + i + ' ' + line); continue; }
      if (line === i + '-' + c.echoed) { c.echoed++; if (marked) c.afterMark++; } else c.bad++;
    }
  });
  sock.on('error', (e) => { c.error = e.code || e.message; });
  sock.on('close', () => { c.closed = true; });
  setInterval(() => { if (c.server && !c.closed) sock.write(i + '-' + (c.sent++) + '\\n'); }, 100);
  s.push(c);
}
let marked = false;
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('mark')) marked = true;
  if (d.includes('report')) { console.log('report ' + JSON.stringify(s.map(({ buf, ...c }) => c))); process.exit(0); }
});
`;

/** The test for one LVS mode. */
export function testSyncFailover(mode: LabMode): void {
  t.test(`established ${mode.toUpperCase()} connections survive kill -9 of the MASTER: same real server, bytes intact`, { skip, timeout: 60000 }, async (t) => {
    const lab = await Lab.up({ id: uniqueLabId() });
    t.teardown(() => lab.down());
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-sync-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    t.teardown(await prepareRealServers(lab, mode));
    for (const rs of lab.byRole('realserver')) {
      const echo = lab.spawn(rs.name, ['socat', `TCP-LISTEN:${PORT},fork,reuseaddr`, `SYSTEM:echo ${rs.name}; exec cat`]);
      t.teardown(() => {
        echo.kill('SIGKILL');
      });
    }
    const daemons = new Map<string, LabDirector>();
    const start = (node: string, prio: number): void => {
      const file = path.join(dir, `${node}.conf`);
      writeFileSync(file, conf(lab, prio, mode, node));
      daemons.set(node, startDirector(t, lab, node, file, dir));
    };
    type Status = {
      vrrp: Array<{ state: string }>;
      sync: Array<{ state: string; entriesReceived: number; entriesSent: number; installedNew: number; drops: Record<string, number> }>;
    };
    const status = (node: string): Promise<Status | undefined> => directorStatus<Status>(daemons.get(node));
    start('lb1', 150);
    if (!t.ok(await until(async () => (await status('lb1'))?.vrrp[0]?.state === 'MASTER', 15000), 'lb1 becomes MASTER')) {
      t.comment(daemons.get('lb1')!.log());
      return;
    }
    start('lb2', 100);
    const off = !!process.env.ULVS_SYNC_OFF;
    if (
      !t.ok(
        await until(async () => {
          const s = await status('lb2');
          return s?.vrrp[0]?.state === 'BACKUP' && (off || s.sync.some((x) => x.state === 'backup'));
        }, 15000),
        'lb2 is BACKUP and runs the backup sync daemon',
      )
    ) {
      t.comment(daemons.get('lb2')!.log());
      return;
    }
    t.match((await status('lb1'))?.sync, off ? [] : [{ state: 'master' }], 'lb1 runs the master sync daemon');
    const listed = await lab.exec('lb2', [process.execPath, path.join(ROOT, 'bin/ulvsadm.mjs'), '-L', '--daemon'], {
      env: { ...process.env, ULVS_SOCKET: daemons.get('lb2')!.sock },
    });
    t.equal(
      listed.stdout,
      off ? '' : 'backup sync daemon (mcast=eth0, syncid=5, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
      'ulvsadm -L --daemon on the BACKUP',
    );

    const { proc: client, out } = spawnClient(t, lab, 'client', CLIENT);
    if (!t.ok(await until(async () => (out().match(/^ready /gm) ?? []).length === SESSIONS, 10000), `${SESSIONS} sessions open through lb1`)) return;
    const servers: string[] = [];
    for (const m of out().matchAll(/^ready (\d+) (\S+)/gm)) servers[Number(m[1])] = m[2]!;
    t.ok(off || (await until(async () => ((await status('lb2'))?.sync[0]?.installedNew ?? 0) >= SESSIONS, 5000)), 'lb2 received and installed the sessions');
    if (off) await sleep(1000);
    const synced = (await status('lb2'))?.sync[0];
    t.comment(`lb2 backup sync: ${JSON.stringify(synced)}`);

    daemons.get('lb1')!.kill();
    // The daemon died, its machine lives on for a moment (a crash, then the machine goes too): packets that
    // reach it meanwhile must be dropped (retransmitted later to the new MASTER), never answered with a reset.
    await sleep(600);
    await lab.exec('lb1', ['ip', 'link', 'set', 'eth0', 'down']);
    const tKill = Date.now();
    if (!t.ok(await until(async () => (await status('lb2'))?.vrrp[0]?.state === 'MASTER', 10000), 'lb2 takes over')) t.comment(daemons.get('lb2')!.log());
    t.comment(`takeover after ${Date.now() - tKill} ms`);
    await sleep(300);
    client.stdin!.write('mark\n');
    await sleep(1500);
    client.stdin!.write('report\n');
    await until(async () => out().includes('report '), 5000);
    const report = JSON.parse(/^report (.*)$/m.exec(out())?.[1] ?? '[]') as Array<{
      server: string;
      sent: number;
      echoed: number;
      afterMark: number;
      bad: number;
      error: string;
      closed: boolean;
    }>;
    t.equal(report.length, SESSIONS, 'the client reported every session');
    t.comment(`client report: ${JSON.stringify(report)}`);
    report.forEach((c, i) => {
      t.equal(c.server, servers[i], `session ${i}: served by ${c.server}`);
      t.notOk(c.closed || c.error, `session ${i}: not reset or closed (${c.error || 'open'})`);
      t.ok(c.afterMark >= 5, `session ${i}: ${c.afterMark} lines echoed by ${c.server} after the takeover`);
      t.equal(c.bad, 0, `session ${i}: every echoed line intact and in order`);
    });
    if (report.some((c) => c.closed || c.error)) {
      // Evidence for a failure: what the new MASTER's table and data plane say.
      t.comment(`lb2 connections: ${JSON.stringify(await callOnce(daemons.get('lb2')!.sock, 'connections'))}`);
      t.comment(
        `lb2 data plane: ${JSON.stringify(((await callOnce(daemons.get('lb2')!.sock, 'status')) as { dataPlaneCounters: unknown }).dataPlaneCounters)}`,
      );
      t.comment(`lb2 log: ${daemons.get('lb2')!.log().slice(-3000)}`);
    }
    t.comment(`sessions kept ${report.filter((c) => !c.closed && !c.error && c.afterMark > 0).length}/${SESSIONS}, servers ${servers.join(',')}`);
    t.comment(`lb2 after takeover: ${JSON.stringify((await status('lb2'))?.sync)}`);
  });
}
