// The real daemon (`ulvs run`) in a lab director namespace: ulvsadm add/edit/delete while traffic runs
// and traffic follows; ulvsadm --stats and /metrics count what was sent; 20 reloads under wrk load with
// zero failed requests; SIGTERM removes what the daemon installed.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, addr4 } from '../../src/lab/topology.js';
import { countByServer, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { main as ulvsadm } from '../../src/cli/ulvsadm.js';
import { run as exec } from '../../src/util/exec.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const notRoot = process.getuid?.() !== 0 && 'needs root (network namespaces)';
const noAddon = !existsSync(path.join(root, 'build/Release/ulvs_native.node')) && 'the native addon is not built (node scripts/build-native.mjs)';

async function adm(socketPath: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await ulvsadm(argv, {
    socketPath,
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    readStdin: async () => '',
  });
  return { code, out, err };
}

function conf(vip: string, rss: Array<[string, number]>): string {
  return (
    `virtual_server ${vip} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n` +
    rss.map(([a, w]) => `  real_server ${a} ${LAB_HTTP_PORT} {\n    weight ${w}\n  }\n`).join('') +
    '}\n'
  );
}

t.test('daemon + ulvsadm + reload in a lab', { skip: notRoot || noAddon, timeout: 240000 }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-daemon-lab-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const undoRs = await prepareRealServers(lab, 'nat');
  t.teardown(undoRs);
  await lab.execOk('lb1', ['ip', 'addr', 'add', `${LAB_ADDR.natGateway4}/24`, 'dev', 'eth0']);
  await lab.execOk('lb1', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  const rs = lab.byRole('realserver');
  const vip = LAB_ADDR.vip4;
  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, conf(vip, [[addr4(rs[0]), 1]]));
  const runDir = path.join(dir, 'run');
  const metricsPort = 19000 + (process.pid % 500);
  // The built CLI starts in a second; the TS source under the test loader takes ~40 s to transpile.
  const dist = path.join(root, 'dist/cli/commands/run.js');
  const entry = existsSync(dist) ? [dist] : [...process.execArgv, path.join(root, 'src/cli/commands/run.ts')];
  const argv = [process.execPath, ...entry, '-f', file, '--metrics', `127.0.0.1:${metricsPort}`];
  // Default pid file and socket: <ULVS_RUN_DIR>/<inode of lb1's /proc/self/ns/net>/ulvs.{pid,sock}.
  const env = { ...process.env, ULVS_RUN_DIR: runDir };
  const child = lab.spawn('lb1', argv, { env });
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
  for (let i = 0; i < 600 && !log.includes('metrics listening') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 200));
  if (!log.includes('metrics listening')) {
    t.fail(`daemon did not start:\n${log}`);
    return;
  }
  // The daemon's default socket is per network namespace: its status names lb1's namespace.
  const nsIno = (await lab.execOk('lb1', ['stat', '-L', '-c', '%i', '/proc/self/ns/net'])).trim();
  const sock = path.join(runDir, nsIno, 'ulvs.sock');
  t.ok(existsSync(path.join(runDir, nsIno, 'ulvs.pid')), 'pid file under the namespace id');
  const bin = path.join(root, 'bin/ulvsadm.mjs');
  if (existsSync(path.join(root, 'dist/cli/ulvsadm.js'))) {
    const inNs = await lab.exec('lb1', [process.execPath, bin, '-L', '-n'], { env });
    t.match(inNs.stdout, /TCP  198\.18\.0\.100:80 rr/, "ip netns exec lb1 ulvsadm -L -n talks to lb1's daemon");
    const inLb2 = await lab.exec('lb2', [process.execPath, bin, '-L', '-n'], { env });
    t.equal(inLb2.code, 2, "no daemon in lb2's namespace");
  }
  t.match((await adm(sock, ['-L', '-n'])).out, new RegExp(`TCP  ${vip.replace(/\./g, '\\.')}:80 rr`));
  const { callOnce } = await import('../../src/api/client.js');
  t.equal((await callOnce<{ netns: string }>(sock, 'status')).netns, nsIno);

  const names = rs.map((r) => r.name);
  let sent = 0;
  const ask = async (n: number) => {
    sent += n;
    return countByServer(await requestsThroughVip(lab, n));
  };
  const only = (c: Record<string, number>) =>
    Object.keys(c)
      .filter((k) => c[k] > 0)
      .sort();
  t.same(only(await ask(4)), [names[0]], 'config service: rs1 only');
  t.equal((await adm(sock, ['-a', '-t', `${vip}:80`, '-r', addr4(rs[1]), '-m'])).code, 0);
  t.same(only(await ask(6)), [names[0], names[1]].sort(), 'ulvsadm -a: rs2 joins');
  t.equal((await adm(sock, ['-e', '-t', `${vip}:80`, '-r', addr4(rs[0]), '-m', '-w', '0'])).code, 0);
  t.same(only(await ask(4)), [names[1]], 'ulvsadm -e -w 0: rs1 quiesced');
  t.equal((await adm(sock, ['-d', '-t', `${vip}:80`, '-r', addr4(rs[1])])).code, 0);
  t.equal((await adm(sock, ['-e', '-t', `${vip}:80`, '-r', addr4(rs[0]), '-m', '-w', '1'])).code, 0);
  t.same(only(await ask(4)), [names[0]], 'ulvsadm -d: rs2 gone');

  const conns = (await adm(sock, ['-L', '-n', '-c'])).out;
  t.match(
    conns,
    /^IPVS connection entries\npro expire state       source             virtual            destination\nTCP \d\d:\d\d  \w+ +198\.18\.1\.2:\d+ +198\.18\.0\.100:80 +198\.18\.0\.2\d:80\n/,
    `-L -n -c lists the connections:\n${conns}`,
  );
  const stats = (await adm(sock, ['-L', '-n', '--stats', '--exact'])).out;
  const m = new RegExp(`TCP  ${vip.replace(/\./g, '\\.')}:80 +(\\d+)`).exec(stats);
  t.equal(Number(m?.[1]), sent, `--stats Conns equals requests sent:\n${stats}`);
  // /metrics listens on lb1's loopback.
  const metrics = (await lab.execOk('lb1', ['curl', '-s', `http://127.0.0.1:${metricsPort}/metrics`])).toString();
  t.match(
    metrics,
    new RegExp(`ulvs_virtual_service_connections_total\\{service="TCP ${vip.replace(/\./g, '\\.')}:80"\\} ${sent}\\n`),
    '/metrics matches traffic sent',
  );
  // The names node_exporter's IPVS collector gives the same numbers, for dashboards built on kernel IPVS.
  t.match(metrics, new RegExp(`\\nnode_ipvs_connections_total ${sent}\\n`), 'node_ipvs_connections_total matches traffic sent');
  t.match(
    metrics,
    new RegExp(
      `node_ipvs_backend_weight\\{local_address="${vip.replace(/\./g, '\\.')}",local_port="80",remote_address="${addr4(rs[0]).replace(/\./g, '\\.')}",remote_port="80",proto="TCP",local_mark=""\\} 1\\n`,
    ),
    'node_ipvs_backend_weight of rs1 (weight 1 after -e)',
  );

  // 20 reloads under wrk load: zero failed requests.
  writeFileSync(
    file,
    conf(vip, [
      [addr4(rs[0]), 1],
      [addr4(rs[1]), 1],
      [addr4(rs[2]), 1],
    ]),
  );
  await callOnce(sock, 'reload');
  const wrk = exec(['ip', 'netns', 'exec', lab.ns('client'), 'wrk', '-t1', '-c8', '-d12s', '--timeout', '2s', `http://${vip}:${LAB_HTTP_PORT}/`], {
    timeoutMs: 30000,
  });
  let reloads = 0;
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 400));
    writeFileSync(
      file,
      conf(vip, [
        [addr4(rs[0]), 1 + (i % 3)],
        [addr4(rs[1]), 1],
        [addr4(rs[2]), 2 - (i % 2)],
      ]),
    );
    await callOnce(sock, 'reload');
    reloads++;
  }
  const w = await wrk;
  t.equal(reloads, 20);
  const reqs = Number(/(\d+) requests in/.exec(w.stdout)?.[1] ?? 0);
  t.ok(reqs > 0, `wrk sent requests:\n${w.stdout}${w.stderr}`);
  t.notMatch(w.stdout, /Socket errors|Non-2xx/, `zero failed requests during 20 reloads:\n${w.stdout}`);

  // A second VIP while traffic flows on the first: the rings' BPF filter is swapped in place (the worker
  // pool, and so its packet counter, carries on), and no connection of the first VIP fails meanwhile.
  const workerPackets = async (): Promise<number> => {
    const text = (await lab.execOk('lb1', ['curl', '-s', `http://127.0.0.1:${metricsPort}/metrics`])).toString();
    return [...text.matchAll(/^ulvs_worker_packets_total\{[^}]*\} (\d+)/gm)].reduce((a, x) => a + Number(x[1]), 0);
  };
  const vip2 = '198.18.0.101';
  const before = await workerPackets();
  t.ok(before > 0, `worker packets counted before: ${before}`);
  const wrk2 = exec(['ip', 'netns', 'exec', lab.ns('client'), 'wrk', '-t1', '-c8', '-d4s', '--timeout', '2s', `http://${vip}:${LAB_HTTP_PORT}/`], {
    timeoutMs: 30000,
  });
  await new Promise((r) => setTimeout(r, 1000));
  t.equal((await adm(sock, ['-A', '-t', `${vip2}:80`, '-s', 'rr'])).code, 0, 'ulvsadm -A on a new VIP');
  t.equal((await adm(sock, ['-a', '-t', `${vip2}:80`, '-r', addr4(rs[2]), '-m'])).code, 0);
  const w2 = await wrk2;
  t.notMatch(w2.stdout, /Socket errors|Non-2xx/, `no failed request on the first VIP while the second was added:\n${w2.stdout}`);
  const answer = await lab.exec('client', ['curl', '-s', '-m', '3', `http://${vip2}:${LAB_HTTP_PORT}/`]);
  t.match(answer.stdout, new RegExp(`^${names[2]}`), 'the new VIP answers from its real server');
  const after = await workerPackets();
  t.ok(after > before, `the worker pool was not restarted: packet counter went on from ${before} to ${after}`);

  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean stop on SIGTERM');
  t.notOk(existsSync(sock), 'socket removed');
  t.notOk(existsSync(path.join(runDir, nsIno)), "the namespace's run directory removed");
  t.notOk(existsSync(runDir), 'and the empty base run directory');
  const left = await lab.exec('lb1', ['iptables-save']);
  t.notMatch(left.stdout, /ulvs/, 'netfilter rules removed');
});
