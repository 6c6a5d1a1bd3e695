// The import table of ARCHITECTURE.md holds: every folder imports only what its row names (the data
// plane imports no control plane) and only src/native/addon.ts loads the addon (scripts/check-layers.mjs).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

t.test('layer check passes on the tree', async (t) => {
  const r = spawnSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /every import follows the table, data plane imports no control plane/);
});

t.test('layer check names each import against the table', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-layers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };
  put('packet/a.ts', "import type { FlowKey } from '../core/flow-key.js';\nimport {\n  x,\n} from '../sched/y.js';\n");
  put('io/b.ts', "import { z } from '../dataplane/pool.js';\n");
  put('lab/c.ts', "import { callOnce } from '../api/client.js';\nimport { s } from '../api/server.js';\n");
  put('forward/d.ts', "import type { M } from '../config/types.js';\n");
  put('config/e.ts', "import { VRRP_DEFAULTS } from '../vrrp/types.js';\n");
  put('core/f.ts', "import { run } from '../util/exec.js';\n");
  const r = spawnSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8', env: { ...process.env, ULVS_LAYERS_SRC: dir } });
  t.equal(r.status, 1);
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('  '))
    .map((l) => l.trim())
    .sort();
  t.same(lines, [
    'core/f.ts:1: core/ may not import util/ (util/exec.ts)',
    'forward/d.ts:1: data plane imports control plane (config/types.ts, type)',
    'io/b.ts:1: io/ may not import dataplane/ (dataplane/pool.ts)',
    'lab/c.ts:2: lab/ may not import api/ (api/server.ts)',
    'packet/a.ts:2: packet/ may not import sched/ (sched/y.ts)',
  ]);
});
