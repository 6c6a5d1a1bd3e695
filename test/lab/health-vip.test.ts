/**
 * Health checks end to end through the VIP: the real daemon (`ulvs run -f keepalived.conf`, NAT over
 * AF_PACKET) in lb1, real curl from the client namespace. A real server whose responder is killed leaves
 * `ulvsadm -L -n` and stops answering through the VIP, then rejoins when the responder is back; with
 * inhibit_on_failure it stays listed at weight 0 and a keep-alive connection opened before the failure
 * still gets answers from it; with quorum lost the sorry server answers every request.
 */
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { LAB_ADDR, LAB_HTTP_PORT, LAB_UDP_PORT, addr4 } from '../../src/lab/topology.js';
import { countByServer, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { runOk } from '../../src/util/exec.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const notRoot = process.getuid?.() !== 0 && 'needs root (network namespaces)';
const missing = !existsSync(path.join(root, 'build/Release/ulvs_native.node'))
  ? 'the native addon is not built (node scripts/build-native.mjs)'
  : !existsSync(path.join(root, 'dist/cli/commands/run.js'))
    ? 'dist/ is not built (npx tsc -p tsconfig.build.json)'
    : false;
const RESPONDER = path.join(root, 'dist/lab/responder.js');
const SORRY_PORT = 8080;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const only = (c: Record<string, number>) =>
  Object.keys(c)
    .filter((k) => c[k] > 0)
    .sort();

/** Holds N keep-alive connections through the VIP: first request on each, then a second after a stdin line. */
const KEEPALIVE_PY = `
import socket, sys, json
def req(s):
    s.sendall(b'GET / HTTP/1.1\\r\\nHost: vip\\r\\nConnection: keep-alive\\r\\n\\r\\n')
    buf = b''
    while b'\\r\\n\\r\\n' not in buf:
        d = s.recv(4096)
        if not d: raise EOFError('closed')
        buf += d
    head, body = buf.split(b'\\r\\n\\r\\n', 1)
    n = int([l.split(b':', 1)[1] for l in head.split(b'\\r\\n') if l.lower().startswith(b'content-length')][0])
    while len(body) < n:
        d = s.recv(4096)
        if not d: raise EOFError('closed')
        body += d
    return body.decode().strip()
conns = []
first = []
for i in range(int(sys.argv[1])):
    s = socket.create_connection((sys.argv[2], 80), timeout=5)
    conns.append(s)
    first.append(req(s))
print(json.dumps(first), flush=True)
sys.stdin.readline()
second = []
for s in conns:
    try: second.append(req(s))
    except Exception: second.append('')
print(json.dumps(second), flush=True)
`;

interface Rs {
  name: string;
  ip: string;
}

function conf(rss: Rs[], o: { inhibit?: string; quorum?: number; sorry?: string } = {}): string {
  return (
    `virtual_server ${LAB_ADDR.vip4} ${LAB_HTTP_PORT} {
  delay_loop 0.5
  lb_algo rr
  lb_kind NAT
  protocol TCP
${o.quorum ? `  quorum ${o.quorum}\n` : ''}${o.sorry ? `  sorry_server ${o.sorry} ${SORRY_PORT}\n` : ''}` +
    rss
      .map(
        (r) => `  real_server ${r.ip} ${LAB_HTTP_PORT} {
    weight 1
${o.inhibit === r.name ? '    inhibit_on_failure\n' : ''}    TCP_CHECK {
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
`,
      )
      .join('') +
    '}\n'
  );
}

t.test('health decisions seen through the VIP', { skip: notRoot || missing, timeout: 180000 }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-health-vip-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const undoRs = await prepareRealServers(lab, 'nat');
  t.teardown(undoRs);
  await lab.execOk('lb1', ['ip', 'addr', 'add', `${LAB_ADDR.natGateway4}/24`, 'dev', 'eth0']);
  await lab.execOk('lb1', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
  const rss: Rs[] = lab.byRole('realserver').map((n) => ({ name: n.name, ip: addr4(n) }));
  const [rs1, rs2, rs3] = rss;
  const runDir = path.join(dir, 'run');
  const env = { ...process.env, ULVS_RUN_DIR: runDir };
  const file = path.join(dir, 'keepalived.conf');
  const spawned: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** Starts `ulvs run` in lb1 with `text` as its keepalived.conf; resolves once it is up. */
  const startDaemon = async (text: string) => {
    writeFileSync(file, text);
    const child = lab.spawn('lb1', [process.execPath, path.join(root, 'dist/cli/commands/run.js'), '-f', file, '--no-metrics'], { env });
    spawned.push(child);
    let log = '';
    child.stdout!.on('data', (d) => {
      log += d;
    });
    child.stderr!.on('data', (d) => {
      log += d;
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    for (let i = 0; i < 150 && !log.includes('ulvs started') && child.exitCode === null; i++) await sleep(200);
    if (!log.includes('ulvs started')) throw new Error(`daemon did not start:\n${log}`);
    return {
      log: () => log,
      stop: async () => {
        if (child.exitCode === null) child.kill('SIGTERM');
        return exited;
      },
    };
  };
  const list = async () => (await lab.exec('lb1', [process.execPath, path.join(root, 'bin/ulvsadm.mjs'), '-L', '-n'], { env })).stdout;
  /** Polls `ulvsadm -L -n` (bounded) until `ok` holds; returns the last listing. */
  const until = async (ok: (out: string) => boolean) => {
    let out = '';
    for (let i = 0; i < 100; i++) {
      out = await list();
      if (ok(out)) return out;
      await sleep(200);
    }
    return out;
  };
  const entry = (ip: string, port = LAB_HTTP_PORT) => new RegExp(`-> ${ip.replace(/\./g, '\\.')}:${port}\\s+Masq\\s+(\\d+)`);
  const weight = (out: string, ip: string, port?: number) => {
    const m = entry(ip, port).exec(out);
    return m ? Number(m[1]) : undefined;
  };
  const allListed = (out: string) => rss.every((r) => weight(out, r.ip) === 1);

  /** PIDs of the lab responder serving `port` in host `node`. */
  const responderPids = async (node: string, port: number) => {
    const pids = (await runOk(['ip', 'netns', 'pids', lab.ns(node)])).split(/\s+/).filter(Boolean);
    return pids
      .filter((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return argv.some((a) => a.endsWith('responder.js')) && argv[argv.indexOf('--port') + 1] === String(port);
        } catch {
          return false;
        }
      })
      .map(Number);
  };
  const killResponder = async (t: Test, node: string) => {
    const pids = await responderPids(node, LAB_HTTP_PORT);
    t.ok(pids.length > 0, `found ${node}'s responder`);
    for (const p of pids) process.kill(p, 'SIGKILL');
    for (let i = 0; i < 50 && (await responderPids(node, LAB_HTTP_PORT)).length; i++) await sleep(100);
  };
  const startResponder = async (node: string, name: string, port: number, udpPort: number) => {
    const child = lab.spawn(node, [process.execPath, RESPONDER, '--name', name, '--port', String(port), '--udp', String(udpPort)]);
    spawned.push(child);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
    });
    child.stderr!.on('data', (d) => {
      out += d;
    });
    for (let i = 0; i < 100 && !out.includes('ready') && child.exitCode === null; i++) await sleep(100);
    if (!out.includes('ready')) throw new Error(`responder ${name} on ${node} did not start: ${out}`);
  };

  await t.test('dead real server leaves scheduling and rejoins', async (t) => {
    const d = await startDaemon(conf(rss));
    t.teardown(() => d.stop());
    t.teardown(() => {
      if (!t.passing()) process.stderr.write(`daemon log:\n${d.log()}\n`);
    });
    let out = await until(allListed);
    t.ok(allListed(out), `all three real servers in:\n${out}`);
    t.same(only(countByServer(await requestsThroughVip(lab, 6))), ['rs1', 'rs2', 'rs3'], 'all answer through the VIP');

    await killResponder(t, rs2.name);
    out = await until((o) => !entry(rs2.ip).test(o));
    t.notMatch(out, entry(rs2.ip), `rs2 removed:\n${out}`);
    t.ok(weight(out, rs1.ip) === 1 && weight(out, rs3.ip) === 1, 'rs1 and rs3 stay');
    const c = countByServer(await requestsThroughVip(lab, 30));
    t.same(only(c), ['rs1', 'rs3'], `30 requests, none to rs2, none failed: ${JSON.stringify(c)}`);

    await startResponder(rs2.name, 'rs2', LAB_HTTP_PORT, LAB_UDP_PORT);
    out = await until(allListed);
    t.equal(weight(out, rs2.ip), 1, `rs2 back at weight 1:\n${out}`);
    t.same(only(countByServer(await requestsThroughVip(lab, 9))), ['rs1', 'rs2', 'rs3'], 'rs2 answers through the VIP again');
    t.equal(await d.stop(), 0, 'daemon stops cleanly');
  });

  await t.test('inhibit_on_failure: weight 0, established connections go on', async (t) => {
    const d = await startDaemon(conf(rss, { inhibit: rs2.name }));
    t.teardown(() => d.stop());
    t.teardown(() => {
      if (!t.passing()) process.stderr.write(`daemon log:\n${d.log()}\n`);
    });
    let out = await until(allListed);
    t.ok(allListed(out), `all three real servers in:\n${out}`);
    // Six keep-alive connections through the VIP before the failure: rr puts at least one on rs2.
    const py = lab.spawn('client', ['python3', '-c', KEEPALIVE_PY, '6', LAB_ADDR.vip4]);
    spawned.push(py);
    const lines: string[] = [];
    let pyOut = '';
    py.stdout!.on('data', (d) => {
      pyOut += d;
    });
    py.stderr!.on('data', (d) => {
      pyOut += d;
    });
    const pyExit = new Promise<number | null>((r) => py.once('exit', (c) => r(c)));
    for (let i = 0; i < 100 && !pyOut.includes('\n') && py.exitCode === null; i++) await sleep(100);
    lines.push(...pyOut.split('\n').filter((l) => l.startsWith('[')));
    const first = JSON.parse(lines[0] ?? '[]') as string[];
    t.ok(first.includes('rs2'), `a held connection is on rs2: ${JSON.stringify(first)} ${pyOut}`);

    // The checker (from lb1's LAN address) is refused by rs2; the client's traffic (198.18.1.2) is not.
    const rule = ['INPUT', '-s', LAB_ADDR.lanPrefix4, '-p', 'tcp', '--dport', String(LAB_HTTP_PORT), '--syn', '-j', 'REJECT', '--reject-with', 'tcp-reset'];
    await lab.execOk(rs2.name, ['iptables', '-I', ...rule]);
    out = await until((o) => weight(o, rs2.ip) === 0);
    t.equal(weight(out, rs2.ip), 0, `rs2 listed with weight 0:\n${out}`);
    const c = countByServer(await requestsThroughVip(lab, 30));
    t.same(only(c), ['rs1', 'rs3'], `30 new requests, none to rs2, none failed: ${JSON.stringify(c)}`);

    py.stdin!.write('\n');
    t.equal(await pyExit, 0, 'keep-alive client finished');
    const second = JSON.parse(pyOut.split('\n').filter((l) => l.startsWith('['))[1] ?? '[]') as string[];
    t.same(second, first, `each held connection answered again by the same real server (rs2 included): ${pyOut}`);

    await lab.execOk(rs2.name, ['iptables', '-D', ...rule]);
    out = await until((o) => weight(o, rs2.ip) === 1);
    t.equal(weight(out, rs2.ip), 1, `rs2 back at weight 1:\n${out}`);
    t.same(only(countByServer(await requestsThroughVip(lab, 9))), ['rs1', 'rs2', 'rs3'], 'rs2 answers new requests again');
    t.equal(await d.stop(), 0, 'daemon stops cleanly');
  });

  await t.test('quorum lost: the sorry server answers', async (t) => {
    await startResponder(rs3.name, 'sorry', SORRY_PORT, LAB_UDP_PORT + 1);
    const d = await startDaemon(conf(rss, { quorum: 2, sorry: rs3.ip }));
    t.teardown(() => d.stop());
    t.teardown(() => {
      if (!t.passing()) process.stderr.write(`daemon log:\n${d.log()}\n`);
    });
    let out = await until(allListed);
    t.ok(allListed(out), `all three real servers in:\n${out}`);
    t.notMatch(out, entry(rs3.ip, SORRY_PORT), 'no sorry server while quorum holds');
    t.notOk(only(countByServer(await requestsThroughVip(lab, 6))).includes('sorry'), 'real servers answer while quorum holds');

    await killResponder(t, rs1.name);
    await killResponder(t, rs2.name);
    out = await until((o) => entry(rs3.ip, SORRY_PORT).test(o) && !entry(rs1.ip).test(o) && !entry(rs2.ip).test(o));
    t.match(out, entry(rs3.ip, SORRY_PORT), `quorum lost: sorry server listed:\n${out}`);
    t.notMatch(out, entry(rs1.ip), 'rs1 removed');
    t.notMatch(out, entry(rs2.ip), 'rs2 removed');
    const c = countByServer(await requestsThroughVip(lab, 10));
    t.same(c, { sorry: 10 }, `every request answered by the sorry server: ${JSON.stringify(c)}`);

    await startResponder(rs1.name, 'rs1', LAB_HTTP_PORT, LAB_UDP_PORT);
    await startResponder(rs2.name, 'rs2', LAB_HTTP_PORT, LAB_UDP_PORT);
    out = await until((o) => allListed(o) && !entry(rs3.ip, SORRY_PORT).test(o));
    t.notMatch(out, entry(rs3.ip, SORRY_PORT), `quorum back: sorry server out:\n${out}`);
    t.same(only(countByServer(await requestsThroughVip(lab, 9))), ['rs1', 'rs2', 'rs3'], 'real servers answer again');
    t.equal(await d.stop(), 0, 'daemon stops cleanly');
  });
});
