// The control client when the daemon closes a connection before answering anything (a full control
// socket closes its oldest idle client, which under a connection flood can be a client whose first
// request is not read yet): it connects again and sends the request again, a few times; a connection
// that answered and then broke, or a daemon that keeps closing, is an error.
import t, { type Test } from 'tap';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiConnectError, ControlClient, callOnce } from '../../src/api/client.js';

/** A fake daemon: closes the first `drop` connections unread, answers the others' requests with {n}. */
async function fakeDaemon(t: Test, drop: number): Promise<{ sock: string; connections: () => number }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-client-'));
  const sock = path.join(dir, 's');
  let n = 0;
  const server = net.createServer((c) => {
    n++;
    if (n <= drop) {
      c.destroy();
      return;
    }
    let buf = '';
    c.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const req = JSON.parse(buf.slice(0, nl)) as { id: number };
        buf = buf.slice(nl + 1);
        c.write(`${JSON.stringify({ v: 1, id: req.id, ok: true, result: { n } })}\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(sock, r));
  t.teardown(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { sock, connections: () => n };
}

t.test('closed before any answer: connects again and gets the answer', async (t) => {
  const d = await fakeDaemon(t, 2);
  const r = await callOnce<{ n: number }>(d.sock, 'status');
  t.equal(r.n, 3, 'answered on the third connection');
  t.equal(d.connections(), 3);
});

t.test('a daemon that keeps closing: an error after a few attempts', async (t) => {
  const d = await fakeDaemon(t, 100);
  await t.rejects(callOnce(d.sock, 'status'), ApiConnectError);
  t.equal(d.connections(), 6, 'the first connection and 5 more');
});

t.test('several requests on one client all survive one early close', async (t) => {
  const d = await fakeDaemon(t, 1);
  const c = await ControlClient.connect(d.sock);
  t.teardown(() => c.close());
  const [a, b] = await Promise.all([c.call<{ n: number }>('status'), c.call<{ n: number }>('status')]);
  t.same([a.n, b.n], [2, 2], 'both answered on the second connection');
});
