// daemonConfigLoader: keepalived's -B (no BFD) leaves the daemon no bfd_instance to run, while -P/-C
// still cut the virtual servers / VRRP as before; parseKeepalivedArgs maps -B and --no_bfd.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { daemonConfigLoader } from '../../src/control/config-source.js';
import { parseKeepalivedArgs } from '../../src/cli/keepalived-args.js';

t.test('-B: no BFD sessions are handed to the daemon', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-cfgsrc-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'k.conf');
  writeFileSync(f, 'bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n');
  const all = await daemonConfigLoader({})(f);
  t.equal((all.model as { bfd: unknown[] }).bfd.length, 1, 'without -B the session is run');
  const none = await daemonConfigLoader({ noBfd: true })(f);
  t.ok(none.ok);
  t.same((none.model as { bfd: unknown[] }).bfd, [], 'with -B none is');
  t.equal(parseKeepalivedArgs(['-B']).noBfd, true);
  t.equal(parseKeepalivedArgs(['--no_bfd']).noBfd, true);
  t.equal(parseKeepalivedArgs([]).noBfd, false);
});
