// lb_kind / lvs_method TUN options reach the rule model: `type gue port N csum` becomes tunType,
// tunPort and tunCsum on the real server (a gue tunnel without its port is refused by the kernel).
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-tun-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

function load(method: string) {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, `virtual_server 192.0.2.10 80 {\n protocol TCP\n lvs_sched rr\n lvs_method ${method}\n real_server 10.0.0.1 80 {\n }\n}\n`);
  return loadConfig(file, { hostChecks: false });
}

t.test('type gue port N csum', async (t) => {
  const r = load('TUN type gue port 6080 csum');
  t.same(
    r.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const rs = r.model.ipvs.services[0]!.realServers[0]!;
  t.equal(rs.forward, 'tun');
  t.equal(rs.tunType, 'gue');
  t.equal(rs.tunPort, 6080);
  t.equal(rs.tunCsum, 'csum');
});

t.test('type gre remcsum, and plain TUN has no tunnel options', async (t) => {
  const gre = load('TUN type gre remcsum').model.ipvs.services[0]!.realServers[0]!;
  t.equal(gre.tunType, 'gre');
  t.equal(gre.tunCsum, 'remcsum');
  t.equal(gre.tunPort, undefined);
  const plain = load('TUN').model.ipvs.services[0]!.realServers[0]!;
  t.same([plain.tunType, plain.tunPort, plain.tunCsum], [undefined, undefined, undefined]);
});

t.test('a bad tunnel port is an error at its line', async (t) => {
  const r = load('TUN type gue port 70000');
  const e = r.diagnostics.find((d) => d.severity === 'error' && /tunnel port '70000'/.test(d.message));
  t.ok(e, 'error names the port');
  t.equal(e?.line, 4);
});
