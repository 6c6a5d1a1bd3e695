// Any local user can bind the metrics address (127.0.0.1:9406) before the daemon: the director must start
// and run all the same (it used to exit: "cannot serve /metrics: EADDRINUSE"), and serve /metrics once the
// address is free. The daemon runs as a keepalived user starts it, with --backend none (no privileges,
// nothing changed on the host) and its socket and pid file in a temp dir.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { callOnce } from '../../src/api/client.js';

const bin = new URL('../../bin/ulvs.mjs', import.meta.url).pathname;
const until = async (f: () => Promise<boolean> | boolean, ms: number): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (await f()) return true;
  return false;
};

t.test('metrics address taken by someone else: the director runs on, and serves /metrics once it is free', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-mx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const squat = net.createServer();
  await new Promise<void>((r) => squat.listen(0, '127.0.0.1', r));
  const port = (squat.address() as net.AddressInfo).port;
  const file = path.join(dir, 'k.conf');
  // No virtual_server, so no data plane: the file alone, as a keepalived user starts it, touches nothing of
  // the host's packet path (this test runs in the root namespace).
  writeFileSync(file, 'global_defs {\n  router_id mx\n}\n');
  const sock = path.join(dir, 'ulvs.sock');
  const d = spawn(process.execPath, [bin, 'run', '-f', file, '--metrics', `127.0.0.1:${port}`, '--socket', sock, '--pid-file', path.join(dir, 'ulvs.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  for (const s of [d.stdout!, d.stderr!]) s.on('data', (b: Buffer) => (log += b));
  const exited = new Promise<number | null>((r) => d.on('exit', (c) => r(c)));
  t.teardown(async () => {
    if (d.exitCode === null) {
      d.kill('SIGTERM');
      await exited;
    }
  });
  const up = await until(async () => !!(await callOnce(sock, 'status').catch(() => undefined)), 15000);
  if (!t.ok(up, 'the daemon answers on its control socket')) t.comment(log);
  t.equal(d.exitCode, null, 'and is still running');
  t.match(log, /cannot serve \/metrics on 127\.0\.0\.1:\d+: .*EADDRINUSE.*runs on without \/metrics/);
  await new Promise((r) => squat.close(r));
  const served = await until(async () => {
    const r = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => undefined);
    return !!r && r.ok && (await r.text()).includes('ulvs_');
  }, 8000);
  t.ok(served, 'once the address is free the daemon serves /metrics there');
  d.kill('SIGTERM');
  t.equal(await exited, 0, 'TERM: a clean stop');
});
