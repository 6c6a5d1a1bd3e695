// auth_type AH (RFC 2338 IPsec AH, HMAC-MD5-96) between ulvs and keepalived 2.2.7, both ways: each side
// stays BACKUP only if it accepts the other's AH adverts (else it would take the VIP too), the clean stop's
// priority-0 advert hands over at once, and neither logs an AH failure.
import t from 'tap';
import { VrrpBed, bedId, ensureDist, keepalivedInstance, stopProc } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;
const VIP = '10.79.0.100';

const ulvsConf = (prio: number, pass: string): string => `vrrp_instance VI_1 {
 state BACKUP
 interface eth0
 virtual_router_id 77
 priority ${prio}
 advert_int 1
 authentication {
  auth_type AH
  auth_pass ${pass}
 }
 virtual_ipaddress {
  ${VIP}/24
 }
}
`;
const kConf = (prio: number): string =>
  keepalivedInstance({ vrid: 77, priority: prio, advertInt: 1, vips: [`${VIP}/24`] }).replace(
    ' virtual_ipaddress {',
    ' authentication {\n  auth_type AH\n  auth_pass s3cret\n }\n virtual_ipaddress {',
  );

t.test('AH adverts are accepted both ways between ulvs and keepalived', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('ah'), [
    { name: 'u', addrs: ['10.79.0.1/24'] },
    { name: 'k', addrs: ['10.79.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const holder = async (): Promise<string> => `${(await bed.holds('u', VIP)) ? 'u' : ''}${(await bed.holds('k', VIP)) ? 'k' : ''}`;
  let u = bed.ulvsRun('u', ulvsConf(200, 's3cret'));
  t.ok(await bed.until(async () => (await holder()) === 'u', 8000), 'ulvs (200) becomes MASTER');
  let k = bed.keepalived('k', kConf(100));
  await new Promise((r) => setTimeout(r, 4000));
  t.equal(await holder(), 'u', "keepalived (100) accepts ulvs's AH adverts and stays BACKUP past its master-down interval");
  await stopProc(u);
  t.ok(await bed.until(async () => (await holder()) === 'k', 2500), 'ulvs stops: its AH priority-0 advert hands over to keepalived at once');

  u = bed.ulvsRun('u', ulvsConf(50, 's3cret'));
  await new Promise((r) => setTimeout(r, 4000));
  if (!t.equal(await holder(), 'k', "ulvs (50) accepts keepalived's AH adverts and stays BACKUP")) t.comment(u.out.slice(-10).join('\n'));
  await stopProc(k);
  t.ok(await bed.until(async () => (await holder()) === 'u', 2500), 'keepalived stops: ulvs takes over at once');
  k = bed.keepalived('k', kConf(30));
  await new Promise((r) => setTimeout(r, 4000));
  t.equal(await holder(), 'u', 'keepalived restarted at 30 accepts the adverts ulvs (50) now sends with the sequence it learnt, and stays BACKUP');
  t.notOk(
    k.out.some((l) => /IPSEC-AH|invalid/i.test(l)),
    `keepalived logged no AH failure: ${k.out.filter((l) => /IPSEC|AH header|passwd|invalid/i.test(l)).join(' | ')}`,
  );
  await stopProc(u);
  await stopProc(k);
});
