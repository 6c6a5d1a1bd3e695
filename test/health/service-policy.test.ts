import t from 'tap';
import { evaluateQuorum, initialQuorumUp } from '../../src/health/policy/quorum.js';
import { ServicePolicy, type PolicyAction } from '../../src/health/policy/service-policy.js';
import { resolveService } from '../../src/health/resolve.js';
import type { HealthServiceSpec } from '../../src/health/types.js';

function spec(over: Partial<HealthServiceSpec> = {}, n = 3, weight = 1): HealthServiceSpec {
  return {
    id: 'TCP 10.0.0.1:80',
    keys: [{ kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }],
    vips: ['10.0.0.1'],
    realServers: Array.from({ length: n }, (_, i) => ({
      address: `10.1.0.${i + 1}`,
      port: 80,
      weight,
      checkers: [{ type: 'TCP_CHECK' as const }],
    })),
    ...over,
  };
}
const kinds = (a: PolicyAction[]) =>
  a.map((x) =>
    x.kind === 'notify'
      ? `notify:${x.what}`
      : x.kind === 'quorum'
        ? `quorum:${x.up}`
        : x.kind === 'sorry'
          ? `sorry:${x.active}`
          : `rs:${x.rsId}:${x.out.inService}:${x.out.weight}`,
  );

t.test('quorum with hysteresis', async (t) => {
  t.equal(initialQuorumUp(3, 1, 4), true);
  t.equal(initialQuorumUp(3, 1, 3), false);
  t.equal(evaluateQuorum({ quorum: 3, hysteresis: 1, up: true, aliveWeight: 2 }), null, 'holds at quorum - hysteresis');
  t.equal(evaluateQuorum({ quorum: 3, hysteresis: 1, up: true, aliveWeight: 1 }), 'lost');
  t.equal(evaluateQuorum({ quorum: 3, hysteresis: 1, up: false, aliveWeight: 3 }), null, 'not regained below quorum + hysteresis');
  t.equal(evaluateQuorum({ quorum: 3, hysteresis: 1, up: false, aliveWeight: 4 }), 'gained');
  t.equal(evaluateQuorum({ quorum: 1, hysteresis: 0, up: true, aliveWeight: 0 }), 'lost');
});

t.test('dead real server is removed; with inhibit_on_failure its weight goes to 0', async (t) => {
  const p = new ServicePolicy(resolveService(spec({}, 2, 5)), () => true);
  t.same(kinds(p.init()), ['rs:10.1.0.1:80:true:5', 'rs:10.1.0.2:80:true:5']);
  t.same(kinds(p.setAlive('10.1.0.1:80', false, 'x')), ['rs:10.1.0.1:80:false:0']);
  t.same(kinds(p.setAlive('10.1.0.1:80', true, 'x')), ['rs:10.1.0.1:80:true:5']);
  const q = new ServicePolicy(resolveService(spec({ inhibitOnFailure: true }, 2, 5)), () => true);
  q.init();
  t.same(kinds(q.setAlive('10.1.0.2:80', false, 'x')), ['rs:10.1.0.2:80:true:0']);
});

t.test('sorry server replaces all real servers while quorum is lost, notifies run', async (t) => {
  const notifyDown = { argv: ['/bin/true', 'down'] };
  const quorumDown = { argv: ['/bin/true', 'qdown'] };
  const quorumUp = { argv: ['/bin/true', 'qup'] };
  const s = spec({ quorum: 2, sorryServer: { address: '10.9.9.9', port: 80 }, quorumDown, quorumUp });
  s.realServers[0].notifyDown = notifyDown;
  const p = new ServicePolicy(resolveService(s), () => true);
  t.same(kinds(p.init()), ['sorry:false', 'rs:10.1.0.1:80:true:1', 'rs:10.1.0.2:80:true:1', 'rs:10.1.0.3:80:true:1']);
  t.same(kinds(p.setAlive('10.1.0.1:80', false, 'x')), ['notify:notify_down', 'rs:10.1.0.1:80:false:0'], 'still quorum (2 of 2)');
  const lost = kinds(p.setAlive('10.1.0.2:80', false, 'x'));
  t.same(lost, ['quorum:false', 'notify:quorum_down', 'rs:10.1.0.2:80:false:0', 'rs:10.1.0.3:80:false:0', 'sorry:true']);
  t.equal(p.sorryActive, true);
  const back = kinds(p.setAlive('10.1.0.1:80', true, 'x'));
  t.same(back, ['quorum:true', 'notify:quorum_up', 'sorry:false', 'rs:10.1.0.1:80:true:1', 'rs:10.1.0.3:80:true:1']);
});

t.test('sorry_server_inhibit keeps the sorry server at weight 0 when unused', async (t) => {
  const p = new ServicePolicy(resolveService(spec({ sorryServer: { address: '10.9.9.9', port: 80 }, sorryServerInhibit: true }, 1)), () => true);
  const a = p.init();
  const sorry = a.find((x) => x.kind === 'sorry');
  t.same(sorry && sorry.kind === 'sorry' && sorry.out, { inService: true, weight: 0 });
});

t.test('alpha: starting with quorum down puts the sorry server in', async (t) => {
  const p = new ServicePolicy(resolveService(spec({ alpha: true, sorryServer: { address: '10.9.9.9', port: 80 } }, 2)), () => false);
  t.same(kinds(p.init()), ['quorum:false', 'rs:10.1.0.1:80:false:0', 'rs:10.1.0.2:80:false:0', 'sorry:true']);
  t.same(kinds(p.setAlive('10.1.0.2:80', true, 'x')), ['quorum:true', 'sorry:false', 'rs:10.1.0.2:80:true:1']);
});

t.test('misc_dynamic weight changes count for quorum', async (t) => {
  const p = new ServicePolicy(resolveService(spec({ quorum: 3 }, 2, 2)), () => true);
  p.init();
  t.equal(p.quorumUp, true);
  t.same(kinds(p.setWeight('10.1.0.1:80', 0, 'misc')), ['quorum:false', 'rs:10.1.0.1:80:true:0']);
});

t.test('stop: omega gates notifiers on shutdown, reload removal always notifies', async (t) => {
  const s = spec({ quorumDown: { argv: ['/bin/true'] } }, 1);
  s.realServers[0].notifyDown = { argv: ['/bin/true'] };
  const p = new ServicePolicy(resolveService(s), () => true);
  p.init();
  t.notOk(kinds(p.stop(true)).some((k) => k.startsWith('notify')));
  const p2 = new ServicePolicy(resolveService({ ...s, omega: true }), () => true);
  p2.init();
  t.same(
    kinds(p2.stop(true)).filter((k) => k.startsWith('notify')),
    ['notify:notify_down', 'notify:quorum_down'],
  );
  const p3 = new ServicePolicy(resolveService(s), () => true);
  p3.init();
  t.same(
    kinds(p3.stop(false)).filter((k) => k.startsWith('notify')),
    ['notify:notify_down', 'notify:quorum_down'],
  );
});

t.test('keepalived corrections: quorum above total weight, hysteresis >= quorum', async (t) => {
  const r = resolveService(spec({ quorum: 10, hysteresis: 10 }, 2, 1));
  t.equal(r.quorum, 2);
  t.equal(r.hysteresis, 1);
  t.equal(r.warnings.length, 2);
});
