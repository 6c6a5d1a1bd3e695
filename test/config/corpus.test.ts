// The seed configs users bring (copied from ../shared/seeds/configs into test/fixtures/seeds) and our own
// sample corpus (fixtures/samples, written after keepalived's doc/samples): all load, with the expected model.
import t from 'tap';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadResult } from '../../src/config/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const seeds = join(here, '..', 'fixtures', 'seeds');
const samples = join(here, 'fixtures', 'samples');
const SHARED = join(here, '..', '..', '..', 'shared', 'seeds', 'configs');

const load = (f: string, configId = 'lb1'): LoadResult => loadConfig(f, { hostChecks: false, configId });
const errors = (r: LoadResult): string[] => r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code}:${d.line}`);

t.test('every seed config loads into a model', async (t) => {
  const dirs = [seeds, ...(existsSync(SHARED) ? [SHARED] : [])];
  for (const d of dirs) {
    for (const f of readdirSync(d).filter((x) => x.endsWith('.conf'))) {
      const r = load(join(d, f));
      t.ok(r.model.vrrp.instances.length > 0, `${f}: has VRRP instances`);
      const want = f.startsWith('seed001-') ? 1 : 0;
      t.equal(errors(r).length, want, `${f}: ${want} error(s): ${errors(r).join(', ')}`);
    }
  }
});

t.test("seed001: 'weight' with no value is an error at its line; the real server keeps weight 1", async (t) => {
  for (const [f, line] of [
    ['seed001-lvs-dr.conf', 25],
    ['seed001-lvs-tun.conf', 25],
    ['seed001-lvs-nat.conf', 39],
  ] as const) {
    const r = load(join(seeds, f));
    t.same(errors(r), [`missing-value:${line}`], f);
    const d = r.diagnostics.find((x) => x.code === 'missing-value')!;
    t.equal(d.file, join(seeds, f));
    t.match(d.message, /'weight' in real_server is missing its value .*keepalived -t rejects this too .*keeps the default 1/);
    const svc = r.model.ipvs.services[0]!;
    t.same(
      svc.realServers.map((x) => [x.address, x.weight]),
      [
        ['172.16.0.12', 1],
        ['172.16.0.13', 1],
      ],
    );
    t.equal(svc.scheduler, 'wrr');
    t.equal(svc.persistenceTimeoutS, 10);
    t.equal(svc.realServers[0]!.forward, { 'seed001-lvs-dr.conf': 'dr', 'seed001-lvs-tun.conf': 'tun', 'seed001-lvs-nat.conf': 'nat' }[f]);
  }
});

t.test('seed001-lvs-nat: two instances on two interfaces', async (t) => {
  const r = load(join(seeds, 'seed001-lvs-nat.conf'));
  t.same(
    r.model.vrrp.instances.map((i) => [i.name, i.vrid, i.interface, i.vips[0]!.address]),
    [
      ['VI_2', 172, 'eth1', '172.16.0.252'],
      ['VI_1', 17, 'eth0', '222.33.180.62'],
    ],
  );
});

t.test('seed000: unicast SNAT pair; missing notify scripts are errors with host checks on', async (t) => {
  const m = load(join(seeds, 'seed000-snat-master.conf'));
  const i = m.model.vrrp.instances[0]!;
  t.same([i.initialState, i.priority, i.srcIp, i.unicastPeers], ['MASTER', 100, '192.168.1.202', [{ address: '192.168.1.203' }]]);
  t.same(i.vips[0], {
    address: '192.168.1.200',
    family: 4,
    prefixLen: 32,
    dev: 'eth0',
    label: 'eth0:havip',
    source: `${join(seeds, 'seed000-snat-master.conf')}:24`,
  });
  t.same(i.notify.master, { argv: ['/etc/keepalived/scripts/ha_vip_start.sh'] });
  t.same(i.authentication, { type: 'PASS', password: '1111' });
  const b = load(join(seeds, 'seed000-snat-backup.conf'));
  t.same([b.model.vrrp.instances[0]!.initialState, b.model.vrrp.instances[0]!.priority], ['BACKUP', 99]);
  const host = loadConfig(join(seeds, 'seed000-snat-master.conf'), { interfaces: ['eth0'], configId: 'x' });
  const missing = existsSync('/etc/keepalived/scripts/ha_vip_start.sh') ? 0 : 4;
  t.equal(host.diagnostics.filter((d) => d.code === 'script-missing').length, missing);
});

t.test('seed003: director pair with TCP_CHECK', async (t) => {
  const d1 = load(join(seeds, 'seed003-director1.conf'));
  const d2 = load(join(seeds, 'seed003-director2.conf'));
  t.same([d1.model.vrrp.instances[0]!.priority, d2.model.vrrp.instances[0]!.priority], [100, 99]);
  const svc = d1.model.ipvs.services[0]!;
  t.same(svc.key, { kind: 'addr', protocol: 'tcp', family: 4, address: '200.222.0.113', port: 80 });
  t.same(
    [svc.scheduler, svc.persistenceTimeoutS, svc.realServers.map((r) => `${r.address}:${r.port}/${r.forward}/${r.weight}`)],
    ['wlc', 600, ['200.222.0.87:80/dr/100', '200.222.0.89:80/dr/100']],
  );
  t.same(
    d1.model.health[0]!.realServers.map((r) => r.checkers.map((c) => [c.type, c.connectTimeoutMs])),
    [[['TCP_CHECK', 3000]], [['TCP_CHECK', 3000]]],
  );
});

interface Sample {
  file: string;
  configId?: string;
  check: (r: LoadResult) => Record<string, [unknown, unknown]>;
}
const sampleCases: Sample[] = [
  {
    file: 'vrrp-sync.conf',
    check: (r) => ({
      groups: [r.model.vrrp.syncGroups.map((g) => [g.name, g.instances]), [['FRONT_BACK', ['FRONT', 'BACK']]]],
      notify: [r.model.vrrp.syncGroups[0]!.notify.master?.argv, ['/usr/local/sbin/ha-event', 'master', 'both']],
      label: [r.model.vrrp.instances[0]!.vips[0]!.label, 'eth0:front'],
      routerId: [r.model.global.routerId, 'DIRECTOR_A'],
    }),
  },
  {
    file: 'lvs-http.conf',
    check: (r) => ({
      services: [
        r.model.ipvs.services.map((s) => `${s.key.kind === 'addr' ? s.key.port : 0}/${s.scheduler}/${s.persistenceTimeoutS}`),
        ['80/wrr/0', '443/lc/300'],
      ],
      urls: [(r.model.health[0]!.realServers[0]!.checkers[0] as { urls: unknown[] }).urls.length, 2],
      sorry: [r.model.health[0]!.sorryServer, { address: '10.30.0.99', port: 8080, forward: 'nat' }],
      quorum: [
        [r.model.health[0]!.quorum, r.model.health[0]!.hysteresis],
        [2, 1],
      ],
    }),
  },
  {
    file: 'vsg.conf',
    check: (r) => ({
      keys: [
        r.model.ipvs.services.map((s) => (s.key.kind === 'addr' ? `${s.key.address}:${s.key.port}` : `fwm${s.key.fwmark}`)),
        [
          '198.51.100.10:80',
          '198.51.100.11:80',
          '198.51.100.12:80',
          '198.51.100.32:8080',
          '198.51.100.33:8080',
          '198.51.100.34:8080',
          '198.51.100.35:8080',
          'fwm11',
        ],
      ],
      rsPorts: [r.model.ipvs.services[3]!.realServers.map((x) => x.port), [8080, 8080]],
      healthKeys: [r.model.health[0]!.keys.length, 8],
    }),
  },
  {
    file: 'misc-udp-dns.conf',
    check: (r) => ({
      types: [
        r.model.health.flatMap((h) => h.realServers.flatMap((x) => x.checkers.map((c) => c.type))),
        ['DNS_CHECK', 'UDP_CHECK', 'MISC_CHECK', 'PING_CHECK'],
      ],
      misc: [
        (r.model.health[1]!.realServers[0]!.checkers[0] as { misc: { argv: string[] } }).misc.argv,
        ['/usr/local/libexec/check-pg', '--host', '10.50.0.5', '--port', '5432'],
      ],
      flags: [
        [r.model.ipvs.services[0]!.schedFlags, r.model.ipvs.services[0]!.onePacket],
        [['sh-port'], true],
      ],
    }),
  },
  {
    file: 'ipv6.conf',
    check: (r) => ({
      version: [
        [r.model.vrrp.instances[0]!.version, r.model.vrrp.instances[0]!.family, r.model.vrrp.instances[0]!.advertIntMs],
        [3, 6, 500],
      ],
      netmask: [r.model.ipvs.services[0]!.netmask, '64'],
    }),
  },
  {
    file: 'conditional.conf',
    configId: 'east',
    check: (r) => ({
      east: [
        [r.model.vrrp.instances[0]!.initialState, r.model.vrrp.instances[0]!.priority],
        ['MASTER', 200],
      ],
    }),
  },
  {
    file: 'conditional.conf',
    configId: 'west',
    check: (r) => ({
      west: [
        [r.model.vrrp.instances[0]!.initialState, r.model.vrrp.instances[0]!.priority],
        ['BACKUP', 100],
      ],
    }),
  },
  {
    file: 'fwmark-quorum.conf',
    check: (r) => ({
      key: [r.model.ipvs.services[0]!.key, { kind: 'fwmark', fwmark: 8, family: 4 }],
      rs: [r.model.ipvs.services[0]!.realServers[0], { address: '10.60.0.1', port: 0, forward: 'tun', weight: 2, upperThreshold: 500, lowerThreshold: 400 }],
      scripts: [
        [r.model.health[0]!.quorumUp?.argv, r.model.health[0]!.realServers[0]!.notifyDown?.argv],
        [
          ['/usr/local/sbin/pool-event', 'up'],
          ['/usr/local/sbin/rs-event', '10.60.0.1', 'down'],
        ],
      ],
    }),
  },
  {
    file: 'params.conf',
    check: (r) => ({
      instances: [r.model.vrrp.instances.map((i) => `${i.name}/${i.vrid}/${i.vips[0]!.address}`), ['VI_1/1/192.0.2.1', 'VI_2/2/192.0.2.2', 'VI_3/3/192.0.2.3']],
      pool: [r.model.ipvs.services[0]!.realServers.map((x) => x.address), ['10.70.0.11', '10.70.0.12', '10.70.0.13']],
      files: [r.model.files.length, 2],
    }),
  },
];

for (const s of sampleCases) {
  t.test(`sample ${s.file}${s.configId ? ` -i ${s.configId}` : ''}`, async (t) => {
    const r = load(join(samples, s.file), s.configId);
    t.same(errors(r), []);
    t.same(
      r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message),
      [],
    );
    for (const [name, [got, want]] of Object.entries(s.check(r))) t.same(got, want, name);
  });
}
