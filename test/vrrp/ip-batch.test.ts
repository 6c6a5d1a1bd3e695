import t from 'tap';
import { IpBatch } from '../../src/vrrp/ip-batch.js';
import { vipAddArgv, vipDelArgv } from '../../src/vrrp/vip.js';
import { vip } from '../../src/vrrp/spec.js';

t.test('persistent ip -batch: completion markers and per-request errors', async (t) => {
  const b = new IpBatch();
  t.teardown(() => b.close());
  t.same(await b.run(['link show dev lo']), [], 'a good line gives no error');
  const [e1, e2] = await Promise.all([b.run(['link show dev ulvs-no-such-if0']), b.run(['link show dev lo'])]);
  t.equal(e1.length, 1, `the failing request gets its error: ${e1[0]}`);
  t.same(e2, [], 'the next request is unaffected');
});

t.test('VIP argv in keepalived virtual_ipaddress terms', async (t) => {
  t.same(vipAddArgv(vip('192.168.1.200/24', { label: 'eth0:havip', broadcast: '+', scope: 'link' }), 'eth0'), [
    'ip',
    '-4',
    'addr',
    'add',
    '192.168.1.200/24',
    'brd',
    '+',
    'dev',
    'eth0',
    'scope',
    'link',
    'label',
    'eth0:havip',
  ]);
  t.same(vipAddArgv(vip('2001:db8::1'), 'eth1'), ['ip', '-6', 'addr', 'add', '2001:db8::1/128', 'dev', 'eth1', 'nodad']);
  t.same(vipDelArgv(vip('10.0.0.1', { dev: 'eth2' }), 'eth0'), ['ip', '-4', 'addr', 'del', '10.0.0.1/32', 'dev', 'eth2']);
});
