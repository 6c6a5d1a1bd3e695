// Graded diagnostics: unknown keywords/blocks (no cascade), VRRP and LVS cross-checks, host facts
// (interfaces: warnings, errors with --strict) and script checks (missing, not executable, unsafe).
import t from 'tap';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadOptions, LoadResult } from '../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-chk-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function load(text: string, opts: LoadOptions = { hostChecks: false }): LoadResult & { file: string } {
  const file = join(dir, `c${n++}.conf`);
  writeFileSync(file, text);
  return { ...loadConfig(file, { configId: 'lb1', ...opts }), file };
}

/** Findings keepalived reports for omitted LVS keywords and script security; tested on their own below. */
const OMISSIONS = new Set(['no-protocol', 'no-scheduler', 'no-forwarding', 'script-security']);

/** "code:line" for errors and warnings (omission findings left out unless `all`). */
const codes = (r: LoadResult, all = false): string[] =>
  r.diagnostics.filter((d) => d.severity !== 'note' && (all || !OMISSIONS.has(d.code))).map((d) => `${d.code}:${d.line}`);

const vi = (name: string, vrid: number, iface: string, vips: string, extra = ''): string =>
  `vrrp_instance ${name} {\n interface ${iface}\n virtual_router_id ${vrid}\n virtual_ipaddress {\n  ${vips}\n }\n${extra}}\n`;

t.test('unknown keyword: error at its line with the nearest keyword', async (t) => {
  const r = load(vi('VI_1', 1, 'eth0', '192.0.2.1', ' priorty 100\n'));
  t.same(codes(r), ['unknown-keyword:7']);
  const d = r.diagnostics.find((x) => x.code === 'unknown-keyword')!;
  t.match(d.message, /unknown keyword 'priorty' in vrrp_instance — did you mean 'priority'\?/);
  t.equal(d.file, r.file);
  t.notOk(r.ok);
  t.equal(r.model.vrrp.instances.length, 1, 'the instance still loads');
});

t.test('unknown block is skipped whole: no cascade, the rest of the instance survives', async (t) => {
  const r = load(
    'vrrp_instance VI_1 {\n interface eth0\n bogus_block {\n  virtual_router_id 99\n  }\n}\n virtual_router_id 7\n virtual_ipaddress {\n  192.0.2.1\n }\n}\n'.replace(
      '}\n}\n virtual',
      '}\n virtual',
    ),
  );
  t.same(codes(r), ['unknown-block:3']);
  t.equal(r.model.vrrp.instances[0]?.vrid, 7);
  t.same(
    r.model.vrrp.instances[0]?.vips.map((v) => v.address),
    ['192.0.2.1'],
  );
});

t.test('unknown top-level block and keywords without a table entry', async (t) => {
  const r = load('vrrp_instanc VI_1 {\n priority 1\n}\nglobal_defs {\n routerid x\n}\n');
  t.same(codes(r), ['unknown-block:1', 'unknown-keyword:5']);
  t.match(r.diagnostics[0]!.message, /did you mean 'vrrp_instance'/);
  t.match(r.diagnostics[1]!.message, /did you mean 'router_id'/);
});

t.test('a value keyword given a block, and a block keyword given no block', async (t) => {
  const r = load(vi('VI_1', 1, 'eth0', '192.0.2.1', ' priority {\n  100\n }\n authentication\n'));
  t.same(codes(r), ['unexpected-block:7', 'missing-block:10']);
});

t.test('two instances with one VRID on one interface and family: error naming both', async (t) => {
  const r = load(vi('A', 51, 'eth0', '192.0.2.1') + vi('B', 51, 'eth0', '192.0.2.2'));
  t.same(codes(r), ['vrid-conflict:10']);
  t.match(r.diagnostics[0]!.message, /B uses virtual_router_id 51 on eth0 \(IPv4\), as A does at .*:1/);
});

t.test('same VRID on another interface or another family is fine', async (t) => {
  const r = load(vi('A', 51, 'eth0', '192.0.2.1') + vi('B', 51, 'eth1', '192.0.2.2') + vi('C', 51, 'eth0', 'fe80::1'));
  t.same(codes(r), []);
  t.equal(r.model.vrrp.instances[2]?.version, 3, 'IPv6 runs VRRPv3');
});

t.test("explicit 'version 2' with IPv6 VIPs is an error", async (t) => {
  const r = load(vi('A', 1, 'eth0', '2001:db8::1', ' version 2\n'));
  t.same(codes(r), ['v2-ipv6:7']);
});

t.test('mixed families in virtual_ipaddress is an error', async (t) => {
  const r = load(vi('A', 1, 'eth0', '192.0.2.1\n  2001:db8::1'));
  t.same(codes(r), ['mixed-family:4']);
});

