// vrrp_script (negative weight lowers the priority below the peer's) and track_interface (down →
// FAULT with a priority-0 advert) moving the VIP between two ulvs daemons (`ulvs run -f`).
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const V = '10.67.0.100';

t.test('track_script weight and track_interface move the VIP', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('tk'), [
    { name: 'a', addrs: ['10.67.0.1/24'] },
    { name: 'b', addrs: ['10.67.0.2/24'] },
  ]);
  t.teardown(() => bed.down());
  await run(['ip', 'link', 'add', 'trk0', 'type', 'veth', 'peer', 'name', 'trk1'], { netns: bed.ns('a') });
  await run(['ip', 'link', 'set', 'trk0', 'up'], { netns: bed.ns('a') });
  await run(['ip', 'link', 'set', 'trk1', 'up'], { netns: bed.ns('a') });
  const flag = `${bed.dir}/a-fail`;
  const inst = (prio: number, tracking: string) =>
    `vrrp_instance VI_1 {\n state BACKUP\n interface eth0\n virtual_router_id 70\n version 3\n priority ${prio}\n advert_int 0.1\n${tracking} virtual_ipaddress {\n  ${V}/24\n }\n}\n`;
  const confA =
    `global_defs {\n enable_script_security\n script_user root\n}\nvrrp_script chk_flag {\n script "/usr/bin/test ! -e ${flag}"\n interval 1\n weight -150\n rise 1\n fall 1\n}\n` +
    inst(200, ' track_script {\n  chk_flag\n }\n track_interface {\n  trk0\n }\n');
  const a = bed.ulvsRun('a', confA);
  const b = bed.ulvsRun('b', inst(100, ''));
  const holder = async (): Promise<string> => `${(await bed.holds('a', V)) ? 'a' : ''}${(await bed.holds('b', V)) ? 'b' : ''}`;
  if (!t.ok(await bed.until(async () => (await holder()) === 'a', 15000), 'a (200) holds the VIP')) t.comment([...a.out, ...b.out].join('\n'));
  await run(['touch', flag]);
  t.ok(await bed.until(async () => (await holder()) === 'b', 6000), 'failing script with weight -150 (200 → 50): b preempts');
  await run(['rm', '-f', flag]);
  t.ok(await bed.until(async () => (await holder()) === 'a', 6000), 'script OK again: a preempts back');
  await run(['ip', 'link', 'set', 'trk1', 'down'], { netns: bed.ns('a') });
  t.ok(await bed.until(async () => (await holder()) === 'b', 4000), 'tracked interface down: a goes FAULT, b takes over');
  await run(['ip', 'link', 'set', 'trk1', 'up'], { netns: bed.ns('a') });
  t.ok(await bed.until(async () => (await holder()) === 'a', 6000), 'interface up: a leaves FAULT and preempts');
  await stopProc(a);
  await stopProc(b);
});
