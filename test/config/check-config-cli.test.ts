// `ulvs check-config` end to end through bin/ulvs.mjs (built dist/): exit codes, text and JSON output.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../helpers/cli.js';

const here = dirname(fileURLToPath(import.meta.url));
const seeds = join(here, '..', 'fixtures', 'seeds');
const samples = join(here, 'fixtures', 'samples');
const dir = mkdtempSync(join(tmpdir(), 'ulvs-cc-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('a valid config exits 0 and says OK', async (t) => {
  const r = runCli(['check-config', '-f', join(samples, 'lvs-http.conf')]);
  t.equal(r.status, 0, r.stdout + r.stderr);
  t.match(r.stdout, /lvs-http\.conf: OK: 0 error\(s\), 0 warning\(s\)/);
});

t.test('seed001: exits 1 and prints the weight error as file:line: severity: message', async (t) => {
  const f = join(seeds, 'seed001-lvs-dr.conf');
  const r = runCli(['check-config', '-f', f, '--no-host-checks']);
  t.equal(r.status, 1);
  t.match(r.stdout, `${f}:25: error: 'weight' in real_server is missing its value`);
  t.match(r.stdout, /FAILED: 1 error\(s\)/);
});

t.test('a missing file is an error (keepalived -t would exit 0)', async (t) => {
  const r = runCli(['check-config', '-f', join(dir, 'nope.conf')]);
  t.equal(r.status, 1);
  t.match(r.stdout, /nope\.conf: error: config file .* does not exist/);
});

t.test('--json prints ok, summary, diagnostics and a model summary', async (t) => {
  const r = runCli(['check-config', '-f', join(seeds, 'seed001-lvs-nat.conf'), '--json', '--no-host-checks']);
  t.equal(r.status, 1);
  const j = JSON.parse(r.stdout) as {
    ok: boolean;
    summary: { errors: number };
    diagnostics: Array<{ line: number; code: string; severity: string }>;
    model: { vrrpInstances: Array<{ name: string }>; virtualServices: Array<{ service: string; realServers: unknown[] }> };
  };
  t.equal(j.ok, false);
  t.equal(j.summary.errors, 1);
  t.has(
    j.diagnostics.find((d) => d.severity === 'error'),
    { line: 39, code: 'missing-value' },
  );
  t.same(
    j.model.vrrpInstances.map((i) => i.name),
    ['VI_2', 'VI_1'],
  );
  t.equal(j.model.virtualServices[0]!.service, 'TCP 222.33.180.62:80');
  t.equal(j.model.virtualServices[0]!.realServers.length, 2);
});

t.test('a missing interface warns (exit 0); --strict makes it an error (exit 1)', async (t) => {
  const f = join(dir, 'if.conf');
  writeFileSync(f, 'vrrp_instance V {\n interface ulvs-no-such-if0\n virtual_router_id 9\n virtual_ipaddress {\n  192.0.2.9\n }\n}\n');
  const lax = runCli(['check-config', '-f', f]);
  t.equal(lax.status, 0, lax.stdout);
  t.match(lax.stdout, `${f}:2: warning: vrrp_instance V interface 'ulvs-no-such-if0' does not exist on this host`);
  const strict = runCli(['check-config', '-f', f, '--strict']);
  t.equal(strict.status, 1);
  t.match(strict.stdout, `${f}:2: error: vrrp_instance V interface`);
});

t.test('-i selects @ID lines; -v shows notes', async (t) => {
  const east = JSON.parse(runCli(['check-config', '-f', join(samples, 'conditional.conf'), '-i', 'east', '--json']).stdout) as {
    model: { vrrpInstances: Array<{ state: string; priority: number }> };
  };
  t.same([east.model.vrrpInstances[0]!.state, east.model.vrrpInstances[0]!.priority], ['MASTER', 200]);
  const west = JSON.parse(runCli(['check-config', '-f', join(samples, 'conditional.conf'), '--config-id=west', '--json']).stdout) as {
    model: { vrrpInstances: Array<{ priority: number }> };
  };
  t.equal(west.model.vrrpInstances[0]!.priority, 100);
  const v = runCli(['check-config', '-f', join(seeds, 'seed003-director1.conf'), '-v', '--no-host-checks']);
  t.match(v.stdout, /:32: note: 'lb_algo' is an old name/);
  t.equal(v.status, 0);
  const plain = runCli(['check-config', '-f', join(seeds, 'seed003-director1.conf'), '--no-host-checks']);
  t.notMatch(plain.stdout, /note:/, 'notes only under -v');
  t.match(
    plain.stdout,
    /:7: warning: 'smtp_server' and 'notification_email' are set but nothing has smtp_alert on/,
    'a setting without effect warns at the default level',
  );
});

t.test('bad usage exits 2 with the usage text', async (t) => {
  const r = runCli(['check-config', '--bogus']);
  t.equal(r.status, 2);
  t.match(r.stderr, /unknown option '--bogus'/);
  t.match(r.stderr, /usage: ulvs check-config/);
  const h = runCli(['check-config', '--help']);
  t.equal(h.status, 0);
  t.match(h.stdout, /--strict/);
});
