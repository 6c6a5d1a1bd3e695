import t from 'tap';
import { ManualClock } from '../../src/health/clock.js';
import { HealthManager } from '../../src/health/manager.js';
import type { CheckOutcome } from '../../src/health/checkers/outcome.js';
import type { ResolvedChecker } from '../../src/health/resolve.js';
import type { HealthServiceSpec, RealServerChange, QuorumChange, SorryServerChange } from '../../src/health/types.js';

function spec(n: number, over: Partial<HealthServiceSpec> = {}): HealthServiceSpec {
  return {
    id: 'TCP 10.0.0.1:80',
    keys: [{ kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }],
    vips: ['10.0.0.1'],
    delayLoopMs: 1000,
    realServers: Array.from({ length: n }, (_, i) => ({
      address: `10.1.${i >> 8}.${(i & 255) + 1}`,
      port: 80,
      weight: 2,
      checkers: [{ type: 'TCP_CHECK' as const, retry: 2, delayBeforeRetryMs: 200, connectTimeoutMs: 100 }],
    })),
    ...over,
  };
}

function harness(opts: { random?: () => number } = {}) {
  const clock = new ManualClock();
  const healthy = new Map<string, boolean>();
  const calls: Array<{ host: string; atMs: number }> = [];
  let throwFor = '';
  const probe = async (c: ResolvedChecker): Promise<CheckOutcome> => {
    calls.push({ host: c.host, atMs: clock.nowMs() });
    if (c.host === throwFor) throw new Error('boom');
    const ok = healthy.get(c.host) ?? true;
    return ok ? { ok: true, reason: 'ok' } : { ok: false, reason: 'refused' };
  };
  const notified: string[] = [];
  const m = new HealthManager({ clock, probe, random: opts.random ?? (() => 0.5), runNotify: (s, what) => void notified.push(`${what}:${s.argv.join(' ')}`) });
  const changes: RealServerChange[] = [];
  const quorum: QuorumChange[] = [];
  const sorry: SorryServerChange[] = [];
  m.on('change', (e) => changes.push(e));
  m.on('quorum', (e) => quorum.push(e));
  m.on('sorry', (e) => sorry.push(e));
  const advance = async (ms: number, step = 10) => {
    for (let i = 0; i < ms; i += step) {
      clock.advance(step);
      await new Promise((r) => setImmediate(r));
    }
  };
  return { clock, healthy, calls, notified, m, changes, quorum, sorry, advance, setThrow: (h: string) => (throwFor = h) };
}

t.test('a real server leaves after retry+1 failed checks and rejoins after one success', async (t) => {
  const h = harness();
  h.m.start([spec(2)]);
  t.same(
    h.changes.map((c) => [c.realServer, c.inService, c.weight]),
    [
      ['10.1.0.1:80', true, 2],
      ['10.1.0.2:80', true, 2],
    ],
    'initial state',
  );
  h.changes.length = 0;
  await h.advance(1000); // warmup (0.5 * 1000) + first checks
  h.healthy.set('10.1.0.1', false);
  const before = h.calls.filter((c) => c.host === '10.1.0.1').length;
  await h.advance(1000 + 3 * 200 + 100);
  const down = h.changes.find((c) => c.realServer === '10.1.0.1:80');
  t.ok(down, 'change emitted');
  t.equal(down!.inService, false);
  t.equal(down!.alive, false);
  t.match(down!.reason, /refused/);
  const failedCalls = h.calls.filter((c) => c.host === '10.1.0.1').length - before;
  t.equal(failedCalls, 3, 'retry 2 => 3 failed attempts');
  t.equal(h.changes.filter((c) => c.realServer === '10.1.0.2:80').length, 0, 'the healthy one is untouched');
  h.changes.length = 0;
  h.healthy.set('10.1.0.1', true);
  await h.advance(1100);
  t.same(
    h.changes.map((c) => [c.realServer, c.alive, c.inService, c.weight]),
    [['10.1.0.1:80', true, true, 2]],
  );
  await h.m.stop();
});

t.test('inhibit_on_failure sets weight 0; sorry server when quorum is lost', async (t) => {
  const h = harness();
  h.m.start([spec(2, { inhibitOnFailure: true, quorum: 4, sorryServer: { address: '10.9.9.9', port: 80 }, quorumDown: { argv: ['/bin/qd'] } })]);
  await h.advance(600);
  h.healthy.set('10.1.0.2', false);
  await h.advance(2000);
  const c = h.changes.filter((x) => x.realServer === '10.1.0.2:80').pop()!;
  t.same([c.inService, c.weight], [true, 0], 'inhibited, weight 0');
  t.same(
    h.quorum.map((q) => q.up),
    [false],
  );
  t.same(h.sorry.pop(), { service: 'TCP 10.0.0.1:80', active: true, address: '10.9.9.9', port: 80, inService: true, weight: 1 });
  t.same(h.notified, ['quorum_down:/bin/qd']);
  const alive = h.changes.filter((x) => x.realServer === '10.1.0.1:80').pop()!;
  t.equal(alive.inService, false, 'alive real servers leave while the sorry server is in');
  await h.m.stop();
});

t.test('a probe that throws is just a failed check', async (t) => {
  const h = harness();
  h.m.start([spec(1)]);
  h.setThrow('10.1.0.1');
  await h.advance(1500);
  t.equal(h.changes.pop()!.alive, false);
  t.match(h.m.view()[0].realServers[0].checkers[0].lastError, /boom/);
  await h.m.stop();
});

