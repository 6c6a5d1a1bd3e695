// Unit test of src/lab/resilient-ecmp.ts (no root): bgpd's JSON to a multipath set, and the ip lines
// that keep a VIP on one kernel resilient group as next hops come and go.
import t from 'tap';
import { multipathNextHops, resilientBatch } from '../../src/lab/resilient-ecmp.js';

const path = (ip: string, o: Record<string, unknown> = {}) => ({ valid: true, multipath: true, nexthops: [{ ip, afi: 'ipv4', used: true }], ...o });

t.test('multipathNextHops: valid best and multipath paths, sorted; an IPv6 path by its global next hop', async (t) => {
  const j = {
    paths: [
      path('198.18.0.13'),
      path('198.18.0.11', { multipath: false, bestpath: { overall: true } }),
      path('198.18.0.12', { valid: false }),
      path('198.18.0.14', { multipath: false }),
    ],
  };
  t.same(multipathNextHops(JSON.stringify(j)), ['198.18.0.11', '198.18.0.13']);
  const v6 = {
    paths: [
      {
        valid: true,
        multipath: true,
        nexthops: [
          { ip: 'fe80::1', scope: 'link-local' },
          { ip: 'fd75:6c76::11', scope: 'global' },
        ].reverse(),
      },
    ],
  };
  t.same(multipathNextHops(JSON.stringify(v6)), ['fd75:6c76::11']);
  t.same(multipathNextHops('{}'), [], 'prefix not in the table');
  t.same(multipathNextHops('% Unknown command'), [], 'not JSON');
});

t.test('resilientBatch: create, change members in place, remove the route but keep the group', async (t) => {
  const ids = new Map<string, number>();
  const create = resilientBatch('198.18.0.100/32', 7, [], ['198.18.0.11', '198.18.0.12'], 'eth1', ids);
  t.same(create, [
    'nexthop replace id 9100000 via 198.18.0.11 dev eth1',
    'nexthop replace id 9100001 via 198.18.0.12 dev eth1',
    'nexthop replace id 7 group 9100000/9100001 type resilient buckets 512 idle_timer 0 unbalanced_timer 0',
    'route replace 198.18.0.100/32 nhid 7 proto static',
  ]);
  const grow = resilientBatch('198.18.0.100/32', 7, ['198.18.0.11', '198.18.0.12'], ['198.18.0.11', '198.18.0.12', '198.18.0.13'], 'eth1', ids);
  t.same(grow, [
    'nexthop replace id 9100002 via 198.18.0.13 dev eth1',
    'nexthop replace id 7 group 9100000/9100001/9100002 type resilient buckets 512 idle_timer 0 unbalanced_timer 0',
  ]);
  t.same(
    resilientBatch('198.18.0.100/32', 7, ['198.18.0.11'], ['198.18.0.12'], 'eth1', ids),
    ['nexthop replace id 7 group 9100001 type resilient buckets 512 idle_timer 0 unbalanced_timer 0'],
    'known next hops are not re-created',
  );
  t.same(resilientBatch('198.18.0.100/32', 7, ['198.18.0.12'], [], 'eth1', ids), ['route del 198.18.0.100/32']);
  t.same(resilientBatch('198.18.0.100/32', 7, [], [], 'eth1', ids), [], 'nothing to do');
});
