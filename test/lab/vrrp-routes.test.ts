// static_ipaddress / static_routes / static_rules and virtual_routes / virtual_rules: the same
// keepalived.conf run by keepalived 2.2.7 in one namespace and `ulvs run -f` in another; both become
// MASTER (own VRIDs) and `ip route` / `ip rule` / `ip addr` must come out the same, then be cleaned up at stop.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const VIP = '10.63.0.100';

const conf = (vrid: number): string => `global_defs {
 router_id R${vrid}
}
static_ipaddress {
 10.64.0.1/24 dev eth0
}
static_routes {
 10.65.0.0/24 via 10.63.0.254 dev eth0
 blackhole 10.66.0.0/24 table 200
}
static_rules {
 from 10.64.0.0/24 table 200 priority 100
}
vrrp_instance VI_1 {
 state MASTER
 interface eth0
 virtual_router_id ${vrid}
 priority 255
 advert_int 1
 virtual_ipaddress {
  ${VIP}/24
 }
 virtual_routes {
  src ${VIP} to 10.70.0.0/24 via 10.63.0.254 dev eth0 metric 7
  10.71.0.0/24 table 300 nexthop via 10.63.0.251 dev eth0 weight 1 nexthop via 10.63.0.252 dev eth0 weight 2
  unreachable 10.72.0.0/24 no_track
  10.74.0.0/24 dev eth0 scope link table 300
 }
 virtual_rules {
  from 10.70.0.0/24 table 300 priority 200
  to 10.80.0.0/16 fwmark 5 table 300 priority 201
  iif eth0 to 10.81.0.0/16 goto 32766 priority 202 no_track
 }
}
`;

/** Routes (all tables, no kernel/local ones), rules and eth0's addresses of a node, normalised for comparison. */
async function view(bed: VrrpBed, n: string): Promise<{ routes: string[]; rules: string[]; addrs: string[] }> {
  const ns = bed.ns(n);
  const routes = (await run(['ip', 'route', 'show', 'table', 'all'], { netns: ns })).stdout
    .split('\n')
    .filter((l) => l && !/proto kernel|^local |^broadcast |^multicast |table local|^fe80|^ff00/.test(l));
  // multipath routes print their nexthops on the following lines: join them to the route.
  const joined: string[] = [];
  for (const l of routes)
    if (/^\s/.test(l) && joined.length) joined[joined.length - 1] += ` ${l.trim()}`;
    else joined.push(l.trim());
  const rules = (await run(['ip', 'rule', 'show'], { netns: ns })).stdout.split('\n').filter(Boolean);
  const addrs = (await run(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { netns: ns })).stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(/\s+/)[3]!)
    .filter((a) => a !== '10.63.0.1/24' && a !== '10.63.0.2/24');
  return { routes: joined.sort(), rules, addrs: addrs.sort() };
}

t.test('routes and rules: ulvs installs what keepalived installs, and removes it at stop', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('rt'), [
    { name: 'k', addrs: ['10.63.0.1/24'] },
    { name: 'u', addrs: ['10.63.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const k = bed.keepalived('k', conf(71));
  const u = bed.ulvsRun('u', conf(72));
  const ready = async (n: string): Promise<boolean> => (await bed.holds(n, VIP)) && (await view(bed, n)).rules.length >= 6;
  t.ok(await bed.until(async () => (await ready('k')) && (await ready('u')), 10000), 'both MASTER with their rules');
  await new Promise((r) => setTimeout(r, 300));
  const kv = await view(bed, 'k');
  const uv = await view(bed, 'u');
  t.ok(
    kv.routes.some((r) => r.startsWith('10.71.0.0/24 table 300') && r.includes('weight 2')),
    `keepalived installed the multipath route: ${kv.routes.join(' | ')}`,
  );
  t.same(uv.routes, kv.routes, 'ip route show table all: the same routes');
  t.same(uv.rules, kv.rules, 'ip rule show: the same rules');
  t.same(uv.addrs, kv.addrs, 'ip addr: the VIP and the static address');

  await stopProc(u);
  await stopProc(k);
  const ku = await view(bed, 'k');
  const uu = await view(bed, 'u');
  if (
    !t.same(
      uu,
      { routes: [], rules: ['0:\tfrom all lookup local', '32766:\tfrom all lookup main', '32767:\tfrom all lookup default'], addrs: [] },
      'ulvs stop removes its routes, rules and addresses',
    )
  )
    t.comment(u.out.slice(-20).join('\n'));
  t.same(uu, ku, 'as keepalived does at stop');
});
