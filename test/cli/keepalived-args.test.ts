// `ulvs keepalived`: keepalived 2.2's command line — unknown flags and what ulvs cannot do exit 2 naming
// the flag, --signum prints keepalived's numbers, -t checks a file and exits 0 only when it is valid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';

const bin = new URL('../../bin/ulvs.mjs', import.meta.url).pathname;
const ulvs = (...args: string[]) => spawnSync(process.execPath, [bin, 'keepalived', ...args], { encoding: 'utf8' });

t.test('unknown and unsupported flags: exit 2, naming the flag', async (t) => {
  const r = ulvs('--bogus');
  t.equal(r.status, 2);
  t.match(r.stderr, /--bogus/);
  const x = ulvs('-x');
  t.equal(x.status, 2);
  t.match(x.stderr, /SNMP/);
});

t.test("--signum prints keepalived's signal numbers", async (t) => {
  for (const [name, n] of [
    ['JSON', '36'],
    ['RELOAD', '1'],
    ['DATA', '10'],
    ['STATS', '12'],
    ['STOP', '15'],
  ])
    t.equal(ulvs(`--signum=${name}`).stdout.trim(), n, name);
});

t.test('-t: exit 0 for a valid file, 1 with file:line for an invalid one', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-kat-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const good = path.join(dir, 'good.conf');
  writeFileSync(
    good,
    'vrrp_instance VI_1 {\n  state MASTER\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {\n    10.9.9.9/32\n  }\n}\n',
  );
  t.equal(ulvs('-t', '-f', good).status, 0, ulvs('-t', '-f', good).stderr);
  const bad = path.join(dir, 'bad.conf');
  writeFileSync(bad, 'vrrp_instance VI_1 {\n  state MASTER\n  interface lo\n  priority 100\n}\n');
  const r = ulvs('-t', '-f', bad);
  t.equal(r.status, 1);
  t.match(r.stderr, /bad\.conf:\d+/);
});
