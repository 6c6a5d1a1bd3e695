// keepalived itself as the oracle: whatever `keepalived -t` rejects, `ulvs check-config --strict` rejects too
// ("like keepalived -t, but stricter"). Runs the installed keepalived (Debian 2.2.7 here) on hand-written
// cases, the seed/sample corpus and fixed-seed random edits of it; skips when keepalived is not installed.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';

const probe = spawnSync('keepalived', ['--version'], { encoding: 'utf8' });
const missing = probe.error !== undefined;
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ulvs-oracle-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
cpSync(join(here, 'fixtures', 'samples', 'conf.d'), join(dir, 'conf.d'), { recursive: true });

// Scripts are checked by ulvs regardless; keepalived's exit 6 for a missing enable_script_security is left out.
const PREFIX = 'global_defs {\n enable_script_security\n}\n';
let n = 0;

/** Runs both on `text`; returns keepalived's exit status and whether ulvs (strict) accepted it. */
function both(text: string): { krc: number; kout: string; ok: boolean; errors: string[] } {
  const f = join(dir, `o${n++ % 20}.conf`);
  writeFileSync(f, PREFIX + text);
  const k = spawnSync('keepalived', ['-t', '-l', '-n', '-i', 'lb1', '-f', f], { encoding: 'utf8', timeout: 20000 });
  const r = loadConfig(f, { strict: true, configId: 'lb1' });
  return {
    krc: k.status ?? 128,
    kout: `${k.stdout}${k.stderr}`.trim(),
    ok: r.ok,
    errors: r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
  };
}

const iface = readdirSync('/sys/class/net').find((i) => i !== 'lo') ?? 'eth0';
const vi = (extra: string, vips = '192.0.2.1'): string =>
  `vrrp_instance A {\n interface ${iface}\n virtual_router_id 1\n virtual_ipaddress {\n ${vips}\n }\n${extra}}\n`;
const vs = (extra: string, rs = ' real_server 10.0.0.1 80 {\n }\n'): string => `virtual_server 192.0.2.10 80 {\n${extra}${rs}}\n`;
const full = ' protocol TCP\n lvs_sched rr\n lvs_method DR\n';

const rejected: Array<[string, string]> = [
  ['unknown keyword', vi(' bogus_keyword 1\n')],
  ['missing }', vi('').slice(0, -2)],
  ['priority out of range', vi(' priority 300\n')],
  ['lower-case state', vi(' state master\n')],
  ['v2 advert_int not whole', vi(' advert_int 1.5\n')],
  ['no VIP', `vrrp_instance A {\n interface ${iface}\n virtual_router_id 1\n}\n`],
  ['auth with v3', vi(' version 3\n authentication {\n auth_type PASS\n auth_pass x\n }\n')],
  ['auth_pass over 8', vi(' authentication {\n auth_type PASS\n auth_pass 123456789\n }\n')],
  ['nopreempt with state MASTER', vi(' state MASTER\n priority 100\n nopreempt\n')],
  ['nopreempt with priority 255', vi(' priority 255\n nopreempt\n')],
  ['same VRID', vi('') + vi('').replace('A {', 'B {').replace('192.0.2.1', '192.0.2.2')],
  ['version 2 with IPv6', vi(' version 2\n', '2001:db8::1')],
  ['mixed families', vi('', '192.0.2.1\n 2001:db8::1')],
  ['unknown track_script', vi(' track_script {\n nope\n }\n')],
  ['weight with no value', vs(full, ' real_server 10.0.0.1 80 {\n weight\n }\n')],
  ['no protocol', vs(' lvs_sched rr\n lvs_method DR\n')],
  ['no scheduler', vs(' protocol TCP\n lvs_method DR\n')],
  ['no method', vs(' protocol TCP\n lvs_sched rr\n')],
  ['lower-case lb_kind', vs(' protocol TCP\n lvs_sched rr\n lvs_method dr\n')],
  ['unknown scheduler', vs(' protocol TCP\n lvs_sched foo\n lvs_method DR\n')],
  ['sh-port without sh', vs(full + ' sh-port\n')],
  ['ops with TCP', vs(full + ' ops\n')],
  ['quorum above total weight', vs(full + ' quorum 5\n')],
  ['hysteresis not below quorum', vs(full + ' hysteresis 1\n')],
  ['persistence_timeout 0', vs(full + ' persistence_timeout 0\n')],
  ['port 0 without persistence', vs(full).replace('192.0.2.10 80', '192.0.2.10 0')],
  ['DR real server on another port', vs(full, ' real_server 10.0.0.1 8080 {\n }\n')],
  ['fwmark service, DR real server with a port', vs(' lvs_sched rr\n lvs_method DR\n').replace('192.0.2.10 80', 'fwmark 1')],
  ['virtual server without real servers', vs(full, '')],
  ['HTTP_GET without url', vs(full, ' real_server 10.0.0.1 80 {\n HTTP_GET {\n }\n }\n')],
  ['VRID 0', vi('').replace('virtual_router_id 1', 'virtual_router_id 0')],
  ['preempt_delay above 1000 s', vi(' preempt_delay 2000\n')],
  ['invalid VIP', vi('', '192.0.2.300')],
  ['source address of the other family', vi(' mcast_src_ip 2001:db8::1\n')],
  ['unicast_ttl without peers', vi(' unicast_ttl 10\n')],
  ['vrrp_strict with a non-owner MASTER', 'global_defs {\n vrrp_strict\n}\n' + vi(' state MASTER\n priority 100\n')],
  ['AH with a non-owner state MASTER', vi(' state MASTER\n priority 100\n authentication {\n auth_type AH\n auth_pass x\n }\n')],
  ['vrrp_strict with an owner in state BACKUP', 'global_defs {\n vrrp_strict\n}\n' + vi(' state BACKUP\n priority 255\n')],
  ['vrrp_strict with down_timer_adverts', 'global_defs {\n vrrp_strict\n}\n' + vi(' down_timer_adverts 5\n')],
  ['vrrp_strict with authentication', 'global_defs {\n vrrp_strict\n}\n' + vi(' authentication {\n auth_type PASS\n auth_pass x\n }\n')],
  ['vrrp_strict, first IPv6 VIP not link-local', 'global_defs {\n vrrp_strict\n}\n' + vi('', '2001:db8::1')],
  ['invalid address in virtual_rules', vi(' virtual_rules {\n to 192.168.200./24 table 2 priority 5\n }\n')],
  ['invalid address in virtual_routes', vi(' virtual_routes {\n 10.300.0.0/24 dev lo\n }\n')],
  [
    'sync group member that does not exist',
    vi('') + vi('').replace('A {', 'B {').replace('virtual_router_id 1', 'virtual_router_id 2') + 'vrrp_sync_group G {\n group {\n A\n B\n Z\n }\n}\n',
  ],
  ['sync group of one', vi('') + 'vrrp_sync_group G {\n group {\n A\n }\n}\n'],
  ['vrrp_script interval 0', 'vrrp_script s {\n script /bin/true\n interval 0\n}\n' + vi(' track_script {\n s\n }\n')],
];

