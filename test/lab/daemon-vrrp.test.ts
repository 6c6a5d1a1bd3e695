// The daemon's VRRP side through `ulvs run`: an instance becomes MASTER and holds its VIP; a reload
// that keeps the instance (keepalived's vrrp_exist match) keeps MASTER without a transition and adds a
// new VIP; SIGTERM sends a priority-0 advert and removes the VIPs.
import t from 'tap';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { startCapture } from '../../src/lab/capture.js';
import { callOnce } from '../../src/api/client.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const notRoot = process.getuid?.() !== 0 && 'needs root (network namespaces)';
const noAddon = !existsSync(path.join(root, 'build/Release/ulvs_native.node')) && 'the native addon is not built (VRRP raw sockets)';
const noVrrp = !existsSync(path.join(root, 'src/vrrp/manager.ts')) && 'the VRRP manager (src/vrrp/manager.ts) is not in this build';

const VIP1 = '198.18.0.150';
const VIP2 = '198.18.0.151';

function conf(vips: string[]): string {
  return `vrrp_instance VI_T {\n  state BACKUP\n  interface eth0\n  virtual_router_id 77\n  priority 150\n  advert_int 1\n  virtual_ipaddress {\n${vips.map((v) => `    ${v}/24\n`).join('')}  }\n}\n`;
}

interface Status {
  vrrp: Array<{ name: string; state: string; transitions: number }>;
}

t.test('VRRP through the daemon: MASTER, reload keeps state, SIGTERM releases', { skip: notRoot || noAddon || noVrrp, timeout: 120000 }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId(), responders: false });
  t.teardown(() => lab.down());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-daemon-vrrp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, conf([VIP1]));
  const sock = path.join(dir, 'ulvs.sock');
  const dist = path.join(root, 'dist/cli/commands/run.js');
  const entry = existsSync(dist) ? [dist] : [...process.execArgv, path.join(root, 'src/cli/commands/run.ts')];
  const child = lab.spawn('lb1', [process.execPath, ...entry, '-f', file, '--no-metrics', '--socket', sock, '--pid-file', path.join(dir, 'ulvs.pid')]);
  let log = '';
  child.stdout!.on('data', (d) => {
    log += d;
  });
  child.stderr!.on('data', (d) => {
    log += d;
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  t.teardown(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });

  const state = async () => (await callOnce<Status>(sock, 'status')).vrrp[0];
  let s: Status['vrrp'][number] | undefined;
  for (let i = 0; i < 300; i++) {
    await new Promise((r) => setTimeout(r, 200));
    if (child.exitCode !== null) break;
    try {
      s = await state();
    } catch {
      continue;
    }
    if (s?.state === 'MASTER') break;
  }
  if (s?.state !== 'MASTER') {
    t.fail(`instance did not become MASTER:\n${log}`);
    return;
  }
  const addrs = async () => await lab.execOk('lb1', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  t.match(await addrs(), new RegExp(VIP1.replace(/\./g, '\\.')), 'MASTER holds the VIP');
  const transitions = s.transitions;

  writeFileSync(file, conf([VIP1, VIP2]));
  await callOnce(sock, 'reload');
  await new Promise((r) => setTimeout(r, 500));
  const after = await state();
  t.equal(after.state, 'MASTER', 'still MASTER after reload');
  t.equal(after.transitions, transitions, 'no transition on reload');
  t.match(await addrs(), new RegExp(VIP2.replace(/\./g, '\\.')), 'new VIP added by the reload');

  writeFileSync(file, 'vrrp_instance VI_T {\n  interface eth0\n  virtual_router_id 77\n  priority\n}\n');
  await t.rejects(callOnce(sock, 'reload'), { message: /not loaded, nothing changed/ }, 'a broken file is refused');
  t.equal((await state()).state, 'MASTER', 'and changes nothing');

  const cap = await startCapture(lab, 'lb2', 'eth0', 'ip proto 112');
  t.teardown(() => cap.remove());
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'clean stop');
  await new Promise((r) => setTimeout(r, 300));
  await cap.stop();
  const prios = (await cap.fields(['vrrp.prio'])).map((f) => Number(f[0]));
  t.ok(prios.includes(0), `a priority-0 advert was sent on stop (seen: ${prios.join(',')})`);
  const left = await addrs();
  t.notMatch(left, new RegExp(`${VIP1.replace(/\./g, '\\.')}|${VIP2.replace(/\./g, '\\.')}`), 'VIPs removed');
});
