// SMTP_CHECK against a real SMTP server (aiosmtpd, RFC 5321) and against scripted peers for keepalived's
// failure cases: a bad greeting, a refused HELO, a silent server, a closed port.
import t from 'tap';
import net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import { resolveChecker } from '../../src/health/resolve.js';
import { PROBES } from '../../src/health/checkers/index.js';
import { smtpStatus } from '../../src/health/checkers/check-smtp.js';
import type { CheckerSpec, HealthServiceSpec } from '../../src/health/types.js';

const PY = '/usr/bin/python3';
const haveAiosmtpd = spawnSync(PY, ['-c', 'import aiosmtpd'], { stdio: 'ignore' }).status === 0;

function probe(port: number, c: Partial<CheckerSpec> = {}) {
  const spec = { type: 'SMTP_CHECK', connectTimeoutMs: 1000, ...c } as CheckerSpec;
  const vs: HealthServiceSpec = { id: 'x', keys: [], vips: [], realServers: [] };
  const r = resolveChecker(vs, { address: '127.0.0.1', port, checkers: [spec] }, spec);
  return PROBES.SMTP_CHECK(r);
}

/** A scripted SMTP peer: greeting, then `onLine` answers each line; records what it received. */
async function peer(greeting: string | undefined, answer: (line: string) => string | undefined) {
  const got: string[] = [];
  const srv = net.createServer((s) => {
    s.on('error', () => {});
    if (greeting !== undefined) s.write(greeting);
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        got.push(line);
        const a = answer(line);
        if (a !== undefined) s.write(a);
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as net.AddressInfo).port, got, close: () => srv.close() };
}

t.test("smtpStatus reads a reply as keepalived's smtp_get_status does", async (t) => {
  t.equal(smtpStatus('220 mail ESMTP\r'), 220);
  t.equal(smtpStatus('250\r'), 250);
  t.equal(smtpStatus('220-multi line'), -1);
  t.equal(smtpStatus('22 short'), -1);
});

t.test('HELO with helo_name, then QUIT; bad banner, refused HELO, silence and a closed port fail', async (t) => {
  const good = await peer('220 mx ESMTP\r\n', (l) => (l.startsWith('HELO') ? '250 mx\r\n' : l === 'QUIT' ? '221 bye\r\n' : undefined));
  t.teardown(good.close);
  t.match(await probe(good.port, { heloName: 'lb1.example' } as Partial<CheckerSpec>), { ok: true });
  t.same(good.got, ['HELO lb1.example', 'QUIT']);
  t.match(await probe(good.port), { ok: true });
  t.same(good.got.slice(2), ['HELO smtpchecker.keepalived.org', 'QUIT'], "keepalived's default helo_name");

  const badBanner = await peer('554 go away\r\n', () => undefined);
  t.teardown(badBanner.close);
  t.match(await probe(badBanner.port), { ok: false, reason: /greeting banner/ });
  const badHelo = await peer('220 mx\r\n', () => '501 no\r\n');
  t.teardown(badHelo.close);
  t.match(await probe(badHelo.port), { ok: false, reason: /HELO response/ });
  const silent = await peer(undefined, () => undefined);
  t.teardown(silent.close);
  t.match(await probe(silent.port, { connectTimeoutMs: 200 }), { ok: false, reason: /read timeout/ });
  const closed = await peer(undefined, () => undefined);
  closed.close();
  t.match(await probe(closed.port), { ok: false, reason: /connect failed/ });
});

t.test('a real SMTP server (aiosmtpd) passes; once stopped, the check fails', { skip: !haveAiosmtpd && 'python3-aiosmtpd is not installed' }, async (t) => {
  const port = 20000 + (process.pid % 20000);
  const p = spawn(PY, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`], { stdio: 'ignore' });
  t.teardown(() => {
    p.kill('SIGKILL');
  });
  let r = await probe(port);
  for (let i = 0; i < 50 && !r.ok; i++) {
    await new Promise((res) => setTimeout(res, 100));
    r = await probe(port);
  }
  t.match(r, { ok: true, reason: /250/ });
  p.kill('SIGTERM');
  await new Promise((res) => p.once('exit', res));
  t.match(await probe(port), { ok: false });
});
