// The control socket: garbage, half requests, huge lines and vanished clients never disturb the daemon.
import t from 'tap';
import net from 'node:net';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiError, ControlServer } from '../../src/api/server.js';
import { ControlClient, callOnce, ApiCallError, ApiConnectError } from '../../src/api/client.js';
import { MAX_LINE_BYTES } from '../../src/api/protocol.js';

async function withServer(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-api-'));
  const sock = path.join(dir, 'sub', 'ulvs.sock');
  let calls = 0;
  const server = new ControlServer(sock, async (req) => {
    calls++;
    if (req.method === 'apply') throw new ApiError('ipvs', 'Service already exists', 'EEXIST');
    if (req.method === 'reload') {
      await new Promise((r) => setTimeout(r, 50));
      return { slow: true };
    }
    return { method: req.method };
  });
  await server.listen();
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sock, calls: () => calls };
}

/** Sends raw bytes and collects the answer lines until the server closes or `lines` arrived. */
function raw(sock: string, data: string | Buffer, lines: number): Promise<string[]> {
  return new Promise((resolve) => {
    const c = net.createConnection(sock);
    let buf = '';
    const done = () => {
      c.destroy();
      resolve(buf.split('\n').filter(Boolean));
    };
    c.on('data', (d) => {
      buf += d.toString();
      if (buf.split('\n').filter(Boolean).length >= lines) done();
    });
    c.on('close', done);
    c.on('error', done);
    c.write(data);
  });
}

t.test('socket file is 0600', async (t) => {
  const { sock } = await withServer(t);
  t.equal(statSync(sock).mode & 0o777, 0o600);
});

t.test('garbage gets an error line and the connection still works', async (t) => {
  const { sock } = await withServer(t);
  const out = await raw(sock, 'hello\n[1,2]\n{"v":1}\n{"v":9,"id":1,"method":"list"}\n{"v":1,"id":2,"method":"rm -rf"}\n{"v":1,"id":3,"method":"list"}\n', 6);
  const r = out.map((l) => JSON.parse(l));
  t.same(
    r.map((x) => x.ok),
    [false, false, false, false, false, true],
  );
  t.same(
    r.map((x) => x.error?.code ?? 'ok'),
    ['bad-request', 'bad-request', 'bad-request', 'bad-version', 'unknown-method', 'ok'],
  );
  t.equal(r[5].id, 3);
  t.same(r[5].result, { method: 'list' });
});

t.test('binary noise and an over-long line close only that client', async (t) => {
  const { sock } = await withServer(t);
  const noise = Buffer.alloc(4096);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) & 0xff;
  const n =
    noise
      .toString('latin1')
      .split('\n')
      .filter((l) => l.trim()).length + 1;
  const answers = await raw(sock, Buffer.concat([noise, Buffer.from('\n{"v":1,"id":42,"method":"list"}\n')]), n);
  t.same(JSON.parse(answers[answers.length - 1]), { v: 1, id: 42, ok: true, result: { method: 'list' } });
  const long = await raw(sock, 'x'.repeat(MAX_LINE_BYTES + 10), 1);
  t.match(JSON.parse(long[0]).error.message, /longer than/);
  t.same(await callOnce(sock, 'status'), { method: 'status' });
});

t.test('a client that disconnects mid-request or before the answer does not disturb the server', async (t) => {
  const { sock, calls } = await withServer(t);
  await new Promise<void>((resolve) => {
    const c = net.createConnection(sock, () => {
      c.write('{"v":1,"id":1,"meth');
      c.destroy();
      resolve();
    });
  });
  await new Promise<void>((resolve) => {
    const c = net.createConnection(sock, () => {
      c.write('{"v":1,"id":1,"method":"reload"}\n');
      setTimeout(() => {
        c.destroy();
        resolve();
      }, 5);
    });
  });
  await new Promise((r) => setTimeout(r, 100));
  const c = await ControlClient.connect(sock);
  t.same(await c.call('list'), { method: 'list' });
  await t.rejects(c.call('apply', { op: { kind: 'flush' } }), new ApiCallError('ipvs', 'Service already exists', 'EEXIST'));
  c.close();
  t.ok(calls() >= 3);
});

