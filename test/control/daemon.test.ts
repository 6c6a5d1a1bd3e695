// The daemon with a fake config loader and the NullDataPlane: start, ulvsadm over the real socket,
// reload diff (config services vs ulvsadm-added ones), refused reloads, clean stop, stale files.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Daemon } from '../../src/control/daemon.js';
import { DaemonStartError } from '../../src/control/daemon-options.js';
import { NullDataPlane } from '../../src/control/ports.js';
import type { ConfigLoad } from '../../src/control/config-source.js';
import { createLogger } from '../../src/control/logger.js';
import { main as ulvsadm } from '../../src/cli/ulvsadm.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';

function vs(address: string, port: number, dests: Array<[string, number]>, scheduler = 'wlc'): VirtualServiceSpec {
  return {
    key: { kind: 'addr', protocol: 'tcp', family: 4, address, port },
    scheduler,
    schedFlags: [],
    persistenceTimeoutS: 0,
    netmask: '255.255.255.255',
    onePacket: false,
    persistenceEngine: '',
    realServers: dests.map(([a, w]) => ({ address: a, port, forward: 'nat', weight: w, upperThreshold: 0, lowerThreshold: 0 })),
  };
}

// The fake "keepalived.conf" is JSON: {"services": [...]} or {"errors": [...]}.
async function fakeLoad(file: string): Promise<ConfigLoad> {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { services?: VirtualServiceSpec[]; errors?: string[] };
  return { ok: !j.errors, errors: j.errors ?? [], warnings: [], services: j.services ?? [], hasVrrp: false };
}

async function run(argv: string[], socketPath: string, stdin = ''): Promise<{ code: number; out: string; err: string }> {
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
    readStdin: async () => stdin,
  });
  return { code, out, err };
}

function setup(t: { teardown(fn: () => unknown): void }, services: VirtualServiceSpec[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-daemon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'keepalived.conf');
  writeFileSync(conf, JSON.stringify({ services }));
  const logs: string[] = [];
  const d = new Daemon({
    configFile: conf,
    socketPath: path.join(dir, 'run', 'ulvs.sock'),
    pidPath: path.join(dir, 'ulvs.pid'),
    logger: createLogger(false, (l) => logs.push(l)),
    loadConfig: fakeLoad,
    dataPlane: new NullDataPlane(),
  });
  t.teardown(() => d.stop());
  return { dir, conf, d, logs, sock: path.join(dir, 'run', 'ulvs.sock') };
}

t.test('start applies the config; socket is 0600 in a 0700 dir; pid file written', async (t) => {
  const { d, sock, dir } = setup(t, [
    vs('10.0.0.1', 80, [
      ['192.168.10.1', 1],
      ['192.168.10.2', 2],
    ]),
  ]);
  await d.start();
  t.equal(statSync(sock).mode & 0o777, 0o600);
  t.equal(statSync(path.dirname(sock)).mode & 0o777, 0o700);
  t.equal(readFileSync(path.join(dir, 'ulvs.pid'), 'utf8').trim(), String(process.pid));
  const r = await run(['-L', '-n'], sock);
  t.equal(r.code, 0);
  t.equal(
    r.out,
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.1:80 wlc',
      '  -> 192.168.10.1:80              Masq    1      0          0         ',
      '  -> 192.168.10.2:80              Masq    2      0          0         ',
      '',
    ].join('\n'),
  );
});

