// ulvs <-> FRR 8.4 vrrpd (VRRPv3, multicast, 100 ms adverts): each side master and backup, clean
// stop and kill -9 of the master, restart with preemption.
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { VrrpBed, bedId, ensureDist, frrState, restartVrrpd, startFrr, stopProc } from '../../bench/failover-lab.js';
import { instanceSpec, vip, vrrpConfig } from '../../src/vrrp/spec.js';

const root = process.getuid?.() === 0;
const V = '10.63.0.100';

t.test('FRR master (200) / ulvs backup (100), then ulvs master (200) / FRR backup (100)', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('fr'), [
    { name: 'a', addrs: ['10.63.0.1/24'] },
    { name: 'b', addrs: ['10.63.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  const ucfg = (prio: number) => vrrpConfig([instanceSpec({ version: 3, vrid: 7, priority: prio, advertIntMs: 100, vips: [vip(`${V}/24`)] })]);
  let frr = await startFrr(bed, 'b', { vrid: 7, priority: 200, advertIntMs: 100, vip: V, prefixLen: 24 });
  let u = bed.ulvs('a', ucfg(100));
  const frrIs = (s: string) => async () => (await frrState(bed, 'b', frr, 7)) === s;
  t.ok(await bed.until(frrIs('Master'), 5000), 'FRR is master');
  await new Promise((r) => setTimeout(r, 800));
  t.notOk(await bed.holds('a', V), 'ulvs stays backup behind FRR: it accepts FRR adverts');
  await stopProc(frr.vrrpd, 'SIGKILL');
  t.ok(await bed.until(() => bed.holds('a', V), 3000), 'kill -9 of vrrpd: ulvs takes over');
  frr = restartVrrpd(bed, 'b', frr);
  t.ok(await bed.until(async () => (await frrIs('Master')()) && !(await bed.holds('a', V)), 5000), 'restarted FRR preempts; ulvs releases the VIP');
  await stopProc(frr.vrrpd, 'SIGTERM');
  t.ok(await bed.until(() => bed.holds('a', V), 3000), 'clean stop of vrrpd: ulvs takes over');
  await stopProc(u);

  // Roles swapped: ulvs 200, FRR 100.
  writeVrrpdPriority(frr.dir, 100);
  frr = restartVrrpd(bed, 'b', frr);
  u = bed.ulvs('a', ucfg(200));
  t.ok(await bed.until(async () => (await bed.holds('a', V)) && (await frrIs('Backup')()), 10000), 'ulvs master, FRR backup (FRR accepts our adverts)');
  await stopProc(u);
  t.ok(await bed.until(frrIs('Master'), 3000), 'clean stop of ulvs (priority 0): FRR takes over');
  t.notOk(await bed.holds('a', V), 'ulvs removed the VIP');
  u = bed.ulvs('a', ucfg(200));
  t.ok(await bed.until(async () => (await bed.holds('a', V)) && (await frrIs('Backup')()), 10000), 'restarted ulvs preempts FRR');
  await stopProc(u, 'SIGKILL');
  t.ok(await bed.until(frrIs('Master'), 3000), 'kill -9 of ulvs: FRR takes over');
  await stopProc(frr.vrrpd);
  await stopProc(frr.zebra);
});

function writeVrrpdPriority(dir: string, prio: number): void {
  const f = `${dir}/vrrpd.conf`;
  writeFileSync(f, readFileSync(f, 'utf8').replace(/priority \d+/, `priority ${prio}`));
}
