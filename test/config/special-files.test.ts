// Config reading a user cannot turn against the daemon: includes of devices, FIFOs, sockets and
// directories are refused at once with file:line; the total size is capped; deep nesting is one short error.
import t from 'tap';
import net from 'node:net';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, openSync, ftruncateSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { MAX_CONFIG_BYTES } from '../../src/config/read-config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-special-'));
const server = net.createServer();
t.teardown(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const main = (name: string, body: string): string => {
  const f = join(dir, name);
  writeFileSync(f, body);
  return f;
};
const errs = (file: string) => loadConfig(file, { hostChecks: false, configId: 'lb1' }).diagnostics.filter((d) => d.severity === 'error');

t.test('includes of special files are refused at the include line, without blocking', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const sock = join(dir, 'sock');
  await new Promise<void>((r) => server.listen(sock, r));
  mkdirSync(join(dir, 'conf.d'));
  for (const [target, what] of [
    ['/dev/zero', /character device/],
    [fifo, /FIFO/],
    [sock, /socket/],
    [join(dir, 'conf.d'), /directory/],
  ] as const) {
    const f = main(`inc-${what.source}.conf`, `global_defs {\n router_id x\n}\ninclude ${target}\n`);
    const t0 = Date.now();
    const e = errs(f);
    t.ok(Date.now() - t0 < 5000, `${target}: answered without blocking`);
    t.equal(e.length, 1, `${target}: one error`);
    t.equal(e[0]?.code, 'not-regular-file');
    t.equal(e[0]?.line, 4, 'at the include line');
    t.match(e[0]?.message, what);
  }
  const viaGlob = main('glob.conf', `include ${dir}/conf.*\n`);
  t.same(
    errs(viaGlob).map((d) => d.code),
    [],
    'a directory matched by a wildcard is skipped',
  );
  const top = errs(fifo);
  t.match(top[0], { code: 'not-regular-file', message: /config file .* is a FIFO/ }, 'the main file is checked too');
});

t.test('the whole configuration is capped at 16 MiB', async (t) => {
  const big = join(dir, 'big.conf');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, MAX_CONFIG_BYTES + 1);
  closeSync(fd);
  const e = errs(main('big-main.conf', `include ${big}\n`));
  t.match(e[0], { code: 'config-too-big', line: 1, message: /16 MiB/ });
  const half = join(dir, 'half.conf');
  writeFileSync(half, '# ' + 'x'.repeat(100) + '\n'.repeat(1));
  const fd2 = openSync(half, 'r+');
  ftruncateSync(fd2, MAX_CONFIG_BYTES / 2 + 10);
  closeSync(fd2);
  const e2 = errs(main('two-halves.conf', `include ${half}\ninclude ${join(dir, 'half2.conf')}\n`.replace('half2', 'half')));
  t.ok(
    e2.some((d) => d.code === 'config-too-big' || d.code === 'include-cycle'),
    'the budget is shared by all files',
  );
});

t.test('100k nested braces: one short error', async (t) => {
  const f = main('deep.conf', 'vrrp_instance A {\n' + 'x {\n'.repeat(100_000));
  const e = errs(f);
  t.ok(e.length <= 10, `${e.length} errors: ${e.map((d) => d.code).join(' ')}`);
  t.match(
    e.find((d) => d.code === 'block-depth'),
    { line: 33 },
    'the depth error names the line that went too deep',
  );
  t.ok(
    e.every((d) => d.message.length < 300),
    'each message is short',
  );
});

t.test('a config file every local user may write is named with the include line (a root shell for them)', async (t) => {
  const inc = main('open.conf', 'global_defs {\n router_id x\n}\n');
  chmodSync(inc, 0o666);
  const f = main('with-open.conf', `include ${inc}\n`);
  const w = loadConfig(f, { hostChecks: false }).diagnostics.filter((d) => d.code === 'config-world-writable');
  t.equal(w.length, 1);
  t.match(w[0], { severity: 'warning', file: f, line: 1 });
  t.match(w[0]!.message, /writable by every local user.*chmod o-w/);
  chmodSync(inc, 0o644);
  t.same(
    loadConfig(f, { hostChecks: false }).diagnostics.filter((d) => d.code === 'config-world-writable'),
    [],
    'none for 0644',
  );
});