t.test('alpha: starts dead, one success brings it in', async (t) => {
  const h = harness();
  h.m.start([spec(1, { alpha: true })]);
  t.same(
    h.changes.map((c) => [c.alive, c.inService]),
    [[false, false]],
  );
  await h.advance(600);
  t.same(
    h.changes.map((c) => [c.alive, c.inService]),
    [
      [false, false],
      [true, true],
    ],
  );
  await h.m.stop();
});

t.test('reload keeps checker state of retained real servers and starts new ones', async (t) => {
  const h = harness();
  h.m.start([spec(2)]);
  await h.advance(600);
  h.healthy.set('10.1.0.1', false);
  await h.advance(2500);
  t.equal(h.m.view()[0].realServers[0].alive, false);
  h.changes.length = 0;
  h.m.reload([spec(3)]);
  t.same(
    h.changes.map((c) => [c.realServer, c.inService]),
    [['10.1.0.3:80', true]],
    'only the new real server is announced',
  );
  t.equal(h.m.view()[0].realServers[0].alive, false, 'dead one stays dead across reload');
  h.changes.length = 0;
  h.m.reload([spec(1)]);
  t.same(
    h.changes.map((c) => [c.realServer, c.inService, c.reason]),
    [
      ['10.1.0.2:80', false, 'removed from configuration'],
      ['10.1.0.3:80', false, 'removed from configuration'],
    ],
  );
  h.healthy.set('10.1.0.1', true);
  await h.advance(1200);
  t.equal(h.changes.pop()!.alive, true, 'migrated down checker needs one success');
  await h.m.stop();
});

t.test('warmup spreads 1000 real servers; cadence does not drift', async (t) => {
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const h = harness({ random: rnd });
  h.m.start([spec(1000)]);
  await h.advance(1000, 50);
  const firstRound = h.calls.filter((c) => c.atMs < 1000);
  const buckets = new Array(20).fill(0);
  for (const c of firstRound) buckets[Math.floor(c.atMs / 50)]++;
  t.equal(firstRound.length, 1000, 'each checked once in the first delay_loop');
  t.equal(new Set(firstRound.map((c) => c.host)).size, 1000);
  t.ok(Math.max(...buckets) < 150, `no 50 ms slot holds more than 15% of the checks (max ${Math.max(...buckets)})`);
  await h.advance(6000, 50);
  const first = h.calls.filter((c) => c.host === '10.1.0.1').map((c) => c.atMs);
  const gaps = first.slice(1).map((x, i) => x - first[i]);
  t.ok(
    gaps.every((g) => g === 1000),
    'checks of one server stay exactly delay_loop apart',
  );
  await h.m.stop();
});

t.test('ha_suspend: no checks while the VIP is absent', async (t) => {
  const h = harness();
  h.m.start([spec(1, { haSuspend: true })]);
  await h.advance(3000);
  t.equal(h.calls.length, 0);
  h.m.setVipPresent('10.0.0.1', true);
  await h.advance(1100);
  t.ok(h.calls.length >= 1);
  await h.m.stop();
});

t.test('misc_dynamic weight from the probe', async (t) => {
  const clock = new ManualClock();
  let weight: number | 'reset' = 7;
  const m = new HealthManager({ clock, random: () => 0, probe: async () => ({ ok: true, reason: 'exit', weight }) });
  const changes: RealServerChange[] = [];
  m.on('change', (e) => changes.push(e));
  const s = spec(1);
  s.realServers[0].checkers = [{ type: 'MISC_CHECK', misc: { argv: ['/bin/true'] }, miscDynamic: true }];
  m.start([s]);
  clock.advance(1);
  await new Promise((r) => setImmediate(r));
  t.equal(changes.pop()!.weight, 7);
  weight = 'reset';
  clock.advance(1000);
  await new Promise((r) => setImmediate(r));
  t.equal(changes.pop()!.weight, 2);
  await m.stop();
});

t.test('omega runs notify_down and quorum_down at stop', async (t) => {
  const h = harness();
  const s = spec(1, { omega: true, quorumDown: { argv: ['/bin/qd'] } });
  s.realServers[0].notifyDown = { argv: ['/bin/nd'] };
  h.m.start([s]);
  await h.m.stop();
  t.same(h.notified.sort(), ['notify_down:/bin/nd', 'quorum_down:/bin/qd']);
});

t.test('a hung probe (black-holed server) delays no other checker and counts as failed', async (t) => {
  const clock = new ManualClock();
  const calls = new Map<string, number>();
  const probe = (c: ResolvedChecker): Promise<CheckOutcome> => {
    calls.set(c.host, (calls.get(c.host) ?? 0) + 1);
    return c.host === '10.1.0.1' ? new Promise(() => {}) : Promise.resolve({ ok: true, reason: 'ok' });
  };
  const m = new HealthManager({ clock, probe, random: () => 0 });
  const changes: RealServerChange[] = [];
  m.on('change', (e) => changes.push(e));
  m.start([spec(3)]);
  for (let i = 0; i < 700; i++) {
    clock.advance(10);
    await new Promise((r) => setImmediate(r));
  }
  t.ok((calls.get('10.1.0.2') ?? 0) >= 7, `healthy servers keep their cadence (${calls.get('10.1.0.2')} checks in 7 s)`);
  t.equal(calls.get('10.1.0.1'), 2, 'the hung one was probed again only after the guard ended its first probe');
  const down = changes.filter((c) => c.realServer === '10.1.0.1:80' && !c.alive);
  t.equal(down.length, 1, 'the hung probe ends as a failure by the guard');
  t.match(m.view()[0].realServers[0].checkers[0].lastError, /did not finish/);
  await m.stop();
});
