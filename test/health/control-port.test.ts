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

// The health table showed "up, checks 0" for real servers whose TCP_CHECK runs: the counter counts, but the
// first probe waits out a random warmup of up to delay_loop (keepalived's default warmup; delay_loop defaults
// to 60 s). The view says so (firstCheckPending) instead of a bare 0, and counts successes and failures apart.
t.test('views: the first check is pending during the warmup, then checks and failures count per real server', async (t) => {
  const srv = net.createServer((s) => s.end());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => srv.close());
  const up = (srv.address() as net.AddressInfo).port;
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const down = (closed.address() as net.AddressInfo).port;
  await new Promise((r) => closed.close(r));
  const hp = createHealthPort();
  t.teardown(() => hp.stop());
  const keys = [{ kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '127.0.0.10', port: 80 }];
  const svc = (id: string, delayLoopMs: number, warmupMs?: number): HealthServiceSpec => ({
    id,
    keys,
    vips: ['127.0.0.10'],
    delayLoopMs,
    warmupMs,
    retry: 0,
    connectTimeoutMs: 500,
    realServers: [
      { address: '127.0.0.1', port: up, checkers: [{ type: 'TCP_CHECK' }] },
      { address: '127.0.0.1', port: down, checkers: [{ type: 'TCP_CHECK' }] },
    ],
  });
  // Warmup = delay_loop (60 s) as keepalived's default: nothing has run yet.
  await hp.apply({ health: [svc('TCP 127.0.0.10:80', 60_000)] });
  await new Promise((r) => setTimeout(r, 300));
  for (const v of hp.views()) {
    t.equal(v.checks, 0, `${v.realServer}: no probe during the warmup`);
    t.equal(v.firstCheckPending, true, `${v.realServer}: the view says the first check is pending`);
    t.same(v.keys, keys, 'the view names the services of its block');
    t.same(v.checkers, ['TCP_CHECK'], 'and the checker types');
  }
  // Without warmup and a 100 ms delay_loop, both count up: the live one only successes, the closed one only failures.
  await hp.apply({ health: [svc('TCP 127.0.0.10:81', 100, 0)] });
  const until = async (f: () => boolean) => {
    for (let i = 0; i < 50 && !f(); i++) await new Promise((r) => setTimeout(r, 100));
    return f();
  };
  const byPort = (p: number) => hp.views().find((v) => v.realServer === `127.0.0.1:${p}`)!;
  t.ok(await until(() => byPort(up).checks >= 3 && byPort(down).checks >= 3), 'both real servers are probed again and again');
  const a = byPort(up);
  const b = byPort(down);
  t.equal(a.firstCheckPending, false);
  t.equal(a.failures, 0, `live listener: ${a.checks} checks, no failure`);
  t.equal(b.failures, b.checks, `closed port: every one of ${b.checks} checks failed`);
  t.equal(b.alive, false);
  const later = byPort(up).checks;
  t.ok(await until(() => byPort(up).checks > later), 'the count keeps going up while the check runs');
});
