import t from 'tap';
import net from 'node:net';
import { createHealthPort, type HealthPortDecision } from '../../src/health/control-port.js';
import type { HealthServiceSpec } from '../../src/health/types.js';

t.test('daemon port: decisions follow a real TCP listener on loopback; views count checks', async (t) => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  const hp = createHealthPort();
  t.teardown(() => hp.stop());
  const decisions: HealthPortDecision[] = [];
  hp.onDecision((d) => decisions.push(d));
  const keys = [{ kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '127.0.0.10', port: 80 }];
  const health: HealthServiceSpec[] = [
    {
      id: 'TCP 127.0.0.10:80',
      keys,
      vips: ['127.0.0.10'],
      delayLoopMs: 200,
      warmupMs: 0,
      retry: 0,
      connectTimeoutMs: 500,
      realServers: [{ address: '127.0.0.1', port, checkers: [{ type: 'TCP_CHECK' }] }],
    },
  ];
  await hp.apply({ health });
  t.same(
    decisions.map((d) => [d.address, d.port, d.inService, d.weight]),
    [['127.0.0.1', port, true, 1]],
    'initial decision',
  );
  t.same(decisions[0].keys, keys);
  await new Promise((r) => setTimeout(r, 500));
  await new Promise((r) => srv.close(r));
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 50 && !f(); i++) await new Promise((r) => setTimeout(r, 100));
    return f();
  };
  t.ok(await until(() => decisions.some((d) => !d.inService)), 'listener gone => out of service');
  const v = hp.views()[0];
  t.equal(v.alive, false);
  t.ok(v.checks >= 2 && v.failures >= 1, `checks ${v.checks}, failures ${v.failures}`);
  await hp.apply({ health: [] });
  t.same(hp.views(), [], 'reload without the service forgets it');
});
