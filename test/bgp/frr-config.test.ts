// What ulvs tells bgpd: the startup config (sessions with their timers, no route, no policy needed) and
// the vtysh lines that announce/withdraw VIPs per address family; which VIPs are in service.
import t from 'tap';
import { bgpdConfig, networkCommands } from '../../src/bgp/frr-config.js';
import { vipsInService } from '../../src/bgp/in-service.js';
import type { BgpConfig } from '../../src/bgp/types.js';
import type { IpvsRules } from '../../src/ipvs/types.js';

const cfg: BgpConfig = {
  localAs: 65011,
  routerId: '10.0.0.11',
  neighbors: [
    { address: '10.0.0.1', remoteAs: 65000, holdTimeS: 9, keepaliveS: 3, connectRetryS: 2, source: 'f:3' },
    { address: 'fd00::1', remoteAs: 65000, holdTimeS: 30, keepaliveS: 10, connectRetryS: 5, sourceIp: 'fd00::11', source: 'f:8' },
  ],
  vips: ['10.0.0.100/32', '10.0.0.101/32', 'fd00::100/128'],
  drainWaitS: 5,
  bgpdPath: '/usr/lib/frr/bgpd',
  source: 'f:1',
};

t.test('bgpd.conf: router bgp, timers per neighbor, each family activated for its peers only', async (t) => {
  const c = bgpdConfig(cfg);
  for (const l of [
    'router bgp 65011',
    ' bgp router-id 10.0.0.11',
    ' no bgp network import-check',
    ' no bgp ebgp-requires-policy',
    ' neighbor 10.0.0.1 remote-as 65000',
    ' neighbor 10.0.0.1 timers 3 9',
    ' neighbor 10.0.0.1 timers connect 2',
    ' neighbor fd00::1 timers 10 30',
    ' neighbor fd00::1 update-source fd00::11',
  ])
    t.ok(c.split('\n').includes(l), l);
  t.match(c, / address-family ipv4 unicast\n {2}neighbor 10\.0\.0\.1 activate\n exit-address-family/);
  t.match(c, / address-family ipv6 unicast\n {2}neighbor fd00::1 activate\n exit-address-family/);
  t.notMatch(c, /^\s*network /m, 'nothing announced before the data plane runs');
});

t.test('vtysh lines: network / no network under the right address family', async (t) => {
  t.same(networkCommands(cfg, ['10.0.0.100/32', 'fd00::100/128'], ['10.0.0.101/32']), [
    'configure terminal',
    'router bgp 65011',
    'address-family ipv4 unicast',
    'network 10.0.0.100/32',
    'no network 10.0.0.101/32',
    'exit-address-family',
    'address-family ipv6 unicast',
    'network fd00::100/128',
    'exit-address-family',
    'end',
  ]);
});

t.test('in service: a virtual service on the VIP with a real server of weight > 0', async (t) => {
  const svc = (address: string, weights: number[]) => ({
    key: { kind: 'addr' as const, protocol: 'tcp' as const, family: 4 as const, address, port: 80 },
    realServers: weights.map((weight, i) => ({ address: `10.0.1.${i + 1}`, port: 80, forward: 'dr' as const, weight, upperThreshold: 0, lowerThreshold: 0 })),
  });
  const rules = { services: [svc('10.0.0.100', [0, 1]), svc('10.0.0.101', [0])], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } } as unknown as IpvsRules;
  t.same(vipsInService(cfg.vips, rules), ['10.0.0.100/32'], 'all weights 0 (quorum lost, all down): not in service; no service: not either');
  t.same(vipsInService(cfg.vips, undefined), [], 'no rules running yet: nothing');
});
