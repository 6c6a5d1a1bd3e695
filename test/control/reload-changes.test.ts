// Reload reports its rule changes with one service-key text (ipvs/service-key.ts): IPv6 services and
// real servers keep their brackets (the daemon's own copy used to print "TCP 2001:db8::1:80").
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/control/daemon.js';
import { NullDataPlane } from '../../src/control/ports.js';
import type { ConfigLoad } from '../../src/control/config-source.js';
import { createLogger } from '../../src/control/logger.js';
import { describeOp } from '../../src/control/rule-diff.js';
import { serviceKeyText } from '../../src/ipvs/service-key.js';
import type { VirtualServiceSpec } from '../../src/ipvs/types.js';

function vs6(address: string, port: number, dests: string[]): VirtualServiceSpec {
  return {
    key: { kind: 'addr', protocol: 'tcp', family: 6, address, port },
    scheduler: 'rr',
    schedFlags: [],
    persistenceTimeoutS: 0,
    netmask: '128',
    onePacket: false,
    persistenceEngine: '',
    realServers: dests.map((a) => ({ address: a, port, forward: 'nat', weight: 1, upperThreshold: 0, lowerThreshold: 0 })),
  };
}

async function fakeLoad(file: string): Promise<ConfigLoad> {
  const j = JSON.parse(readFileSync(file, 'utf8')) as { services: VirtualServiceSpec[] };
  return { ok: true, errors: [], warnings: [], services: j.services, hasVrrp: false };
}

t.test('serviceKeyText: one form for every key kind', async (t) => {
  t.equal(serviceKeyText({ kind: 'addr', protocol: 'udp', family: 4, address: '10.0.0.1', port: 53 }), 'UDP 10.0.0.1:53');
  t.equal(serviceKeyText({ kind: 'addr', protocol: 'tcp', family: 6, address: '2001:db8::1', port: 80 }), 'TCP [2001:db8::1]:80');
  t.equal(serviceKeyText({ kind: 'fwmark', fwmark: 7, family: 4 }), 'FWM 7');
  t.equal(serviceKeyText({ kind: 'fwmark', fwmark: 7, family: 6 }), 'FWM 7 IPv6');
  t.equal(
    describeOp({
      kind: 'delete-server',
      key: { kind: 'addr', protocol: 'tcp', family: 6, address: '2001:db8::1', port: 80 },
      address: '2001:db8::2',
      port: 80,
    }),
    'del-dest TCP [2001:db8::1]:80 -> [2001:db8::2]:80',
  );
});

t.test('a reload of IPv6 services reports bracketed addresses', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-reload-changes-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'keepalived.conf');
  writeFileSync(conf, JSON.stringify({ services: [vs6('2001:db8::1', 80, ['2001:db8::10'])] }));
  const d = new Daemon({
    configFile: conf,
    socketPath: path.join(dir, 'run', 'ulvs.sock'),
    pidPath: path.join(dir, 'ulvs.pid'),
    logger: createLogger(false, () => {}),
    loadConfig: fakeLoad,
    dataPlane: new NullDataPlane(),
  });
  t.teardown(() => d.stop());
  await d.start();
  writeFileSync(conf, JSON.stringify({ services: [vs6('2001:db8::1', 80, ['2001:db8::11']), vs6('2001:db8::5', 443, [])] }));
  const r = await d.reload();
  t.ok(r.ok);
  t.same([...r.changes].sort(), [
    'add-dest TCP [2001:db8::1]:80 -> [2001:db8::11]:80',
    'add-service TCP [2001:db8::5]:443',
    'del-dest TCP [2001:db8::1]:80 -> [2001:db8::10]:80',
  ]);
});
