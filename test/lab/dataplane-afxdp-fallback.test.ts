// When AF_XDP cannot run, `ulvs run -f FILE --backend afxdp` says so in one sentence and forwards on
// afpacket; when AF_XDP fails for a reason the user must fix, it does not fall back. AF_XDP is made
// unavailable the way a locked-down unit makes it: a locked-memory limit of 0 (LimitMEMLOCK=0) and no
// CAP_IPC_LOCK, so the kernel refuses to register the UMEM (XDP_UMEM_REG: ENOBUFS). The error to fix:
// an interface with more receive queues than one worker may hold sockets for (at most 16).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import t from 'tap';
import { callOnce } from '../../src/api/client.js';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { commandArgv, countByServer, directorLeftovers, prepareRealServers, requestsThroughVip } from '../../src/lab/modes.js';
import { addr4, LAB_ADDR, LAB_HTTP_PORT } from '../../src/lab/topology.js';

/** A keepalived.conf with one DR virtual server on the lab VIP over every real server (no VRRP, no checks). */
function config(lab: Lab): string {
  const rs = lab.byRole('realserver').map((r) => `  real_server ${addr4(r)} ${LAB_HTTP_PORT} {\n    weight 1\n  }\n`);
  return `virtual_server ${LAB_ADDR.vip4} ${LAB_HTTP_PORT} {\n  lb_algo rr\n  lb_kind DR\n  protocol TCP\n${rs.join('')}}\n`;
}

/** Runs `prefix... ulvs run -f file --backend afxdp` in lb1; resolves with its output once it printed `until` or exited. */
function run(lab: Lab, dir: string, prefix: string[], extra: string[], until: RegExp): Promise<{ child: ChildProcess; out: () => string; exited: boolean }> {
  const argv = [...commandArgv('run'), '-f', path.join(dir, 'keepalived.conf'), '--backend', 'afxdp', '--workers', '1', '--no-metrics'];
  argv.push('--socket', path.join(dir, 'ulvs.sock'), '--pid-file', path.join(dir, 'ulvs.pid'), ...extra);
  const child = lab.spawn('lb1', [...prefix, ...argv]);
  let out = '';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ child, out: () => out, exited: false }), 20000);
    const on = (b: Buffer): void => {
      out += b.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        resolve({ child, out: () => out, exited: false });
      }
    };
    child.stdout!.on('data', on);
    child.stderr!.on('data', on);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve({ child, out: () => out, exited: true });
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const k = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(k);
}

t.test('afxdp fallback', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ulvs-xdp-fallback-'));
  t.teardown(async () => {
    await lab.down();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(path.join(dir, 'keepalived.conf'), config(lab));
  const undo = await prepareRealServers(lab, 'dr');
  t.teardown(undo);

  await t.test('no locked memory for the UMEM: one sentence, then afpacket forwards', async (t) => {
    const locked = ['prlimit', '--memlock=0:0', 'setpriv', '--inh-caps=-ipc_lock', '--bounding-set=-ipc_lock', '--'];
    const d = await run(lab, dir, locked, [], /ulvs started/);
    t.teardown(() => stop(d.child));
    t.notOk(d.exited, `the daemon runs (${d.out().trim().split('\n').slice(-2).join(' | ')})`);
    const said = d.out().match(/AF_XDP is unavailable here \(.*\): using the afpacket backend/g) ?? [];
    t.equal(said.length, 1, 'one sentence says AF_XDP is unavailable and afpacket runs instead');
    t.match(said[0] ?? '', /XDP_UMEM_REG failed .*locked-memory limit/, 'it names the cause and the fix');
    const status = await callOnce<{ dataPlane: string }>(path.join(dir, 'ulvs.sock'), 'status');
    t.match(status.dataPlane, /^afpacket x1 /, `ulvs status shows the afpacket data plane (${status.dataPlane})`);
    t.same(
      countByServer(await requestsThroughVip(lab, 6)),
      { rs1: 2, rs2: 2, rs3: 2 },
      'HTTP through the VIP: every real server answered its round-robin share',
    );
    await stop(d.child);
    t.same(await directorLeftovers(lab), [], 'nothing left on lb1 (no XDP program, no rules)');
  });

  await t.test('an error to fix (too many queues for one worker): no fallback, it says what to do', async (t) => {
    // A veth with 17 receive queues in lb1 (its peer stays there too): 17 sockets > 16 per worker.
    await lab.execOk('lb1', ['ip', 'link', 'add', 'xq0', 'numtxqueues', '17', 'numrxqueues', '17', 'type', 'veth', 'peer', 'name', 'xq1']);
    t.teardown(() => lab.exec('lb1', ['ip', 'link', 'del', 'xq0']));
    await lab.execOk('lb1', ['ip', 'link', 'set', 'xq0', 'up']);
    const d = await run(lab, dir, [], ['--iface', 'xq0'], /ulvs started/);
    t.teardown(() => stop(d.child));
    t.ok(d.exited, 'the daemon exits');
    t.equal(d.child.exitCode !== 0, true, `with a non-zero status (${d.child.exitCode})`);
    t.match(d.out(), /at most 16 sockets .* per worker: use more workers/, 'the error names the fix');
    t.notMatch(d.out(), /unavailable here|using the afpacket backend/, 'no fallback to afpacket');
    t.same(await directorLeftovers(lab), [], 'nothing left on lb1');
  });
});