t.test('many clients at once are answered in order per connection', async (t) => {
  const { sock } = await withServer(t);
  const clients = await Promise.all(Array.from({ length: 20 }, () => ControlClient.connect(sock)));
  const res = await Promise.all(clients.map((c) => Promise.all([c.call('reload'), c.call('list')])));
  t.equal(res.length, 20);
  t.same(res[7], [{ slow: true }, { method: 'list' }]);
  for (const c of clients) c.close();
});

t.test('no daemon: one clear sentence', async (t) => {
  const e = await ControlClient.connect('/nonexistent/ulvs.sock').catch((x: unknown) => x);
  t.ok(e instanceof ApiConnectError);
  await t.rejects(ControlClient.connect('/nonexistent/ulvs.sock'), { message: /no ulvs daemon is running in this network namespace/ });
});

t.test('limits: connection cap, idle timeout, pipelined unread requests stay bounded and die with the client', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-api-lim-'));
  const sock = path.join(dir, 'ulvs.sock');
  let calls = 0;
  const big = 'x'.repeat(64 * 1024);
  const server = new ControlServer(
    sock,
    async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return { big };
    },
    () => {},
    { maxConnections: 3, idleTimeoutMs: 300, maxPendingRequests: 4, maxUnsentBytes: 256 * 1024 },
  );
  await server.listen();
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = () =>
    new Promise<net.Socket>((resolve) => {
      const c = net.createConnection(sock, () => resolve(c));
      c.on('error', () => {});
    });
  const closedWithin = (c: net.Socket, ms: number) =>
    new Promise<boolean>((r) => {
      if (c.destroyed) r(true);
      c.on('close', () => r(true));
      setTimeout(() => r(false), ms);
    });
  const held = await Promise.all([open(), open(), open()]);
  const fourth = await raw(sock, JSON.stringify({ v: 1, id: 4, method: 'status' }) + '\n', 1);
  t.ok(fourth[0]?.startsWith('{"v":1,"id":4,"ok":true'), 'a client over the cap is served');
  t.ok(await closedWithin(held[0]!, 1000), 'by closing the oldest idle client');
  t.equal(server.evicted, 1);
  const closed = await Promise.all(held.slice(1).map((c) => closedWithin(c, 3000)));
  t.same(closed, [true, true], 'silent clients are closed after the idle timeout');

  // A client pipelines 5000 requests (each answer 64 KiB) and never reads.
  const c = await open();
  const req = (i: number) => JSON.stringify({ v: 1, id: i, method: 'list' }) + '\n';
  c.write(Array.from({ length: 5000 }, (_, i) => req(i)).join(''));
  await new Promise((r) => setTimeout(r, 500));
  const ran = calls;
  t.ok(ran < 200, `only the requests the client's unread answers allow ran (${ran} of 5000)`);
  c.destroy();
  await new Promise((r) => setTimeout(r, 300));
  t.ok(calls - ran <= 1, `queued requests of a vanished client do not run (${calls - ran} more)`);
  t.equal(server.connections, 0);
  const after = await new Promise<string>((resolve) => {
    const k = net.createConnection(sock);
    let b = '';
    k.on('data', (d) => {
      b += d.toString();
      if (b.includes('\n')) {
        k.destroy();
        resolve(b.slice(0, b.indexOf('\n')));
      }
    });
    k.write(req(9));
  });
  t.match(JSON.parse(after), { ok: true, id: 9 }, 'the server still answers');
});

t.test('a socket in a shared sticky directory (1777) leaves the directory alone', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-sticky-'));
  chmodSync(dir, 0o1777);
  const sock = path.join(dir, 'ulvs.sock');
  const server = new ControlServer(sock, async () => 'pong');
  await server.listen();
  t.teardown(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  t.equal(statSync(dir).mode & 0o7777, 0o1777, 'the directory keeps mode 1777');
  t.equal(statSync(sock).mode & 0o777, 0o600, 'the socket is 0600');
  const r = await callOnce(sock, 'status');
  t.equal(r, 'pong');
});
