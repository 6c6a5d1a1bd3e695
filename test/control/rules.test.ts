// Rule table (kernel checks, ipvsadm texts), reload diff, config-op fallbacks, rates, capabilities, logger, paths.
import t from 'tap';
import { RuleTable } from '../../src/control/rule-table.js';
import { IpvsadmError } from '../../src/ipvs/errors.js';
import { diffServices, applyConfigOps, opName } from '../../src/control/rule-diff.js';
import { RateEstimator } from '../../src/control/rate-estimator.js';
import { capabilityProblem, missingCaps } from '../../src/control/capabilities.js';
import { createLogger } from '../../src/control/logger.js';
import { defaultSocketPath, netnsId } from '../../src/control/runtime-paths.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';

const key = { kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address: '10.0.0.1', port: 80 };
const spec = { key, scheduler: 'wlc', schedFlags: [], persistenceTimeoutS: 0, netmask: '255.255.255.255', onePacket: false, persistenceEngine: '' };
const dest = (address: string, weight = 1) => ({ address, port: 80, forward: 'nat' as const, weight, upperThreshold: 0, lowerThreshold: 0 });

t.test('kernel checks and ipvsadm messages', async (t) => {
  const tb = new RuleTable();
  const err = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return e instanceof IpvsadmError ? [e.errno, e.message] : ['?', String(e)];
    }
    return ['', ''];
  };
  t.same(
    err(() => tb.apply({ kind: 'add-service', service: { ...spec, scheduler: 'nope' } })),
    ['ENOENT', 'Scheduler or persistence engine not found'],
  );
  tb.apply({ kind: 'add-service', service: spec });
  t.same(
    err(() => tb.apply({ kind: 'add-service', service: spec })),
    ['EEXIST', 'Service already exists'],
  );
  t.same(
    err(() => tb.apply({ kind: 'edit-service', service: { ...spec, key: { ...key, port: 81 } } })),
    ['ESRCH', 'No such service'],
  );
  t.same(
    err(() => tb.apply({ kind: 'add-server', key, server: { ...dest('1.1.1.1'), lowerThreshold: 5 } })),
    ['ERANGE', 'Numerical result out of range'],
  );
  tb.apply({ kind: 'add-server', key, server: dest('1.1.1.1') });
  t.same(
    err(() => tb.apply({ kind: 'add-server', key, server: dest('1.1.1.1') })),
    ['EEXIST', 'Destination already exists'],
  );
  t.same(
    err(() => tb.apply({ kind: 'delete-server', key, address: '2.2.2.2', port: 80 })),
    ['ENOENT', 'No such destination'],
  );
  t.same(
    err(() => tb.apply({ kind: 'zero', key: { ...key, port: 1 } })),
    ['ESRCH', 'No such service'],
  );
  const g = tb.generation;
  tb.apply({ kind: 'zero' });
  t.equal(tb.generation, g, 'zero changes no rule');
  tb.apply({ kind: 'set-timeouts', timeouts: { tcpS: 0, tcpFinS: 60, udpS: 0 } });
  t.same(tb.rules().timeouts, { tcpS: 900, tcpFinS: 60, udpS: 300 }, '0 keeps a timeout');
  t.same(
    err(() => tb.apply({ kind: 'edit-server', key: { ...key, port: 81 }, server: dest('1.1.1.1') })),
    ['ESRCH', 'Service not defined'],
  );
  tb.apply({ kind: 'flush' });
  t.same(tb.rules().services, []);
});

t.test('reload diff: only what changed', async (t) => {
  const a: VirtualServiceSpec = { ...spec, realServers: [dest('1.1.1.1'), dest('1.1.1.2')] };
  const b: VirtualServiceSpec = { ...spec, scheduler: 'rr', realServers: [dest('1.1.1.1', 3), dest('1.1.1.3')] };
  t.same(diffServices([a], [a]), []);
  t.same(diffServices([a], [b]).map(opName), ['edit-service', 'del-dest', 'edit-dest', 'add-dest']);
  t.same(diffServices([a], []).map(opName), ['del-service']);
});

t.test('config ops over a table ulvsadm also changed', async (t) => {
  const tb = new RuleTable();
  tb.apply({ kind: 'add-service', service: { ...spec, scheduler: 'rr' } });
  tb.apply({ kind: 'add-server', key, server: dest('1.1.1.1', 9) });
  const r = applyConfigOps(tb, [
    { kind: 'add-service', service: spec },
    { kind: 'add-server', key, server: dest('1.1.1.1') },
    { kind: 'delete-server', key, address: '5.5.5.5', port: 80 },
  ]);
  t.same(r, { applied: 2, failed: [] });
  t.equal(tb.get(key)!.scheduler, 'wlc', 'add over an existing service edits it');
  t.equal(tb.get(key)!.realServers[0].weight, 1, 'add over an existing dest edits it');
  const bad = applyConfigOps(tb, [{ kind: 'add-service', service: { ...spec, key: { ...key, port: 82 }, scheduler: 'bogus' } }]);
  t.match(bad.failed[0], /add-service TCP 10\.0\.0\.1:82: Scheduler or persistence engine not found/);
});

t.test('rate estimator: 2 s EWMA of counter deltas', async (t) => {
  const r = new RateEstimator();
  const s = (c: number) => new Map([['x', { conns: c, inPkts: 10 * c, outPkts: 0, inBytes: 1000 * c, outBytes: 0 }]]);
  r.sample(s(0));
  for (let i = 1; i <= 80; i++) r.sample(s(200 * i));
  t.same(r.rates('x'), { cps: 100, inPps: 1000, outPps: 0, inBps: 100000, outBps: 0 });
  r.sample(s(0));
  t.ok(r.rates('x').cps < 100, 'a zeroed counter does not give a negative rate');
  t.same(r.rates('y'), { cps: 0, inPps: 0, outPps: 0, inBps: 0, outBps: 0 });
});

t.test('capabilities: one clear sentence', async (t) => {
  t.same(missingCaps(0n), ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  t.same(missingCaps(1n << 12n), ['CAP_NET_RAW']);
  t.equal(capabilityProblem((1n << 12n) | (1n << 13n)), undefined);
  t.match(capabilityProblem(0n), /^ulvs run needs CAP_NET_ADMIN and CAP_NET_RAW but lacks CAP_NET_ADMIN and CAP_NET_RAW: run it as root/);
});

t.test('logger: text and JSON lines', async (t) => {
  const lines: string[] = [];
  createLogger(true, (l) => lines.push(l)).info('reloaded', { changes: 2 });
  const j = JSON.parse(lines[0]);
  t.match(j, { level: 'info', msg: 'reloaded', changes: 2 });
  createLogger(false, (l) => lines.push(l)).warn('x y', { file: 'a b' });
  t.match(lines[1], /^\d{4}-\d\d-\d\dT\S+ warn x y file="a b"\n$/);
});

t.test('default paths are per network namespace', async (t) => {
  t.equal(defaultSocketPath({}), `/run/ulvs/${netnsId()}/ulvs.sock`);
  t.equal(defaultSocketPath({ ULVS_RUN_DIR: '/tmp/u' }), `/tmp/u/${netnsId()}/ulvs.sock`);
  t.equal(defaultSocketPath({ ULVS_SOCKET: '/x.sock' }), '/x.sock');
});
