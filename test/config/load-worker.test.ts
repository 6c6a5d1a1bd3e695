// loadConfig in a worker thread: same result as in the main thread, the main loop keeps running
// while a big file loads, and a load that runs out of memory or time is an error, not a crash.
import t from 'tap';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';
import { loadConfigInWorker } from '../../src/config/load-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-lw-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const fixtures = fileURLToPath(new URL('./fixtures/samples/', import.meta.url));

t.test('same model and diagnostics as loadConfig', async (t) => {
  const files = readdirSync(fixtures)
    .filter((f) => f.endsWith('.conf'))
    .slice(0, 3);
  t.ok(files.length > 0);
  for (const f of files) {
    const opts = { hostChecks: false, configId: 'lb1' };
    const direct = loadConfig(join(fixtures, f), opts);
    const viaWorker = await loadConfigInWorker(join(fixtures, f), opts);
    t.same(viaWorker, JSON.parse(JSON.stringify(direct)), f);
  }
});

t.test('the main thread runs while a big file loads; memory and time limits are load errors', async (t) => {
  const vs = (i: number) =>
    `virtual_server 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} 80 {\n lvs_sched rr\n lvs_method DR\n protocol TCP\n real_server 192.0.2.1 80 {\n  weight 1\n }\n}\n`;
  const big = join(dir, 'big.conf');
  writeFileSync(big, Array.from({ length: 6000 }, (_, i) => vs(i)).join(''));
  let ticks = 0;
  const iv = setInterval(() => {
    ticks++;
  }, 20);
  const r = await loadConfigInWorker(big, { hostChecks: false });
  clearInterval(iv);
  t.ok(r.ok, 'loaded: ' + JSON.stringify(r.diagnostics.filter((d) => d.severity === 'error').slice(0, 2)));
  t.equal(r.model.ipvs.services.length, 6000);
  t.ok(ticks > 0, `the main loop ran during the load (${ticks} ticks)`);
  const oom = await loadConfigInWorker(big, { hostChecks: false }, { maxHeapMb: 8 });
  t.notOk(oom.ok);
  t.match(oom.diagnostics[0], { code: 'load-failed', message: /memory|failed/ });
  const slow = await loadConfigInWorker(big, { hostChecks: false }, { timeoutMs: 1 });
  t.match(slow, { ok: false, diagnostics: [{ code: 'load-failed', message: /longer than/ }] });
});
