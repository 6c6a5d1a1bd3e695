// `ulvs run -t -f FILE` / `ulvs keepalived -t` exit as keepalived 2.2.7's -t does on the same file (each case
// checked against keepalived -t in a netns; table in docs/keepalived-samples.md): 5 for what keepalived reports
// as a config error, warnings and deprecations included (protocol on a fwmark service, a route it cannot track),
// 6 when the only finding is scripts found on the host without enable_script_security, 0 for ulvs' own advice.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configTest, configTestExit } from '../../src/cli/keepalived-modes.js';
import { parseKeepalivedArgs } from '../../src/cli/keepalived-args.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-ktest-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Runs -t on `text`: its exit code and the report (-tFILE). */
async function test(text: string): Promise<{ rc: number; report: string }> {
  const f = join(dir, `k${n}.conf`);
  const log = join(dir, `k${n++}.log`);
  writeFileSync(f, text);
  const rc = await configTest(parseKeepalivedArgs([`-t${log}`, '-f', f]));
  return { rc, report: readFileSync(log, 'utf8') };
}

const vs = (head: string, extra: string, rs = '') => `virtual_server ${head} {\n lb_algo rr\n lb_kind DR\n${extra} real_server 10.0.0.2 80 {\n${rs} }\n}\n`;

t.test('a clean file: 0, nothing reported', async (t) => {
  t.same(await test(vs('10.0.0.1 80', ' protocol TCP\n')), { rc: 0, report: '' });
});

t.test("'protocol' on a fwmark service: keepalived warns and -t exits 5; so does ulvs, at the line", async (t) => {
  const r = await test(vs('fwmark 5', ' protocol TCP\n'));
  t.equal(r.rc, 5);
  t.match(r.report, /k\d+\.conf:4: 'protocol' has no effect on a firewall-mark service/);
});

t.test('a route without dev cannot be tracked: keepalived warns (exit 5); ulvs prints it with the fix and exits 5', async (t) => {
  const r = await test('static_routes {\n 10.9.0.0/24 via 10.0.0.254\n}\n');
  t.equal(r.rc, 5);
  t.match(r.report, /k\d+\.conf:2: static_routes: route 10\.9\.0\.0\/24 has no 'dev', so it is not tracked .* add 'dev IFACE', or 'no_track'/);
  t.equal((await test('static_routes {\n 10.9.0.0/24 via 10.0.0.254 no_track\n}\n')).rc, 0, "'no_track': nothing to report");
});

t.test('scripts without enable_script_security: 6 when one exists (SECURITY VIOLATION), 0 when none does', async (t) => {
  const found = await test(vs('10.0.0.1 80', ' protocol TCP\n', '  notify_up /bin/true\n'));
  t.equal(found.rc, 6);
  t.match(found.report, /SECURITY VIOLATION for this \(exit 6\)/);
  const absent = await test(vs('10.0.0.1 80', ' protocol TCP\n', '  notify_up /nonexistent/up.sh\n'));
  t.equal(absent.rc, 0, 'keepalived -t exits 0: it counts only scripts it finds');
  t.match(absent.report, /none of them exists here/);
  t.equal((await test(`global_defs {\n enable_script_security\n}\n${vs('10.0.0.1 80', ' protocol TCP\n', '  notify_up /bin/true\n')}`)).rc, 0);
});

t.test('configTestExit: any reported config error outranks the security finding, as keepalived orders them', async (t) => {
  t.equal(configTestExit(false, []), 5);
  t.equal(configTestExit(true, ['script-security', 'group-of-one']), 5);
  t.equal(configTestExit(true, ['script-security']), 6);
  t.equal(configTestExit(true, ['script-security-absent', 'script-missing']), 0);
});
