// Director network plan (host/director.ts), no privileges: which iptables rules and ip rule families a
// rule set needs; fwmark services stay in their own family and are refused on AF_PACKET in one sentence.
import t from 'tap';
import { iptablesRules } from '../../src/host/director-iptables.js';
import { checkBackendSupports, drRuleFamilies, planDirectorNet } from '../../src/host/director-plan.js';
import { parseRulesText } from '../../src/ipvs/rules-text.js';

const fwmark4 = parseRulesText('-A -f 7 -s rr\n-a -f 7 -r 198.18.0.21:0 -m -w 1\n-a -f 7 -r 198.18.0.22:0 -m -w 1\n', 'fwmark.rules');

t.test('an IPv4 fwmark service queues marked IPv4 packets only', async (t) => {
  const plan = planDirectorNet(fwmark4, { backend: 'nfqueue', interfaces: ['eth0'], workers: 2 });
  t.same(plan.fwmarks, [{ mark: 7, family: 4 }]);
  t.same(plan.addresses, [], 'a fwmark service holds no address');
  const marks = iptablesRules(plan).filter(([, , argv]) => argv.includes('--mark'));
  t.same(
    marks.map(([f, table]) => [f, table]),
    [[4, 'mangle']],
    'one mangle rule, IPv4 only',
  );
  t.match(marks[0]![2].join(' '), /-m mark --mark 7 .*-j NFQUEUE --queue-balance 0:1/);
});

t.test('an IPv6 fwmark service queues marked IPv6 packets', async (t) => {
  const rules = parseRulesText('-A -f 9 -6 -s rr\n-a -f 9 -6 -r [fd75:6c76::21]:0 -m -w 1\n', 'fwmark6.rules');
  const plan = planDirectorNet(rules, { backend: 'nfqueue', interfaces: ['eth0'], workers: 1 });
  t.same(plan.fwmarks, [{ mark: 9, family: 6 }]);
  t.same(
    iptablesRules(plan)
      .filter(([, , argv]) => argv.includes('--mark'))
      .map(([f]) => f),
    [6],
  );
});

t.test('fwmark services on AF_PACKET: one sentence that names --backend nfqueue', async (t) => {
  t.throws(
    () => checkBackendSupports(fwmark4, 'afpacket'),
    /^fwmark service 7 needs --backend nfqueue: AF_PACKET sees packets before any firewall mark is set$/,
  );
  t.throws(() => planDirectorNet(fwmark4, { backend: 'afpacket', interfaces: ['eth0'], workers: 1 }), /--backend nfqueue/);
  t.doesNotThrow(() => checkBackendSupports(fwmark4, 'nfqueue'));
  t.doesNotThrow(() => checkBackendSupports(parseRulesText('-A -t 198.18.0.100:80 -s rr\n', 'a.rules'), 'afpacket'));
});

t.test('DR on NFQUEUE moves the local table in the families of its routes', async (t) => {
  const rules = parseRulesText('-A -t [fd75:6c76::100]:80 -s rr\n-a -t [fd75:6c76::100]:80 -r [fd75:6c76::21]:80 -g -w 1\n', 'dr6.rules');
  const v6 = planDirectorNet(rules, { backend: 'nfqueue', interfaces: ['eth0'], workers: 1, drDests: [{ mark: 0x100, slot: 0, address: 'fd75:6c76::21' }] });
  t.same(drRuleFamilies(v6), ['-6'], 'an IPv6 VIP needs the IPv6 local table moved (ip rule without -6 is IPv4 only)');
  t.same(v6.addresses, ['fd75:6c76::100/128']);
  const both = planDirectorNet(rules, {
    backend: 'nfqueue',
    interfaces: ['eth0'],
    workers: 1,
    drDests: [
      { mark: 1, slot: 0, address: 'fd75:6c76::21' },
      { mark: 2, slot: 1, address: '198.18.0.21' },
      { mark: 3, slot: 2, address: '198.18.0.22' },
    ],
  });
  t.same(drRuleFamilies(both), ['-6', '-4']);
  t.same(
    drRuleFamilies(
      planDirectorNet(rules, { backend: 'afpacket', interfaces: ['eth0'], workers: 1, drDests: [{ mark: 1, slot: 0, address: 'fd75:6c76::21' }] }),
    ),
    [],
    'AF_PACKET has no DR routes',
  );
});

t.test('NFQUEUE queues the ICMP errors IPVS relates to connections (to local addresses, and from NAT real servers)', async (t) => {
  const nat = parseRulesText('-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.2:8080 -m -w 1\n', 'nat.rules');
  const rules = iptablesRules(planDirectorNet(nat, { backend: 'nfqueue', interfaces: ['eth0'], workers: 1 })).map(([, , a]) => a.join(' '));
  t.ok(
    rules.some((r) => /--icmp-type destination-unreachable -m addrtype --dst-type LOCAL .*NFQUEUE/.test(r)),
    'frag-needed to a VIP is queued',
  );
  t.ok(
    rules.some((r) => /-s 10\.0\.0\.2\S* -p icmp -m icmp --icmp-type time-exceeded .*NFQUEUE/.test(r)),
    'errors from a NAT real server are queued',
  );
  const afp = iptablesRules(planDirectorNet(nat, { backend: 'afpacket', interfaces: ['eth0'], workers: 1 })).map(([, , a]) => a.join(' '));
  t.notOk(
    afp.some((r) => r.includes('icmp')),
    'AF_PACKET sees ICMP through its ring filter, no rule',
  );
});

t.test('service traffic is never handed to the local stack while no worker holds the queue (no --queue-bypass)', async (t) => {
  // A crashed daemon leaves its VIP: with --queue-bypass the local stack reset every synced connection
  // before the BACKUP took over (the 2-in-21 NAT failover flake of issue 18). Dropped, it is retransmitted.
  const nat = parseRulesText(
    '-A -t 10.0.0.100:80 -s rr\n-a -t 10.0.0.100:80 -r 10.0.0.2:8080 -m -w 1\n-A -f 7 -s rr\n-a -f 7 -r 10.0.0.3:0 -g -w 1\n',
    'nat.rules',
  );
  const rules = iptablesRules(planDirectorNet(nat, { backend: 'nfqueue', interfaces: ['eth0'], workers: 2 })).map(([, , a]) => a.join(' '));
  const queued = rules.filter((r) => r.includes('NFQUEUE'));
  const service = queued.filter((r) => !r.includes('icmp'));
  t.ok(
    service.some((r) => /-d 10\.0\.0\.100\S* -p tcp .*--dport 80 /.test(r)),
    'the VIP rule is queued',
  );
  t.ok(
    service.some((r) => /-s 10\.0\.0\.2\S* -p tcp .*--sport 8080 /.test(r)),
    'the NAT replies rule is queued',
  );
  t.ok(
    service.some((r) => /--mark 7 /.test(r)),
    'the fwmark rule is queued',
  );
  t.same(
    service.filter((r) => r.includes('--queue-bypass')),
    [],
    'no service, fwmark or NAT reply rule has --queue-bypass',
  );
  t.ok(
    queued.filter((r) => r.includes('--dst-type LOCAL')).every((r) => r.includes('--queue-bypass')),
    'ICMP errors to local addresses keep it (the host needs them with no daemon)',
  );
});