t.test('cases keepalived -t rejects are errors here too', { skip: missing && 'keepalived is not installed' }, async (t) => {
  for (const [name, text] of rejected) {
    const r = both(text);
    t.not(r.krc, 0, `${name}: keepalived rejects it (${r.kout.split('\n')[0]})`);
    t.notOk(r.ok, `${name}: ulvs rejects it (${r.errors.join(', ')})`);
  }
});

t.test(
  'the seed and sample corpus, and 150 random edits of it: keepalived rejects => ulvs rejects',
  { skip: missing && 'keepalived is not installed' },
  async (t) => {
    const corpus = ['seeds', 'samples'].flatMap((sub) => {
      const d = sub === 'seeds' ? join(here, '..', 'fixtures', 'seeds') : join(here, 'fixtures', sub);
      return readdirSync(d)
        .filter((f) => f.endsWith('.conf'))
        .map((f) => readFileSync(join(d, f), 'utf8'));
    });
    let state = 0x9e3779b9;
    const rnd = (k: number): number => {
      state ^= state << 13;
      state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      return state % k;
    };
    const words = [
      '{',
      '}',
      '"',
      '#',
      '0',
      '1',
      '255',
      '300',
      '-1',
      'weight',
      'priority',
      'MASTER',
      'master',
      'DR',
      'dr',
      'TCP',
      '2001:db8::1',
      'nopreempt',
      'ops',
      'quorum 9',
      'version 3',
      'advert_int 0.5',
      'sh-port',
      'real_server 10.9.9.9 80 {\n}',
    ];
    const inputs = [...corpus];
    for (let i = 0; i < 150; i++) {
      let s = corpus[rnd(corpus.length)]!;
      const pos = rnd(s.length + 1);
      const lines = s.split('\n');
      switch (rnd(4)) {
        case 0:
          s = s.slice(0, pos) + s.slice(pos + 1 + rnd(5));
          break;
        case 1:
          s = s.slice(0, pos) + words[rnd(words.length)] + s.slice(pos);
          break;
        case 2:
          lines.splice(rnd(lines.length), 1);
          s = lines.join('\n');
          break;
        default: {
          const w = s.split(/(\s+)/);
          w[rnd(w.length)] = words[rnd(words.length)]!;
          s = w.join('');
        }
      }
      inputs.push(s);
    }
    let gaps = 0;
    for (const text of inputs) {
      const r = both(text);
      if (r.krc !== 0 && r.krc !== 6 && r.ok) {
        gaps++;
        if (gaps <= 3) t.fail(`keepalived rejects (rc ${r.krc}: ${r.kout.split('\n').slice(0, 2).join(' | ')}) but ulvs accepts:\n${text}`);
      }
    }
    t.equal(gaps, 0, `no input that keepalived -t rejects passes ulvs check-config --strict (${inputs.length} inputs)`);
  },
);
