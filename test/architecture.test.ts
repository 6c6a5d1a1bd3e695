// The import-direction rule of ARCHITECTURE.md holds: the data plane imports no control plane and
// only src/native/addon.ts loads the addon (scripts/check-layers.mjs exits 0).
import t from 'tap';
import { spawnSync } from 'node:child_process';

t.test('layer check passes on the tree', async (t) => {
  const r = spawnSync(process.execPath, ['scripts/check-layers.mjs'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /data plane imports no control plane/);
});