t.test('ulvsadm add/edit/delete with ipvsadm messages and exit codes', async (t) => {
  const { d, sock } = setup(t, []);
  await d.start();
  t.equal((await run(['-A', '-t', '10.0.0.9:443', '-s', 'rr'], sock)).code, 0);
  const dup = await run(['-A', '-t', '10.0.0.9:443'], sock);
  t.same([dup.code, dup.err], [255, 'Service already exists\n']);
  t.equal((await run(['-a', '-t', '10.0.0.9:443', '-r', '192.168.1.5', '-m', '-w', '3'], sock)).code, 0);
  const nod = await run(['-e', '-t', '10.0.0.9:443', '-r', '192.168.1.6', '-m'], sock);
  t.same([nod.code, nod.err], [255, 'No such destination\n']);
  const nos = await run(['-a', '-t', '10.0.0.8:443', '-r', '192.168.1.6'], sock);
  t.same([nos.code, nos.err], [255, 'Service not defined\n']);
  t.equal((await run(['-e', '-t', '10.0.0.9:443', '-r', '192.168.1.5', '-m', '-w', '7'], sock)).code, 0);
  t.equal((await run(['-S', '-n'], sock)).out, '-A -t 10.0.0.9:443 -s rr\n-a -t 10.0.0.9:443 -r 192.168.1.5:443 -m -w 7\n');
  const one = await run(['-L', '-n', '-t', '10.0.0.9:443'], sock);
  t.match(one.out, /^Prot LocalAddress:Port Scheduler Flags\n.*\nTCP  10\.0\.0\.9:443 rr\n  -> 192\.168\.1\.5:443 +Masq    7 /);
  const missing = await run(['-L', '-n', '-t', '10.0.0.7:443'], sock);
  t.same([missing.code, missing.err], [1, 'No such service\n']);
  t.equal((await run(['-d', '-t', '10.0.0.9:443', '-r', '192.168.1.5'], sock)).code, 0);
  t.equal((await run(['-D', '-t', '10.0.0.9:443'], sock)).code, 0);
  const gone = await run(['-D', '-t', '10.0.0.9:443'], sock);
  t.same([gone.code, gone.err], [255, 'No such service\n']);
  t.equal((await run(['--set', '100', '0', '20'], sock)).code, 0);
  t.equal((await run(['-L', '--timeout'], sock)).out, 'Timeout (tcp tcpfin udp): 100 120 20\n');
  t.equal((await run(['-Z'], sock)).code, 0);
});

t.test('ulvsadm -S | ulvsadm -R round-trips', async (t) => {
  const a = setup(t, [
    vs(
      '10.0.0.1',
      80,
      [
        ['192.168.10.1', 1],
        ['192.168.10.2', 2],
      ],
      'sh',
    ),
  ]);
  await a.d.start();
  await run(['-A', '-u', '10.0.0.2:53', '-s', 'rr', '-p', '60', '-M', '255.255.255.0', '-o'], a.sock);
  await run(['-a', '-u', '10.0.0.2:53', '-r', '192.168.10.9', '-i', '-w', '0'], a.sock);
  await run(['-A', '-f', '7', '-s', 'mh', '-b', 'mh-port'], a.sock);
  t.equal((await run(['-a', '-f', '7', '-r', '192.168.10.7', '-i', '--tun-type', 'gue', '--tun-port', '6080', '--tun-csum'], a.sock)).code, 0);
  t.equal(
    (await run(['-a', '-f', '7', '-r', '192.168.10.8', '-i', '--tun-type', 'gre', '--tun-remcsum'], a.sock)).err,
    "Illegal 'tun-remcsum' option with the 'gre' tunnel type\n",
  );
  const saved = (await run(['-S', '-n'], a.sock)).out;
  t.match(saved, /^-a -f 7 -r 192\.168\.10\.7:0 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum$/m, 'gue port and checksum option saved');
  const b = setup(t, []);
  await b.d.start();
  const r = await run(['-R'], b.sock, saved);
  t.equal(r.code, 0, r.err);
  t.equal((await run(['-S', '-n'], b.sock)).out, saved);
  t.equal((await run(['-L', '-n'], b.sock)).out, (await run(['-L', '-n'], a.sock)).out);
});

t.test('reload: diff only, ulvsadm-added services stay, broken file changes nothing', async (t) => {
  const { d, sock, conf } = setup(t, [
    vs('10.0.0.1', 80, [
      ['192.168.10.1', 1],
      ['192.168.10.2', 1],
    ]),
    vs('10.0.0.3', 80, [['192.168.10.3', 1]]),
  ]);
  await d.start();
  await run(['-A', '-t', '10.0.0.50:8080', '-s', 'rr'], sock);
  await run(['-a', '-t', '10.0.0.50:8080', '-r', '192.168.10.50', '-m'], sock);
  const gen = d.table.generation;
  writeFileSync(
    conf,
    JSON.stringify({
      services: [
        vs('10.0.0.1', 80, [
          ['192.168.10.1', 1],
          ['192.168.10.4', 5],
        ]),
        vs('10.0.0.5', 80, [['192.168.10.5', 1]]),
      ],
    }),
  );
  const r = await d.reload();
  t.ok(r.ok);
  t.same(
    r.changes.sort(),
    [
      'add-dest TCP 10.0.0.5:80 -> 192.168.10.5:80',
      'add-dest TCP 10.0.0.1:80 -> 192.168.10.4:80',
      'add-service TCP 10.0.0.5:80',
      'del-dest TCP 10.0.0.1:80 -> 192.168.10.2:80',
      'del-service TCP 10.0.0.3:80',
    ].sort(),
  );
  t.ok(d.table.generation > gen);
  t.equal(
    (await run(['-S', '-n'], sock)).out,
    [
      '-A -t 10.0.0.1:80 -s wlc',
      '-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 1',
      '-a -t 10.0.0.1:80 -r 192.168.10.4:80 -m -w 5',
      '-A -t 10.0.0.5:80 -s wlc',
      '-a -t 10.0.0.5:80 -r 192.168.10.5:80 -m -w 1',
      '-A -t 10.0.0.50:8080 -s rr',
      '-a -t 10.0.0.50:8080 -r 192.168.10.50:8080 -m -w 1',
      '',
    ].join('\n'),
  );
  const before = (await run(['-S', '-n'], sock)).out;
  const g2 = d.table.generation;
  writeFileSync(conf, JSON.stringify({ errors: ["keepalived.conf:3: unknown keyword 'wieght'; did you mean 'weight'?"] }));
  const bad = await d.reload();
  t.notOk(bad.ok);
  t.equal(d.table.generation, g2, 'nothing touched');
  t.equal((await run(['-S', '-n'], sock)).out, before);
  // Same file again: no change at all.
  writeFileSync(
    conf,
    JSON.stringify({
      services: [
        vs('10.0.0.1', 80, [
          ['192.168.10.1', 1],
          ['192.168.10.4', 5],
        ]),
        vs('10.0.0.5', 80, [['192.168.10.5', 1]]),
      ],
    }),
  );
  const same = await d.reload();
  t.same(same.changes, []);
  t.equal(d.table.generation, g2);
});