t.test('missing virtual_router_id, missing interface, loopback', async (t) => {
  const r = load('vrrp_instance A {\n virtual_ipaddress {\n 192.0.2.1\n }\n}\n' + vi('B', 2, 'lo', '192.0.2.2'));
  t.same(codes(r), ['missing-vrid:1', 'missing-interface:1', 'loopback:7']);
});

t.test('references: unknown track_script, unknown sync group member', async (t) => {
  const r = load(vi('A', 1, 'eth0', '192.0.2.1', ' track_script {\n  chk_nope\n }\n') + 'vrrp_sync_group G {\n group {\n  A\n  Z\n }\n}\n');
  t.same(codes(r), ['unknown-script:1', 'unknown-instance:12', 'group-of-one:12']);
  t.same(r.model.vrrp.syncGroups[0]?.instances, ['A'], 'the unknown name is dropped, as keepalived does');
});

t.test('vrrp_strict forbids unicast and preempt_delay; nopreempt with state MASTER warns; auth with v3 warns', async (t) => {
  const r = load(
    'global_defs {\n vrrp_strict\n}\n' +
      vi('A', 1, 'eth0', '192.0.2.1', ' unicast_peer {\n  192.0.2.9\n }\n preempt_delay 5\n') +
      vi('B', 2, 'eth0', '192.0.2.2', ' state MASTER\n priority 100\n nopreempt\n') +
      vi('C', 3, 'eth0', '192.0.2.3', ' version 3\n authentication {\n  auth_type PASS\n  auth_pass x\n }\n'),
  );
  t.same(codes(r), ['strict-unicast:10', 'strict-preempt-delay:13', 'nopreempt-master:21', 'strict-master:21', 'auth-v3:32']);
});

t.test('port 0 without persistence is an error; with persistence it is fine', async (t) => {
  const bad = load('virtual_server 192.0.2.10 0 {\n real_server 10.0.0.1 0 {\n }\n}\n');
  t.same(codes(bad), ['port-zero:1']);
  const good = load('virtual_server 192.0.2.10 0 {\n persistence_timeout 60\n lvs_method DR\n real_server 10.0.0.1 0 {\n }\n}\n');
  t.same(codes(good), []);
  const noPort = load('virtual_server 192.0.2.10 {\n persistence_timeout\n lb_kind DR\n real_server 10.0.0.1 {\n }\n}\n');
  t.same(codes(noPort), []);
  t.equal(noPort.model.ipvs.services[0]?.key.kind === 'addr' && noPort.model.ipvs.services[0].key.port, 0);
});

t.test('duplicate real servers in one virtual_server; duplicate services across blocks', async (t) => {
  const r = load(
    'virtual_server 192.0.2.10 80 {\n real_server 10.0.0.1 80 {\n }\n real_server 10.0.0.1 80 {\n weight 2\n }\n real_server 10.0.0.1 81 {\n }\n}\nvirtual_server 192.0.2.10 80 {\n real_server 10.0.0.5 80 {\n }\n}\n',
  );
  t.same(codes(r), ['duplicate-real-server:4', 'duplicate-service:10']);
  t.equal(r.model.ipvs.services[0]?.realServers.length, 2);
});

t.test('real server of the other family is skipped (not for TUN)', async (t) => {
  const r = load('virtual_server 192.0.2.10 80 {\n real_server 2001:db8::1 80 {\n }\n real_server 2001:db8::2 80 {\n lvs_method TUN\n }\n}\n');
  t.same(codes(r), ['family-mismatch:2']);
  t.same(
    r.model.ipvs.services[0]?.realServers.map((x) => x.address),
    ['2001:db8::2'],
  );
});

t.test('unknown virtual_server_group, empty group, bad fwmark head', async (t) => {
  const r = load('virtual_server_group E {\n}\nvirtual_server group NOPE {\n}\nvirtual_server fwmark x {\n}\n');
  t.same(codes(r), ['empty-group:1', 'unknown-group:3', 'bad-value:5']);
});

t.test('host facts: a missing interface is a warning (host), an error with strict', async (t) => {
  const text = vi('A', 1, 'eth9', '192.0.2.1 dev eth8', ' track_interface {\n  eth7\n }\n');
  const r = load(text, { interfaces: ['lo', 'eth0'] });
  t.same(codes(r), ['interface-missing:1', 'interface-missing:2', 'interface-missing:5']);
  t.ok(r.diagnostics.every((d) => d.severity !== 'warning' || d.host));
  t.ok(r.ok, 'warnings alone pass');
  const s = load(text, { interfaces: ['lo', 'eth0'], strict: true });
  t.notOk(s.ok);
  t.ok(s.diagnostics.filter((d) => d.code === 'interface-missing').every((d) => d.severity === 'error'));
});

