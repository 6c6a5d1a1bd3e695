// Script forms keepalived runs rather than refuses: `</dev/tcp/host/port` through the shell, a missing
// vrrp_script disabled with a warning (its tracking ignored), a missing notify script warned about.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { parseScriptLine } from '../../src/config/script-args.js';
import { ScriptTracker } from '../../src/vrrp/track-script.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-script-forms-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

// keepalived's test is "is the file openable": /bin/sh (dash on Debian, so /dev/tcp/... is just a path there
// and fails under keepalived too) opens it; a file that exists passes, one that does not fails.
t.test('</path runs through /bin/sh -c, as keepalived system()s it', async (t) => {
  t.same(parseScriptLine('"</dev/tcp/127.0.0.1/80"')?.argv, ['/bin/sh', '-c', '</dev/tcp/127.0.0.1/80']);
  t.same(parseScriptLine('"/bin/check </dev/null"')?.argv, ['/bin/check', '</dev/null'], 'only a leading < is the shell form');
  const run = async (path: string): Promise<boolean> => {
    const tr = new ScriptTracker({
      name: 'x',
      script: `<${path}`,
      intervalMs: 60000,
      timeoutMs: 2000,
      weight: 0,
      rise: 1,
      fall: 1,
      initFail: true,
      source: 'x:1',
    } as never);
    const flipped = new Promise<boolean>((r) => {
      tr.once('change', (ok: boolean) => r(ok));
      setTimeout(() => r(tr.ok), 3000);
    });
    tr.start();
    const ok = await flipped;
    tr.stop();
    return ok;
  };
  const file = join(dir, 'present');
  writeFileSync(file, 'x');
  t.equal(await run(file), true, 'an openable file: the script succeeds');
  t.equal(await run(join(dir, 'absent')), false, 'a missing one: it fails');
});

t.test('a missing vrrp_script is disabled with a warning; the config still runs', async (t) => {
  const f = join(dir, 'k.conf');
  writeFileSync(
    f,
    'global_defs {\n enable_script_security\n}\nvrrp_script gone {\n script /nonexistent/check.sh\n}\nvrrp_script shell {\n script "</dev/tcp/127.0.0.1/80"\n}\n' +
      'vrrp_instance A {\n interface eth0\n virtual_router_id 1\n notify_master /nonexistent/m.sh\n track_script {\n  gone\n  shell\n }\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n',
  );
  const r = loadConfig(f, { configId: 'x', interfaces: ['eth0'] });
  t.same(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
    [],
    'not refused',
  );
  t.same(
    r.diagnostics.filter((d) => d.code === 'script-missing').map((d) => [d.severity, d.line]),
    [
      ['warning', 5],
      ['warning', 13],
    ],
  );
  t.match(r.diagnostics.find((d) => d.line === 5)?.message, /keepalived disables the vrrp_script/);
  t.same(
    r.model.vrrp.scripts.map((s) => s.name),
    ['shell'],
  );
  t.same(
    r.model.vrrp.instances[0]!.trackScripts.map((s) => s.name),
    ['shell'],
  );
});
