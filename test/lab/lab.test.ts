// The lab itself: builds the topology, real servers answer with their names over v4 and v6, packets
// cross the bridge as a capture shows, and nothing is left behind after down, a second up, or kill -9.
import t from 'tap';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { existsSync, readdirSync } from 'node:fs';
import { Lab, LAB_STATE_DIR, uniqueLabId } from '../../src/lab/lab.js';
import { listNetns } from '../../src/lab/netns.js';
import { probeRealServers } from '../../src/lab/connectivity.js';
import { startCapture } from '../../src/lab/capture.js';
import { run } from '../../src/util/exec.js';
import { ROOT, runCli } from '../helpers/cli.js';

const needRoot = process.getuid?.() !== 0 && 'needs root (network namespaces)';

async function ours(id: string): Promise<string[]> {
  return (await listNetns()).filter((n) => n.startsWith(`ulvs-${id}-`));
}

t.test('lab up: every real server answers the client with its own name, v4 and v6', { skip: needRoot }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  t.equal((await ours(lab.id)).length, 8, 'switch + 7 hosts');
  const probes = await probeRealServers(lab);
  t.equal(probes.length, 6);
  for (const p of probes) t.equal(p.answeredBy, p.target, `${p.address} answered by ${p.target}`);
});

t.test('a capture on a real server shows the client request crossing the router', { skip: needRoot }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const cap = await startCapture(lab, 'rs2', 'eth0', 'tcp port 80');
  t.teardown(() => cap.remove());
  const r = await lab.exec('client', ['curl', '-s', '-m', '3', 'http://198.18.0.22/']);
  t.equal(r.stdout, 'rs2\n');
  await cap.stop();
  const rows = await cap.fields(['ip.src', 'ip.dst', 'eth.src', 'tcp.flags.syn', 'tcp.flags.ack'], 'tcp.flags.syn==1 && tcp.flags.ack==0');
  t.equal(rows.length, 1, 'one SYN');
  t.same(rows[0].slice(0, 2), ['198.18.1.2', '198.18.0.22'], 'from the client to rs2 (routed, not NATed)');
  t.equal(rows[0][2], await lab.mac('router', 'eth1'), 'the router delivered it on the LAN');
});

t.test('ulvs lab up twice, then down: nothing of ours is left', { skip: needRoot }, async (t) => {
  const id = uniqueLabId();
  t.teardown(() => Lab.destroy(id));
  t.equal(runCli(['lab', 'up', '--id', id]).status, 0);
  const second = runCli(['lab', 'up', '--id', id]);
  t.equal(second.status, 0, second.stderr);
  t.equal((await ours(id)).length, 8, 'the second up replaced the first');
  t.equal(runCli(['lab', 'status', '--id', id]).status, 0);
  const down = runCli(['lab', 'down', '--id', id]);
  t.equal(down.status, 0);
  t.match(down.stdout, /removed 8 namespaces/);
  t.same(await ours(id), []);
  t.equal(runCli(['lab', 'status', '--id', id]).status, 1, 'status says not up');
  const links = await run(['ip', '-o', 'link']);
  t.notMatch(links.stdout, new RegExp(`${id}|rs1-eth0|lb1-eth0`), 'nothing in this namespace');
  const files = existsSync(LAB_STATE_DIR) ? readdirSync(LAB_STATE_DIR) : [];
  t.same(
    files.filter((f) => f.startsWith(id)),
    [],
    'no state file or log of this lab is left',
  );
  if (files.length === 0) t.notOk(existsSync(LAB_STATE_DIR), 'with no lab up, the empty state directory is gone too');
});

t.test('kill -9 during lab up, then lab down: no namespace or process survives', { skip: needRoot }, async (t) => {
  const id = uniqueLabId();
  t.teardown(() => Lab.destroy(id));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/ulvs.mjs'), 'lab', 'up', '--id', id], { stdio: 'ignore' });
  // Wait until the build is under way (some namespaces exist), then kill it hard.
  for (let i = 0; i < 200 && (await ours(id)).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  t.ok((await ours(id)).length > 0, 'the killed run left namespaces behind');
  t.equal(runCli(['lab', 'down', '--id', id]).status, 0);
  t.same(await ours(id), [], 'down removed them');
});