t.test('scripts: missing, relative, not executable, unsafe are errors; safe and PATH commands pass', async (t) => {
  const safeDir = join(dir, 'safe');
  mkdirSync(safeDir, { mode: 0o755 });
  chmodSync(safeDir, 0o755);
  const ok = join(safeDir, 'ok.sh');
  writeFileSync(ok, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const noexec = join(safeDir, 'noexec.sh');
  writeFileSync(noexec, '#!/bin/sh\n', { mode: 0o644 });
  const openDir = join(dir, 'open');
  mkdirSync(openDir);
  chmodSync(openDir, 0o777);
  const unsafe = join(openDir, 'u.sh');
  writeFileSync(unsafe, '#!/bin/sh\n', { mode: 0o755 });
  const text =
    vi(
      'A',
      1,
      'eth0',
      '192.0.2.1',
      ` notify_master "${ok} arg"\n notify_backup ${join(safeDir, 'missing.sh')}\n notify_fault ${noexec}\n notify_stop ${unsafe}\n notify "true"\n notify_deleted bin/relative.sh\n`,
    ) +
    `virtual_server 192.0.2.10 80 {\n quorum_up ${ok}\n real_server 10.0.0.1 80 {\n  MISC_CHECK {\n   misc_path "${join(safeDir, 'gone.sh')} x"\n  }\n }\n}\n`;
  const r = load(text, { interfaces: ['eth0'], env: { PATH: '/usr/bin:/bin' } });
  t.same(codes(r), ['script-missing:8', 'script-not-executable:9', 'script-unsafe:10', 'script-relative:12', 'script-missing:18']);
  t.match(r.diagnostics.find((d) => d.code === 'script-unsafe')!.message, /writable by everyone/);
});

t.test('script user that does not exist is a host warning that hints at quoting', async (t) => {
  const r = load(vi('A', 1, 'eth0', '192.0.2.1', ' notify_master /bin/true no_such_user_ulvs\n'), { interfaces: ['eth0'] });
  t.same(codes(r), ['script-user:7']);
  t.match(r.diagnostics.find((d) => d.code === 'script-user')!.message, /quote the whole command/);
});

t.test('diagnostics are sorted by file order and line, and name included files', async (t) => {
  const inc = join(dir, 'inc-bad.conf');
  writeFileSync(inc, 'global_defs {\n bogus 1\n}\n');
  const r = load(`include ${inc}\nglobal_defs {\n bogus2 1\n}\n`);
  t.same(
    r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file === inc ? 'inc' : 'main'}:${d.line}`),
    ['main:3', 'inc:2'],
  );
  t.same(r.model.files.length, 2);
});

t.test("omitted protocol, scheduler, method: errors as in keepalived -t, with keepalived's fallbacks (UDP, wlc, NAT)", async (t) => {
  const r = load(
    'virtual_server 192.0.2.10 80 {\n real_server 10.0.0.1 80 {\n }\n}\nvirtual_server fwmark 3 {\n protocol TCP\n lvs_sched rr\n lvs_method DR\n real_server 10.0.0.1 80 {\n }\n}\n',
  );
  t.same(codes(r, true), ['no-protocol:1', 'no-scheduler:1', 'no-forwarding:1', 'protocol-fwmark:6', 'port-ignored:9']);
  const [udp, fwm] = r.model.ipvs.services;
  t.same([udp!.key.kind === 'addr' && udp!.key.protocol, udp!.scheduler, udp!.realServers[0]!.forward], ['udp', 'wlc', 'nat']);
  t.equal(fwm!.realServers[0]!.port, 0, 'DR dest of a fwmark service has no port');
});

t.test('a virtual_server without real servers is ignored, as keepalived does', async (t) => {
  const r = load('virtual_server 192.0.2.10 80 {\n protocol TCP\n lvs_sched rr\n lvs_method NAT\n sorry_server 10.0.0.9 80\n}\n');
  t.same(codes(r, true), ['no-real-servers:1']);
  t.same(r.model.ipvs.services, []);
  t.same(r.model.health, []);
});

const lvs = (body: string, rs = ' real_server 10.0.0.1 80 {\n }\n'): string =>
  `virtual_server 192.0.2.10 80 {\n protocol TCP\n lvs_sched rr\n lvs_method DR\n${body}${rs}}\n`;

t.test('ops needs UDP; quorum above the total weight; hysteresis not below quorum; ha_suspend with fwmark', async (t) => {
  const r = load(
    lvs(' ops\n quorum 4\n hysteresis 3\n', ' real_server 10.0.0.1 80 {\n weight 2\n }\n real_server 10.0.0.2 80 {\n }\n') +
      'virtual_server fwmark 5 {\n lvs_sched rr\n lvs_method DR\n ha_suspend\n real_server 10.0.0.1 0 {\n }\n}\n',
  );
  t.same(codes(r), ['ops-not-udp:5', 'quorum-too-high:6', 'hysteresis-too-high:7', 'ha-suspend-fwmark:17']);
  t.same(
    [r.model.ipvs.services[0]!.onePacket, r.model.health[0]!.quorum, r.model.health[0]!.hysteresis, r.model.health[1]!.haSuspend],
    [false, 3, 2, undefined],
  );
});

t.test('DR/TUN real servers cannot change ports: reset with a warning; NAT may map ports', async (t) => {
  const r = load(lvs('', ' real_server 10.0.0.1 8080 {\n }\n real_server 10.0.0.2 {\n }\n real_server 10.0.0.3 8081 {\n lvs_method NAT\n }\n'));
  t.same(codes(r), ['port-mismatch:5']);
  t.same(
    r.model.ipvs.services[0]!.realServers.map((x) => `${x.address}:${x.port}`),
    ['10.0.0.1:80', '10.0.0.2:80', '10.0.0.3:8081'],
  );
});

t.test('group members and DR real server ports must match (error); port-less members need persistence', async (t) => {
  const r = load('virtual_server_group G {\n 192.0.2.1 80\n 192.0.2.2\n}\n' + lvs('', ' real_server 10.0.0.1 443 {\n }\n').replace('192.0.2.10 80', 'group G'));
  t.same(codes(r), ['port-zero:5', 'port-mismatch:9']);
  t.equal(r.model.ipvs.services[0]!.persistenceTimeoutS, 360, "keepalived's implied persistence");
});

t.test('a sorry server that is also a real server must share its inhibit setting', async (t) => {
  const r = load(lvs(' sorry_server 10.0.0.1 80\n sorry_server_inhibit\n'));
  t.same(codes(r), ['sorry-inhibit-mismatch:5']);
});

t.test("scripts without enable_script_security: a warning naming keepalived -t's SECURITY VIOLATION", async (t) => {
  const text = vi('A', 1, 'eth0', '192.0.2.1', ' notify_master /bin/true\n');
  const r = load(text);
  t.same(codes(r, true), ['script-security:7']);
  t.match(r.diagnostics[0]!.message, /SECURITY VIOLATION/);
  t.same(codes(load('global_defs {\n enable_script_security\n}\n' + text), true), []);
});

t.test('source address family, unicast_ttl without peers, strict non-owner MASTER, sync group of one', async (t) => {
  const r = load(
    'global_defs {\n vrrp_strict\n}\n' +
      vi('A', 1, 'eth0', '192.0.2.1', ' mcast_src_ip 2001:db8::1\n unicast_ttl 10\n state MASTER\n priority 100\n') +
      'vrrp_sync_group G {\n group {\n  A\n }\n}\n',
  );
  t.same(codes(r), ['mixed-family:10', 'ttl-without-peers:11', 'strict-master:12', 'group-of-one:16']);
});

t.test('--strict advises check_unicast_src for unicast instances, without failing the file', async (t) => {
  const uni = vi('VI_U', 9, 'eth0', '192.0.2.9', ' unicast_src_ip 10.0.0.1\n unicast_peer {\n  10.0.0.2\n }\n');
  const plain = load(uni);
  t.notOk(
    plain.diagnostics.some((d) => d.code === 'unicast-no-src-check'),
    'no advice without --strict',
  );
  const strict = load(uni, { hostChecks: false, strict: true });
  const d = strict.diagnostics.find((x) => x.code === 'unicast-no-src-check');
  t.ok(d, 'advice with --strict');
  t.equal(d?.severity, 'warning');
  t.equal(d?.line, 1, 'at the instance');
  t.match(d?.message, /check_unicast_src/);
  const checked = load(uni.replace(' unicast_src_ip', ' check_unicast_src\n unicast_src_ip'), { hostChecks: false, strict: true });
  t.notOk(
    checked.diagnostics.some((x) => x.code === 'unicast-no-src-check'),
    'quiet with check_unicast_src',
  );
});

t.test('track_file in a directory every local user may write: a warning at its block (they set the weight)', async (t) => {
  const open = join(dir, 'tf-open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const sticky = join(dir, 'tf-sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const r = load(
    `track_file a {\n file ${open}/a\n}\ntrack_file b {\n file ${sticky}/b\n}\ntrack_file c {\n file ${sticky}/c\n init_file 0\n}\ntrack_file d {\n file ${dir}/d\n}\n`,
    { hostChecks: true, interfaces: [] },
  );
  const w = r.diagnostics.filter((d) => d.code === 'track-file-open-dir');
  t.same(
    w.map((d) => d.line),
    [1, 4],
    'an open directory, and a sticky one without init_file; not with init_file, nor a private one',
  );
  t.match(w[0]!.message, /replace it/);
  t.match(w[1]!.message, /create it while it is missing/);
});
