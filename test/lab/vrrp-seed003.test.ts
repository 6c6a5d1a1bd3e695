// The seed scenarios run by the ulvs daemon (`ulvs run -f keepalived.conf`, the file alone):
// seed003 unicast directors as-is.
import t from 'tap';
import { seedText, vrrpOf } from './seed-helpers.js';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';

const root = process.getuid?.() === 0;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('seed003 unicast directors run as-is (interfaces and addresses mapped)', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  // Public addresses of the seed are mapped into 10.65.0.0/24 so no test traffic names them.
  const map = (s: string): string => s.replaceAll('ens192', 'eth0').replaceAll('200.222.0.', '10.65.0.');
  const bed = await VrrpBed.up(bedId('s3'), [
    { name: 'd1', addrs: ['10.65.0.73/24'] },
    { name: 'd2', addrs: ['10.65.0.74/24'] },
  ]);
  t.teardown(() => bed.down());
  const c1 = vrrpOf(bed, 'director1.conf', map(seedText('seed003-director1.conf')));
  t.equal(vrrpOf(bed, 'director2.conf', map(seedText('seed003-director2.conf'))).instances[0].unicastPeers[0].address, '10.65.0.73');
  t.equal(c1.instances[0].unicastPeers[0].address, '10.65.0.74');
  const d1 = bed.ulvsRun('d1', map(seedText('seed003-director1.conf')));
  const d2 = bed.ulvsRun('d2', map(seedText('seed003-director2.conf')));
  const VIP = '10.65.0.113';
  t.ok(await bed.until(async () => (await bed.holds('d1', VIP)) && !(await bed.holds('d2', VIP)), 15000), 'director1 (MASTER, 100) holds the VIP');
  await sleep(1200);
  t.notOk(await bed.holds('d2', VIP), 'director2 stays backup: the PASS-authenticated unicast adverts are accepted');
  await stopProc(d1, 'SIGKILL');
  t.ok(await bed.until(() => bed.holds('d2', VIP), 8000), 'kill -9 of director1: director2 takes over');
  await stopProc(d2);
});