t.test('reload over the API answers with errors for a broken file', async (t) => {
  const { d, sock, conf } = setup(t, []);
  await d.start();
  writeFileSync(conf, JSON.stringify({ errors: ['x.conf:1: bad'] }));
  const { callOnce } = await import('../../src/api/client.js');
  await t.rejects(callOnce(sock, 'reload'), { apiCode: 'reload-failed', message: /x\.conf:1: bad/ });
  const st = await callOnce<{ lastReload: { ok: boolean } }>(sock, 'status');
  t.equal(st.lastReload.ok, false);
});

t.test('a config with errors refuses the start: no pid file, no socket', async (t) => {
  const { d, conf, dir, sock } = setup(t, []);
  writeFileSync(conf, JSON.stringify({ errors: ['a.conf:2: weight needs a value'] }));
  await t.rejects(d.start(), { message: /has 1 error/ });
  t.ok(DaemonStartError);
  t.notOk(existsSync(path.join(dir, 'ulvs.pid')));
  t.notOk(existsSync(sock));
});

t.test('stale pid file and socket from a crash are cleaned; a live daemon is not', async (t) => {
  const { d, dir, sock } = setup(t, []);
  writeFileSync(path.join(dir, 'ulvs.pid'), '999999999\n');
  await d.start();
  t.equal(readFileSync(path.join(dir, 'ulvs.pid'), 'utf8').trim(), String(process.pid));
  // A second daemon on the same files is refused while the first runs (the pid file names a live node process).
  const { d: d2, conf: conf2 } = setup(t, []);
  const other = new Daemon({ ...d2.opts, configFile: conf2, pidPath: path.join(dir, 'ulvs.pid'), socketPath: sock });
  const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  t.teardown(() => {
    live.kill('SIGKILL');
  });
  writeFileSync(path.join(dir, 'ulvs.pid'), `${live.pid}\n`);
  await t.rejects(other.start(), /another ulvs daemon/);
  await d.stop();
  t.notOk(existsSync(sock), 'socket removed on stop');
});

t.test('health decisions: down removes, inhibit sets weight 0, a reload weight change still applies', async (t) => {
  let cb: ((d: import('../../src/control/ports.js').HealthDecision) => void) | undefined;
  const health = {
    apply: async () => {},
    onDecision: (f: typeof cb) => {
      cb = f;
    },
    stop: async () => {},
    views: () => [],
  };
  const { d, sock, conf, dir } = setup(t, [
    vs('10.0.0.1', 80, [
      ['192.168.10.1', 1],
      ['192.168.10.2', 1],
    ]),
  ]);
  const d2 = new Daemon({ ...d.opts, health, pidPath: path.join(dir, 'h.pid'), socketPath: path.join(dir, 'h', 'h.sock') });
  t.teardown(() => d2.stop());
  await d2.start();
  const hs = path.join(dir, 'h', 'h.sock');
  const key = { kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '10.0.0.1', port: 80 };
  cb!({ keys: [key], address: '192.168.10.1', port: 80, inService: true, weight: 1 });
  cb!({ keys: [key], address: '192.168.10.2', port: 80, inService: false, weight: 0 });
  await new Promise((r) => setTimeout(r, 20));
  t.equal((await run(['-S', '-n'], hs)).out, '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 1\n');
  cb!({ keys: [key], address: '192.168.10.2', port: 80, inService: true, weight: 0 });
  await new Promise((r) => setTimeout(r, 20));
  t.match((await run(['-S', '-n'], hs)).out, /-r 192\.168\.10\.2:80 -m -w 0\n/);
  writeFileSync(
    conf,
    JSON.stringify({
      services: [
        vs('10.0.0.1', 80, [
          ['192.168.10.1', 4],
          ['192.168.10.2', 1],
        ]),
      ],
    }),
  );
  const r = await d2.reload();
  t.same(r.changes, ['edit-dest TCP 10.0.0.1:80 -> 192.168.10.1:80']);
  t.equal(
    (await run(['-S', '-n'], hs)).out,
    '-A -t 10.0.0.1:80 -s wlc\n-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 4\n-a -t 10.0.0.1:80 -r 192.168.10.2:80 -m -w 0\n',
  );
  t.ok(sock);
});

