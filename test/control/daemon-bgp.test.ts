// The daemon and its BGP announcer (a fake in place of bgpd): it is told the rules after each publish
// (so a VIP is announced once the data plane runs it), `drain` withdraws, waits for quiet and then asks
// to be stopped, and a stop withdraws before the data plane goes.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/control/daemon.js';
import { NullDataPlane } from '../../src/control/ports.js';
import type { ConfigLoad } from '../../src/control/config-source.js';
import { createLogger } from '../../src/control/logger.js';
import type { BgpAnnouncer } from '../../src/bgp/announcer.js';
import type { IpvsRules, VirtualServiceSpec } from '../../src/ipvs/types.js';
import { callOnce } from '../../src/api/client.js';

const svc: VirtualServiceSpec = {
  key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.100', port: 80 },
  scheduler: 'mh',
  schedFlags: [],
  persistenceTimeoutS: 0,
  netmask: '255.255.255.255',
  onePacket: false,
  persistenceEngine: '',
  realServers: [{ address: '10.0.1.1', port: 80, forward: 'dr', weight: 1, upperThreshold: 0, lowerThreshold: 0 }],
};

t.test('announce after publish, drain withdraws then asks to stop, stop withdraws before the data plane', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-dbgp-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'k.conf');
  writeFileSync(conf, '{}');
  const events: string[] = [];
  const fake = {
    active: true,
    apply: async (c: unknown) => void events.push(`apply ${JSON.stringify(c)}`),
    update: async (r: IpvsRules) => void events.push(`update ${r.services.length}`),
    withdrawAll: async () => {
      events.push('withdraw');
      return ['10.0.0.100/32'];
    },
    drainWaitMs: () => 0,
    status: async () => ({ announced: [], draining: true, peers: [] }),
    stop: async () => void events.push('bgp stop'),
  };
  const dp = new NullDataPlane();
  const dpStop = dp.stop.bind(dp);
  dp.stop = async () => {
    events.push('data plane stop');
    return dpStop();
  };
  let drained = 0;
  const d = new Daemon({
    configFile: conf,
    socketPath: path.join(dir, 'run', 'ulvs.sock'),
    pidPath: path.join(dir, 'ulvs.pid'),
    logger: createLogger(false, () => {}),
    loadConfig: async (): Promise<ConfigLoad> => ({
      ok: true,
      errors: [],
      warnings: [],
      services: [svc],
      hasVrrp: false,
      model: { bgp: { localAs: 1 } as never },
    }),
    dataPlane: dp,
    bgp: fake as unknown as BgpAnnouncer,
    onDrained: () => drained++,
  });
  await d.start();
  t.same(events, ['update 1', 'apply {"localAs":1}'], 'the rules reach the announcer once published; then the block');
  const r = await callOnce<{ withdrawn: string[]; quiet: boolean }>(path.join(dir, 'run', 'ulvs.sock'), 'drain');
  t.same(r.withdrawn, ['10.0.0.100/32']);
  t.ok(r.quiet, 'no packet (NullDataPlane): quiet');
  await new Promise((res) => setImmediate(res));
  t.equal(drained, 1, 'the daemon asked to be stopped after answering');
  events.length = 0;
  await d.stop();
  t.ok(events.indexOf('bgp stop') >= 0 && events.indexOf('bgp stop') < events.indexOf('data plane stop'), `BGP withdrawn before the rules go: ${events}`);
});
