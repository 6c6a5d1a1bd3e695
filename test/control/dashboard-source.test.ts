// The dashboard's services: one service-key text with ipvsadm/metrics (serviceKeyText: an IPv6 fwmark
// service is "FWM 1 IPv6", so it never shares a key — and a chart — with the IPv4 "FWM 1"), and each real
// server's health from the checker of its virtual_server block, matched by the block's service keys (a
// virtual_server_group's members included), not by the block's text id; a real server without a checker
// has no verdict (null), though the health manager lists it as alive.
import t from 'tap';
import { dashServices } from '../../src/control/dashboard-source.js';
import { buildListing } from '../../src/control/listing.js';
import { RateEstimator } from '../../src/control/rate-estimator.js';
import { parseRulesText } from '../../src/ipvs/rules-text.js';
import type { ServiceKey } from '../../src/ipvs/types.js';

const rules = parseRulesText(
  [
    '-A -f 1 -s rr',
    '-a -f 1 -r 198.18.0.21:0 -g -w 1',
    '-A -f 1 -6 -s rr',
    '-a -f 1 -6 -r [fd00::21]:0 -g -w 1',
    '-A -t 198.18.0.100:80 -s rr',
    '-a -t 198.18.0.100:80 -r 198.18.0.21:80 -m -w 1',
    '-a -t 198.18.0.100:80 -r 198.18.0.22:80 -m -w 1',
    '',
  ].join('\n'),
  'test.rules',
);
const listing = buildListing(rules, [], new RateEstimator());
const group: ServiceKey[] = [
  { kind: 'addr', protocol: 'tcp', family: 4, address: '198.18.0.100', port: 80 },
  { kind: 'addr', protocol: 'tcp', family: 4, address: '198.18.0.101', port: 80 },
];

t.test('service keys are serviceKeyText, health follows the block keys', async (t) => {
  const s = dashServices(listing.services, [
    { keys: group, realServer: '198.18.0.22:80', alive: false, checkers: ['TCP_CHECK'] },
    { keys: group, realServer: '198.18.0.21:80', alive: true, checkers: [] },
    { keys: [{ kind: 'fwmark', fwmark: 1, family: 4 }], realServer: '198.18.0.21:0', alive: true, checkers: ['MISC_CHECK'] },
  ]);
  t.same(
    s.map((x) => x.key),
    ['FWM 1', 'FWM 1 IPv6', 'TCP 198.18.0.100:80'],
  );
  const tcp = s[2]!;
  t.same(
    tcp.dests.map((d) => [d.address, d.alive]),
    [
      ['198.18.0.22', false],
      ['198.18.0.21', null],
    ],
    "the group's checker gives .22 its verdict; .21 has no checker in this block (shown as '-', not 'up'; the FWM block's does not count)",
  );
  t.equal(s[0]!.dests[0]!.alive, true, 'the fwmark block checks its own real server');
  t.equal(s[1]!.dests[0]!.alive, null, 'the IPv6 fwmark service is another service');
});