t.test('-R: errors go on, a line that does not parse stops after the lines before it', async (t) => {
  const { d, sock } = setup(t, []);
  await d.start();
  const a = await run(['-R'], sock, '-A -t 1.1.1.1:80\nipvsadm -A -t 1.1.1.1:80\n\n-A -t 2.2.2.2:80 -s rr\n');
  t.same([a.code, a.err], [0, 'Service already exists\n']);
  const b = await run(['-R'], sock, '-A -t 3.3.3.3:80\n-A -t bad\n-A -t 4.4.4.4:80\n');
  t.same([b.code, b.err], [2, 'illegal virtual server address[:port] specified\n']);
  const c = await run(['-R'], sock, '-A -t 5.5.5.5:80\n-D -t 9.9.9.9:80\n');
  t.same([c.code, c.err], [255, 'No such service\n'], 'the last line decides the exit code');
  t.equal((await run(['-S', '-n'], sock)).out, '-A -t 1.1.1.1:80 -s wlc\n-A -t 2.2.2.2:80 -s rr\n-A -t 3.3.3.3:80 -s wlc\n-A -t 5.5.5.5:80 -s wlc\n');
});

t.test('-R of 3000 lines arrives whole (batched under the line limit)', async (t) => {
  const { d, sock } = setup(t, []);
  await d.start();
  const lines: string[] = [];
  for (let i = 0; i < 600; i++) {
    const a = `10.${(i >> 8) & 255}.${i & 255}.1`;
    lines.push(`-A -t ${a}:80 -s rr`);
    for (let j = 0; j < 4; j++) lines.push(`-a -t ${a}:80 -r 192.168.${j}.${(i % 250) + 1}:80 -m -w 1`);
  }
  const r = await run(['-R'], sock, lines.join('\n') + '\n');
  t.same([r.code, r.err], [0, '']);
  t.equal((await run(['-S', '-n'], sock)).out.split('\n').filter(Boolean).length, 3000);
});

t.test('initial health decisions (alpha) shape the first rules; decisions during a reload apply with it', async (t) => {
  let cb: ((d: import('../../src/control/ports.js').HealthDecision) => void) | undefined;
  const key = { kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '10.0.0.1', port: 80 };
  let down = '192.168.10.1';
  const health = {
    apply: async () => {
      cb!({ keys: [key], address: down, port: 80, inService: false, weight: 0 });
    },
    onDecision: (f: typeof cb) => {
      cb = f;
    },
    stop: async () => {},
    views: () => [],
  };
  const published: string[][] = [];
  const dp = new NullDataPlane();
  const pub = dp.publish.bind(dp);
  dp.publish = async (r) => {
    published.push(r.services.flatMap((s) => s.realServers.map((x) => x.address)));
    await pub(r);
  };
  const { d, dir, conf } = setup(t, [
    vs('10.0.0.1', 80, [
      ['192.168.10.1', 1],
      ['192.168.10.2', 1],
    ]),
  ]);
  const d2 = new Daemon({ ...d.opts, health, dataPlane: dp, pidPath: path.join(dir, 'a.pid'), socketPath: path.join(dir, 'a', 'a.sock') });
  t.teardown(() => d2.stop());
  await d2.start();
  t.same(published, [['192.168.10.2']], 'the dead real server was never published');
  down = '192.168.10.3';
  writeFileSync(
    conf,
    JSON.stringify({
      services: [
        vs('10.0.0.1', 80, [
          ['192.168.10.1', 1],
          ['192.168.10.2', 1],
          ['192.168.10.3', 1],
        ]),
      ],
    }),
  );
  await d2.reload();
  t.same(published[published.length - 1], ['192.168.10.2'], 'still only the live real server');
  t.notOk(
    published.some((p) => p.includes('192.168.10.3')),
    'a new real server found down during the reload is never published',
  );
});

