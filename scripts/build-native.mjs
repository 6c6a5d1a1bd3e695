#!/usr/bin/env node
// Builds native/ into build/Release/ulvs_native.node with the node-gyp that npm bundles.
// node-gyp finds Node's headers here only through npm_config_nodedir, so set it from this Node's prefix.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const env = { ...process.env };
if (!env.npm_config_nodedir) env.npm_config_nodedir = path.resolve(process.execPath, '../..');
const headers = path.join(env.npm_config_nodedir, 'include/node/node_api.h');
if (!existsSync(headers)) {
  console.error(`ulvs: Node's headers are missing (${headers}); set npm_config_nodedir to a Node prefix that has include/node.`);
  process.exit(1);
}
for (const [hdr, pkg] of [
  ['/usr/include/libnetfilter_queue/libnetfilter_queue.h', 'libnetfilter-queue-dev'],
  ['/usr/include/libmnl/libmnl.h', 'libmnl-dev'],
]) {
  if (!existsSync(hdr)) {
    console.error(`ulvs: ${hdr} is missing: run 'node scripts/setup.mjs' (or apt-get install ${pkg}) before npm ci.`);
    process.exit(1);
  }
}
let gyp = env.npm_config_node_gyp;
if (!gyp || !existsSync(gyp)) {
  const npmDir = path.resolve(process.execPath, '../../lib/node_modules/npm');
  gyp = path.join(npmDir, 'node_modules/node-gyp/bin/node-gyp.js');
}
// Several builds of one checkout at once would delete each other's build/: serialise them.
const lock = path.join(process.cwd(), '.native-build.lock');
const r = existsSync('/usr/bin/flock')
  ? spawnSync('/usr/bin/flock', [lock, process.execPath, gyp, 'rebuild', '--jobs=max'], { stdio: 'inherit', env })
  : spawnSync(process.execPath, [gyp, 'rebuild', '--jobs=max'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
