// The /metrics endpoint under a local flood: connections over the cap are closed at once, idle ones
// after the idle timeout, and the endpoint keeps answering.
import t from 'tap';
import net from 'node:net';
import http from 'node:http';
import { Registry } from 'prom-client';
import { startMetricsServer } from '../../src/metrics/server.js';

const closedWithin = (c: net.Socket, ms: number) =>
  new Promise<boolean>((r) => {
    c.on('close', () => r(true));
    setTimeout(() => r(false), ms);
  });

t.test('connection cap and idle timeout', async (t) => {
  const m = await startMetricsServer('127.0.0.1:0', new Registry(), { maxConnections: 3, idleTimeoutMs: 400 });
  t.teardown(() => m.close());
  const open = () =>
    new Promise<net.Socket>((resolve) => {
      const c = net.createConnection(m.address.port, '127.0.0.1', () => resolve(c));
      c.on('error', () => {});
    });
  const held = [await open(), await open(), await open()];
  await new Promise((r) => setTimeout(r, 50));
  const extra = await open();
  t.ok(await closedWithin(extra, 300), 'a connection over the cap is closed at once');
  t.same(await Promise.all(held.map((c) => closedWithin(c, 3000))), [true, true, true], 'idle connections are closed');
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: m.address.port, path: '/healthz' }, (res) => {
        let b = '';
        res.on('data', (d) => {
          b += d;
        });
        res.on('end', () => resolve(b));
      })
      .on('error', reject);
  });
  t.equal(body, 'ok\n', 'still answering');
});