t.test('reload converges to the file whatever ulvsadm changed, and says what it reverted', async (t) => {
  const { d, sock } = setup(t, [
    vs('10.0.0.1', 80, [
      ['192.168.10.1', 1],
      ['192.168.10.2', 2],
    ]),
    vs('10.0.0.3', 80, [['192.168.10.3', 1]]),
  ]);
  await d.start();
  const fileRules = (await run(['-S', '-n'], sock)).out;
  t.equal((await run(['-C'], sock)).code, 0);
  const r = await d.reload();
  t.ok(r.ok);
  t.same(r.changes, [], 'the file did not change');
  t.same(
    r.reverted.sort(),
    [
      'add-dest TCP 10.0.0.1:80 -> 192.168.10.1:80',
      'add-dest TCP 10.0.0.1:80 -> 192.168.10.2:80',
      'add-dest TCP 10.0.0.3:80 -> 192.168.10.3:80',
      'add-service TCP 10.0.0.1:80',
      'add-service TCP 10.0.0.3:80',
    ].sort(),
    'ulvsadm -C undone',
  );
  t.equal((await run(['-S', '-n'], sock)).out, fileRules, 'the rules are the file again');
  // Edits, deletions and extra real servers in the file's services are undone; other services stay.
  await run(['-e', '-t', '10.0.0.1:80', '-r', '192.168.10.2', '-m', '-w', '9'], sock);
  await run(['-d', '-t', '10.0.0.3:80', '-r', '192.168.10.3'], sock);
  await run(['-a', '-t', '10.0.0.3:80', '-r', '192.168.10.99', '-m'], sock);
  await run(['-E', '-t', '10.0.0.1:80', '-s', 'rr'], sock);
  await run(['-A', '-t', '10.0.0.50:8080', '-s', 'rr'], sock);
  const r2 = await d.reload();
  t.same(
    r2.reverted.sort(),
    [
      'add-dest TCP 10.0.0.3:80 -> 192.168.10.3:80',
      'del-dest TCP 10.0.0.3:80 -> 192.168.10.99:80',
      'edit-dest TCP 10.0.0.1:80 -> 192.168.10.2:80',
      'edit-service TCP 10.0.0.1:80',
    ].sort(),
  );
  t.equal((await run(['-S', '-n'], sock)).out, fileRules + '-A -t 10.0.0.50:8080 -s rr\n', 'the ulvsadm-only service stays');
  const r3 = await d.reload();
  t.same([r3.changes, r3.reverted], [[], []], 'nothing left to revert');
});

t.test('a change the data plane cannot install is rolled back whole; ulvsadm fails as ipvsadm does', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-daemon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'keepalived.conf');
  writeFileSync(conf, JSON.stringify({ services: [vs('10.0.0.1', 80, [['192.168.10.1', 1]])] }));
  // A data plane that refuses any rule set with a service on port 666 (as a refused route would).
  class Refusing extends NullDataPlane {
    installed = 0;
    override async publish(rules: Parameters<NullDataPlane['publish']>[0]): Promise<void> {
      if (rules.services.some((s) => s.key.kind === 'addr' && s.key.port === 666)) throw new Error('RTNETLINK answers: Invalid argument');
      this.installed = rules.services.length;
      await super.publish(rules);
    }
  }
  const dp = new Refusing();
  const logs: string[] = [];
  const sock = path.join(dir, 'run', 'ulvs.sock');
  const d = new Daemon({
    configFile: conf,
    socketPath: sock,
    pidPath: path.join(dir, 'ulvs.pid'),
    logger: createLogger(false, (l) => logs.push(l)),
    loadConfig: fakeLoad,
    dataPlane: dp,
  });
  t.teardown(() => d.stop());
  await d.start();
  const r = await run(['-A', '-t', '10.0.0.2:666', '-s', 'rr'], sock);
  t.not(r.code, 0, 'ulvsadm fails');
  t.match(r.err, /Invalid argument.*rolled back/);
  t.notMatch((await run(['-S', '-n'], sock)).out, /666/, 'the refused service is not in the table');
  t.equal(dp.installed, 1, 'the data plane runs the rules from before');
  t.equal((await run(['-A', '-t', '10.0.0.3:80', '-s', 'rr'], sock)).code, 0, 'the next change goes through');
  t.equal(dp.installed, 2);
  t.ok(
    logs.some((l) => /rolled back/.test(l)),
    'logged',
  );
});
