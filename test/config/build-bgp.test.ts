// The ulvs_bgp block: a full block builds the BGP model (defaults: hold 9 / keepalive 3, drain_wait 5,
// every virtual_server address announced); each mistake is an error or warning at its own file:line
// that names the fix, and `ulvs check-config` exits non-zero on the errors.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadResult } from '../../src/config/types.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-bgp-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function load(text: string): LoadResult & { file: string } {
  const file = join(dir, `c${n++}.conf`);
  writeFileSync(file, text);
  return { ...loadConfig(file, { configId: 'lb1', hostChecks: false }), file };
}
const vs = (vip: string, rs = '10.0.0.21'): string =>
  `virtual_server ${vip} 80 {\n protocol TCP\n lvs_sched mh\n lvs_method DR\n real_server ${rs} 80 {\n }\n}\n`;
const finding = (r: LoadResult, code: string): string[] => r.diagnostics.filter((d) => d.code === code).map((d) => `${d.severity}:${d.line}`);

t.test('a full block: peers, ASNs, timers, VIPs, BFD instance', async (t) => {
  const r = load(`bfd_instance rtr {
 neighbor_ip 10.0.0.1
 min_rx 100
 min_tx 100
 multiplier 3
}
${vs('10.0.0.100')}${vs('fd00::100', 'fd00::21')}ulvs_bgp {
 local_as 65011
 router_id 10.0.0.11
 hold_time 6
 neighbor 10.0.0.1 {
  remote_as 65000
  bfd_instance rtr
 }
 neighbor fd00::1 {
  remote_as 65000
  hold_time 30
  keepalive 10
 }
 drain_wait 2
}
`);
  t.ok(r.ok, r.diagnostics.map((d) => `${d.line}: ${d.message}`).join('\n'));
  const b = r.model.bgp!;
  t.equal(b.localAs, 65011);
  t.equal(b.routerId, '10.0.0.11');
  t.same(b.vips, ['10.0.0.100/32', 'fd00::100/128'], 'no vip lines: every virtual_server address');
  t.equal(b.drainWaitS, 2);
  t.equal(b.bgpdPath, '/usr/lib/frr/bgpd');
  t.match(b.neighbors[0], { address: '10.0.0.1', remoteAs: 65000, holdTimeS: 6, keepaliveS: 2, bfdInstance: 'rtr' });
  t.match(b.neighbors[1], { address: 'fd00::1', remoteAs: 65000, holdTimeS: 30, keepaliveS: 10 });
  t.equal(b.neighbors[1]!.bfdInstance, undefined);
  t.match(b.source, /:21$/);
});

t.test('vip lines choose the announced addresses; one that is no virtual_server warns at its line', async (t) => {
  const r = load(
    `${vs('10.0.0.100')}${vs('10.0.0.101')}ulvs_bgp {\n local_as 65011\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 65000\n }\n vip 10.0.0.101\n vip 10.0.0.200/32\n}\n`,
  );
  t.ok(r.ok, 'a warning only');
  t.same(r.model.bgp!.vips, ['10.0.0.101/32', '10.0.0.200/32']);
  t.same(finding(r, 'unused-vip'), ['warning:22']);
  t.match(
    r.diagnostics.find((d) => d.code === 'unused-vip')!.message,
    /vip 10\.0\.0\.200 is no virtual_server address.*add its virtual_server or remove the line/,
  );
});

t.test('an IPv6 neighbor without source_ip warns at its line (the session could leave from an IPv6 VIP)', async (t) => {
  const base = (src: string) =>
    `${vs('fd00::100', 'fd00::21')}ulvs_bgp {\n local_as 65011\n router_id 10.0.0.11\n neighbor fd00::1 {\n  remote_as 65000\n${src} }\n}\n`;
  const r = load(base(''));
  t.ok(r.ok, 'a warning only');
  const w = r.diagnostics.find((d) => d.severity === 'warning' && /source_ip/.test(d.message));
  t.equal(w?.line, 11, 'at the neighbor line');
  t.match(w?.message, /neighbor fd00::1: an IPv6 session without source_ip may leave from an IPv6 VIP.*add 'source_ip'/);
  const fixed = load(base('  source_ip fd00::11\n'));
  t.notOk(
    fixed.diagnostics.some((d) => /source_ip/.test(d.message)),
    'with source_ip: no warning',
  );
  t.equal(fixed.model.bgp!.neighbors[0]!.sourceIp, 'fd00::11');
});

t.test('each mistake is an error at its line with the fix', async (t) => {
  const cases: Array<[string, string, number, RegExp]> = [
    ['ulvs_bgp {\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\n', 'missing-value', 1, /no local_as; add 'local_as ASN'/],
    ['ulvs_bgp {\n local_as 1\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\n', 'missing-value', 1, /no router_id; add 'router_id A\.B\.C\.D'/],
    ['ulvs_bgp {\n local_as 1\n router_id fd00::1\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\n', 'bad-value', 3, /router_id fd00::1 must be an IPv4 address/],
    ['ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n}\n', 'missing-block', 1, /no neighbor; add 'neighbor ROUTER_ADDRESS \{ remote_as ASN \}'/],
    ['ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n }\n}\n', 'missing-value', 4, /neighbor 10\.0\.0\.1 has no remote_as/],
    ['ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor router1 {\n  remote_as 1\n }\n}\n', 'bad-value', 4, /'neighbor' needs the router's address/],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n hold_time 2\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\n',
      'bad-value',
      4,
      /hold_time 2 is not allowed \(RFC 4271/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n  hold_time 9\n  keepalive 9\n }\n}\n',
      'bad-value',
      7,
      /keepalive 9 must be below hold_time 9; write 'keepalive 3'/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n  bfd_instance nope\n }\n}\n',
      'unknown-tracker',
      6,
      /bfd_instance 'nope' is not defined; define/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n  source_ip fd00::2\n }\n}\n',
      'bad-value',
      6,
      /source_ip fd00::2 is of the other address family/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n neighbor 10.0.0.1 {\n  remote_as 2\n }\n}\n',
      'duplicate-name',
      7,
      /neighbor 10\.0\.0\.1 is given twice/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n vip 10.0.0.0/24\n}\n',
      'bad-value',
      7,
      /'vip' takes one IPv4 or IPv6 address/,
    ],
    [
      'ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\nulvs_bgp {\n}\n',
      'duplicate-block',
      8,
      /ulvs_bgp is given again.*merge/,
    ],
    ['ulvs_bgp {\n local_as 0\n router_id 10.0.0.11\n neighbor 10.0.0.1 {\n  remote_as 1\n }\n}\n', 'bad-value', 2, /local_as/],
    ['ulvs_bgp {\n local_as 1\n router_id 10.0.0.11\n neighbour 10.0.0.1 {\n  remote_as 1\n }\n}\n', 'unknown-block', 4, /did you mean 'neighbor'/],
  ];
  for (const [text, code, line, re] of cases) {
    const r = load(`${vs('10.0.0.100')}${text}`);
    const d = r.diagnostics.find((x) => x.code === code && x.severity === 'error');
    t.ok(d, `${code} for:\n${text}got ${r.diagnostics.map((x) => `${x.code}:${x.line}`).join(' ')}`);
    if (!d) continue;
    t.equal(d.line, line + 7, `${code} at its line`);
    t.equal(d.file, r.file);
    t.match(d.message, re);
    t.notOk(r.ok);
  }
});
