// keepalived's lvs_sync_daemon line: every option, keepalived's ranges, and a sentence naming the fix.
import t from 'tap';
import { parseLvsSyncDaemon } from '../../src/config/lvs-sync-daemon.js';

t.test('lvs_sync_daemon words', async (t) => {
  const p = (line: string) => parseLvsSyncDaemon(line.split(' '), ['VI_1']);
  t.same(p('eth0 VI_1'), { ok: true, value: { interface: 'eth0', instance: 'VI_1', syncId: 0 } });
  t.same(p('eth0 VI_1 id 5 maxlen 1400 port 8849 ttl 3 group 239.1.2.3'), {
    ok: true,
    value: { interface: 'eth0', instance: 'VI_1', syncId: 5, maxLen: 1400, port: 8849, ttl: 3, group: '239.1.2.3' },
  });
  t.match(p('eth0 VI_1 group ff02::8:8848'), { ok: false, error: /IPv4 only/ });
  t.match(p('eth0'), { ok: false, error: /names no VRRP instance/ });
  t.match(p('eth0 id 5'), { ok: false, error: /names no VRRP instance/ });
  t.match(p('eth0 VI_9'), { ok: false, error: /vrrp_instance VI_9, which is not defined; name one of: VI_1/ });
  t.match(p('eth0 VI_1 id 256'), { ok: false, error: /out of range; use 0\.\.255/ });
  t.match(p('eth0 VI_1 ttl'), { ok: false, error: /has no value/ });
  t.match(p('eth0 VI_1 group 10.0.0.1'), { ok: false, error: /not a multicast address/ });
  t.match(p('eth0 VI_1 speed 5'), { ok: false, error: /unknown option 'speed'/ });
  t.match(p('eth0 VI_1 sync_retries 4'), { ok: false, error: /out of range; use 0\.\.3/ });
  t.match(p('eth0 VI_1 sync_threshold 50'), { ok: false, error: /below its period \(50\)/ });
  t.match(p('eth0 VI_1 peer 224.0.0.81'), { ok: false, error: /not an IPv4 unicast address/ });
});

t.test('keepalived 2.2.7 forms: [inst] INSTANCE, syncid defaults to the instance VRID; ulvs words', async (t) => {
  const p = (line: string) => parseLvsSyncDaemon(line.split(' '), ['VI_1'], (n) => (n === 'VI_1' ? 51 : undefined));
  t.same(p('eth0 inst VI_1'), { ok: true, value: { interface: 'eth0', instance: 'VI_1', syncId: 51 } });
  t.same(p('eth0 VI_1 id 0'), { ok: true, value: { interface: 'eth0', instance: 'VI_1', syncId: 0 } });
  t.same(p('eth0 VI_1 peer 198.18.0.12 sync_threshold 2 10 sync_refresh_period 60 sync_retries 2 port 8850'), {
    ok: true,
    value: { interface: 'eth0', instance: 'VI_1', syncId: 51, peer: '198.18.0.12', threshold: 2, period: 10, refreshPeriodS: 60, retries: 2, port: 8850 },
  });
  t.same(p('eth0 VI_1 sync_threshold 1'), { ok: true, value: { interface: 'eth0', instance: 'VI_1', syncId: 51, threshold: 1 } });
});
