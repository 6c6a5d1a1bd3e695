// vrrp_strict's no_accept: keepalived 2.2.7 and `ulvs run -f` each run the same two instances alone on
// their link — an address owner (accept) and a non-owner that becomes MASTER (no_accept under strict).
// From a client, a TCP service on the owner's VIP answers and the non-owner's does not, on both; stopping ulvs
// removes its filter.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;

const conf = (base: number): string => `global_defs {
 vrrp_strict
}
vrrp_instance OWNER {
 state MASTER
 interface eth0
 virtual_router_id ${base}
 priority 255
 advert_int 1
 virtual_ipaddress {
  10.78.0.${base}/24
 }
}
vrrp_instance OTHER {
 state BACKUP
 interface eth0
 virtual_router_id ${base + 1}
 priority 100
 advert_int 1
 virtual_ipaddress {
  10.78.0.${base + 1}/24
 }
}
`;

t.test('vrrp_strict: a non-owner MASTER drops traffic to its VIP, like keepalived', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('st'), [
    { name: 'k', addrs: ['10.78.0.1/24'] },
    { name: 'u', addrs: ['10.78.0.2/24'] },
    { name: 'c', addrs: ['10.78.0.3/24'] },
  ]);
  t.teardown(() => bed.down());
  const k = bed.keepalived('k', conf(10));
  const u = bed.ulvsRun('u', conf(20));
  t.ok(
    await bed.until(async () => (await bed.holds('k', '10.78.0.11')) && (await bed.holds('u', '10.78.0.21')), 10000),
    'both non-owner instances became MASTER',
  );
  for (const n of ['k', 'u']) bed.spawn(n, ['socat', 'TCP-LISTEN:7777,fork,reuseaddr', 'SYSTEM:echo hi']);
  await new Promise((r) => setTimeout(r, 300));
  const ping = async (ip: string): Promise<boolean> =>
    (await run(['socat', '-T1', '-', `TCP:${ip}:7777,connect-timeout=1`], { netns: bed.ns('c'), timeoutMs: 5000 })).stdout.includes('hi');
  t.ok((await ping('10.78.0.1')) && (await ping('10.78.0.2')), 'the client reaches both routers');
  t.same(
    { owner: await ping('10.78.0.10'), other: await ping('10.78.0.11') },
    { owner: true, other: false },
    'keepalived: owner VIP answers, no_accept VIP does not',
  );
  t.same({ owner: await ping('10.78.0.20'), other: await ping('10.78.0.21') }, { owner: true, other: false }, 'ulvs: the same');
  await stopProc(u);
  const left = await run(['iptables-save'], { netns: bed.ns('u') });
  t.notOk(/ULVS-VRRP/.test(left.stdout), 'ulvs stop removes its filter chains');
  await stopProc(k);
});
