// FAULT recovery from netlink events: `ulvs run -f` started on an interface without an IPv4 address
// holds its instance in FAULT (no VIP); adding an address clears FAULT and the instance becomes MASTER.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { runOk } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const VIP = '10.68.0.100';

t.test('an address added after start clears FAULT', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('fr'), [{ name: 'u', addrs: [] }]);
  t.teardown(() => bed.down());
  const u = bed.ulvsRun(
    'u',
    `vrrp_instance VI_1 {\n state MASTER\n interface eth0\n virtual_router_id 90\n priority 255\n advert_int 1\n virtual_ipaddress {\n  ${VIP}/24\n }\n}\n`,
  );
  t.ok(await bed.until(() => u.out.some((l) => /FAULT/.test(l)), 8000), 'no address on eth0: the instance is in FAULT');
  await new Promise((r) => setTimeout(r, 500));
  t.notOk(await bed.holds('u', VIP), 'and holds no VIP');
  await runOk(['ip', 'addr', 'add', '10.68.0.2/24', 'dev', 'eth0'], { netns: bed.ns('u') });
  if (!t.ok(await bed.until(() => bed.holds('u', VIP), 8000), 'address added: FAULT cleared, MASTER, VIP installed')) t.comment(u.out.slice(-15).join('\n'));
  t.ok(
    u.out.some((l) => /source address 10\.68\.0\.2/.test(l)),
    'it took the new address as its source',
  );
  await stopProc(u);
  t.notOk(await bed.holds('u', VIP), 'stop removes the VIP');
});
