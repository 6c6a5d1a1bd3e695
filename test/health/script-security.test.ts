import t from 'tap';
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkScriptSecurity, checkServiceScripts } from '../../src/health/script-security.js';
import { validateHealthService } from '../../src/health/resolve.js';
import type { HealthServiceSpec } from '../../src/health/types.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'ulvs-health-sec-'));
chmodSync(tmp, 0o755);
t.teardown(() => rmSync(tmp, { recursive: true, force: true }));

t.test('script security: missing, not executable, writable by others', async (t) => {
  const good = path.join(tmp, 'good.sh');
  writeFileSync(good, '#!/bin/sh\nexit 0\n');
  chmodSync(good, 0o755);
  t.same(checkScriptSecurity({ argv: [good] }), []);
  t.same(checkScriptSecurity({ argv: ['sh', '-c', 'true'] }), [], 'resolved via PATH');
  t.match(checkScriptSecurity({ argv: [path.join(tmp, 'nope.sh')], where: 'k.conf:12' }), [
    { severity: 'error', where: 'k.conf:12', message: /does not exist|not found/ },
  ]);
  const noexec = path.join(tmp, 'noexec.sh');
  writeFileSync(noexec, '#!/bin/sh\n');
  chmodSync(noexec, 0o644);
  t.match(checkScriptSecurity({ argv: [noexec] }), [{ message: /not executable/ }]);
  const ww = path.join(tmp, 'ww.sh');
  writeFileSync(ww, '#!/bin/sh\n');
  chmodSync(ww, 0o757);
  t.match(checkScriptSecurity({ argv: [ww] }), [{ message: /writable by others/ }]);
  const dir = path.join(tmp, 'open');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const inOpen = path.join(dir, 's.sh');
  writeFileSync(inOpen, '#!/bin/sh\n');
  chmodSync(inOpen, 0o755);
  t.match(checkScriptSecurity({ argv: [inOpen] }), [{ message: /open' is writable by others/ }], 'parent directory counts');
  const spec: HealthServiceSpec = {
    id: 'v',
    keys: [],
    vips: [],
    quorumUp: { argv: [ww] },
    realServers: [{ address: '10.0.0.2', port: 80, checkers: [{ type: 'MISC_CHECK', misc: { argv: [noexec] } }] }],
  };
  t.equal(checkServiceScripts(spec).length, 2);
});

t.test('validation: bad timeouts, status ranges, digests, missing urls', async (t) => {
  const spec: HealthServiceSpec = {
    id: 'v',
    keys: [],
    vips: [],
    where: 'k.conf:1',
    delayLoopMs: 0,
    realServers: [
      {
        address: '10.0.0.2',
        port: 80,
        where: 'k.conf:3',
        checkers: [
          { type: 'HTTP_GET', where: 'k.conf:4', connectTimeoutMs: -1000, urls: [{ path: '/', digest: 'xyz', statusCodes: [{ lo: 399, hi: 300 }] }] },
          { type: 'SSL_GET', where: 'k.conf:9', urls: [] },
        ],
      },
    ],
  };
  const d = validateHealthService(spec);
  const msgs = d.filter((x) => x.severity === 'error').map((x) => `${x.where} ${x.message}`);
  t.match(msgs, [
    /k.conf:1 delay_loop/,
    /k.conf:4 connect_timeout/,
    /k.conf:4 digest/,
    /k.conf:4 status_code range 399-300 is out of order/,
    /k.conf:9 SSL_GET needs at least one url/,
  ]);
  t.equal(msgs.length, 5);
});
