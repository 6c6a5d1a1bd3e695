import t from 'tap';
import { VrrpManager } from '../../src/vrrp/manager.js';
import type { VipSpec, VrrpStateEvent } from '../../src/vrrp/types.js';
import { validate } from '../../src/vrrp/validate.js';
import { FakeTransport, FakeWire, config, fakeIface, instanceSpec } from './fake-wire.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function node(wire: FakeWire, addr: string, over: Parameters<typeof instanceSpec>[0], held: Set<string>) {
  const events: VrrpStateEvent[] = [];
  const tr = new FakeTransport(wire, addr);
  const m = new VrrpManager(config([instanceSpec(over)]), {
    log: () => {},
    transportFactory: () => tr,
    linkPollMs: 1000000,
    deps: {
      readInterface: fakeIface(addr),
      addVips: async (v: VipSpec[]) => {
        for (const x of v) held.add(`${addr}:${x.address}`);
        return [];
      },
      removeVips: async (v: VipSpec[]) => {
        for (const x of v) held.delete(`${addr}:${x.address}`);
        return [];
      },
      sendFrame: () => {},
    },
  });
  m.on('state', (e) => events.push(e));
  return { m, events, tr };
}

t.test('two managers on a fake wire: election, clean stop takeover, VIPs follow', async (t) => {
  const wire = new FakeWire();
  const held = new Set<string>();
  const a = node(wire, '10.0.0.1', { version: 3, advertIntMs: 50, priority: 200 }, held);
  const b = node(wire, '10.0.0.2', { version: 3, advertIntMs: 50, priority: 100 }, held);
  await a.m.start();
  await b.m.start();
  await sleep(600);
  t.equal(a.m.status()[0].state, 'MASTER');
  t.equal(b.m.status()[0].state, 'BACKUP');
  t.same([...held], ['10.0.0.1:192.0.2.100'], 'only the master holds the VIP');
  await a.m.stop();
  await sleep(300);
  t.equal(b.m.status()[0].state, 'MASTER', 'backup took over after priority 0');
  t.same([...held], ['10.0.0.2:192.0.2.100']);
  t.ok(
    b.events.some((e) => e.to === 'MASTER' && e.vips.length === 1),
    'state event carries the VIPs',
  );
  t.ok(b.m.status()[0].stats.priorityZeroReceived >= 1);
  await b.m.stop();
  t.same([...held], []);
});

t.test('split brain heals to exactly one master', async (t) => {
  const wire = new FakeWire();
  const held = new Set<string>();
  const a = node(wire, '10.0.0.1', { version: 3, advertIntMs: 50, priority: 150 }, held);
  const b = node(wire, '10.0.0.2', { version: 3, advertIntMs: 50, priority: 100 }, held);
  await a.m.start();
  await b.m.start();
  await sleep(500);
  wire.connected = false;
  await sleep(500);
  t.equal(held.size, 2, 'both master while cut');
  wire.connected = true;
  await sleep(400);
  t.same([...held], ['10.0.0.1:192.0.2.100'], 'one holder after the heal');
  await a.m.stop();
  await b.m.stop();
});

t.test('mismatched password and interval are dropped and counted', async (t) => {
  const wire = new FakeWire();
  const held = new Set<string>();
  const a = node(wire, '10.0.0.1', { priority: 255, advertIntMs: 1000, authentication: { type: 'PASS', password: 'secret' } }, held);
  const b = node(wire, '10.0.0.2', { priority: 100, advertIntMs: 1000, authentication: { type: 'PASS', password: 'other' } }, held);
  await a.m.start();
  await b.m.start();
  await sleep(1500);
  t.ok((b.m.status()[0].stats.drops.auth ?? 0) >= 1, 'auth drops counted');
  t.equal(b.m.status()[0].stats.advertsReceived, 0);
  await a.m.stop();
  await b.m.stop();
});

t.test('validate refuses duplicate VRID on one interface and v2 with IPv6', async (t) => {
  const p = validate(
    config([
      instanceSpec(),
      instanceSpec({ name: 'VI_2' }),
      instanceSpec({ name: 'VI_6', vrid: 9, family: 6, version: 2, vips: [{ address: 'fe80::9', family: 6, prefixLen: 64 }] }),
    ]),
  );
  t.match(
    p.filter((x) => x.severity === 'error'),
    [
      { index: 1, keyword: 'virtual_router_id' },
      { index: 2, keyword: 'version' },
    ],
  );
  t.same(validate(config([instanceSpec()])), []);
  await t.rejects(new VrrpManager(config([instanceSpec(), instanceSpec({ name: 'VI_2' })]), { log: () => {} }).start(), /already used/);
});

t.test('sync group: a member FAULT takes the others to FAULT; group notify', async (t) => {
  const wire = new FakeWire();
  const held = new Set<string>();
  const tr = new FakeTransport(wire, '10.0.0.1');
  const cfg = config(
    [instanceSpec({ priority: 255 }), instanceSpec({ name: 'VI_2', vrid: 52, priority: 255, vips: [{ address: '192.0.2.101', family: 4, prefixLen: 32 }] })],
    { syncGroups: [{ name: 'G', instances: ['VI_1', 'VI_2'], trackInterfaces: [], trackScripts: [], notify: {} }] },
  );
  const m = new VrrpManager(cfg, {
    log: () => {},
    transportFactory: () => tr,
    linkPollMs: 1000000,
    deps: {
      readInterface: fakeIface('10.0.0.1'),
      addVips: async (v) => {
        v.forEach((x) => held.add(x.address));
        return [];
      },
      removeVips: async (v) => {
        v.forEach((x) => held.delete(x.address));
        return [];
      },
      sendFrame: () => {},
    },
  });
  await m.start();
  await sleep(50);
  t.same(
    m.status().map((s) => s.state),
    ['MASTER', 'MASTER'],
  );
  const vi1 = (m as unknown as { instanceMap: Map<string, { setFault(r: string, on: boolean): void }> }).instanceMap.get('VI_1')!;
  vi1.setFault('test', true);
  await sleep(50);
  t.same(
    m.status().map((s) => s.state),
    ['FAULT', 'FAULT'],
  );
  t.same([...held], []);
  vi1.setFault('test', false);
  await sleep(50);
  t.same(
    m.status().map((s) => s.state),
    ['MASTER', 'MASTER'],
  );
  await m.stop();
});

t.test('reload: matched by VRID/interface (not name), keeps MASTER, diffs VIPs; removed instances stop', async (t) => {
  const wire = new FakeWire();
  const held = new Set<string>();
  const tr = new FakeTransport(wire, '10.0.0.1');
  const deps = {
    readInterface: fakeIface('10.0.0.1'),
    addVips: async (v: VipSpec[]) => {
      v.forEach((x) => held.add(x.address));
      return [];
    },
    removeVips: async (v: VipSpec[]) => {
      v.forEach((x) => held.delete(x.address));
      return [];
    },
    sendFrame: () => {},
  };
  const events: VrrpStateEvent[] = [];
  const m = new VrrpManager(
    config([
      instanceSpec({ priority: 255 }),
      instanceSpec({ name: 'OLD', vrid: 60, priority: 255, vips: [{ address: '192.0.2.60', family: 4, prefixLen: 32 }] }),
    ]),
    { log: () => {}, transportFactory: () => tr, linkPollMs: 1000000, deps },
  );
  m.on('state', (e) => events.push(e));
  await m.start();
  await sleep(50);
  t.same([...held].sort(), ['192.0.2.100', '192.0.2.60']);
  const before = events.length;
  await m.reload(
    config([
      instanceSpec({
        name: 'RENAMED',
        priority: 255,
        vips: [
          { address: '192.0.2.100', family: 4, prefixLen: 32 },
          { address: '192.0.2.101', family: 4, prefixLen: 32 },
        ],
      }),
    ]),
  );
  await sleep(50);
  t.same(
    m.status().map((s) => [s.name, s.state]),
    [['RENAMED', 'MASTER']],
    'the renamed instance kept its state',
  );
  t.same([...held].sort(), ['192.0.2.100', '192.0.2.101'], 'new VIP added, deleted instance released its VIP');
  t.notOk(
    events.slice(before).some((e) => e.instance === 'RENAMED'),
    'no state change for the matched instance',
  );
  t.ok(
    events.slice(before).some((e) => e.instance === 'OLD' && e.to === 'INIT'),
    'the removed instance stopped',
  );
  await t.rejects(m.reload(config([instanceSpec(), instanceSpec({ name: 'DUP' })])), /already used/, 'an invalid reload is refused');
  t.same(
    m.status().map((s) => s.name),
    ['RENAMED'],
    'the old configuration stays',
  );
  await m.stop();
});

t.test('GARP bursts: garp_master_repeat at MASTER, again after garp_master_delay, then garp_master_refresh', async (t) => {
  const wire = new FakeWire();
  const tr = new FakeTransport(wire, '10.0.0.1');
  const frames: string[] = [];
  const m = new VrrpManager(
    config([
      instanceSpec({
        priority: 255,
        garp: { masterDelayMs: 150, masterRepeat: 2, masterRefreshMs: 400, masterRefreshRepeat: 1, lowerPrioDelayMs: 5000, lowerPrioRepeat: 5, intervalMs: 0 },
      }),
    ]),
    {
      log: () => {},
      transportFactory: () => tr,
      linkPollMs: 1000000,
      deps: {
        readInterface: fakeIface('10.0.0.1'),
        addVips: async () => [],
        removeVips: async () => [],
        sendFrame: (dev) => {
          frames.push(dev);
        },
      },
    },
  );
  await m.start();
  await sleep(80);
  t.equal(frames.length, 2, 'first burst');
  await sleep(200);
  t.equal(frames.length, 4, 'second burst after garp_master_delay');
  await sleep(400);
  t.ok(frames.length >= 5, 'refresh while MASTER');
  await m.stop();
  const n = frames.length;
  await sleep(500);
  t.equal(frames.length, n, 'no GARP after stop');
});

t.test('a failed read of interface state (EMFILE) keeps the last state: never "down", no FAULT', async (t) => {
  const wire = new FakeWire();
  const logs: string[] = [];
  let mode: 'up' | 'emfile' | 'down' = 'up';
  const m = new VrrpManager(config([instanceSpec({ version: 3, advertIntMs: 50, priority: 200 })]), {
    log: (l) => logs.push(l),
    transportFactory: () => new FakeTransport(wire, '10.0.0.1'),
    linkPollMs: 20,
    readOperUp: async () => {
      if (mode === 'emfile') throw Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
      return mode === 'up';
    },
    deps: { readInterface: fakeIface('10.0.0.1'), addVips: async () => [], removeVips: async () => [], sendFrame: () => {} },
  });
  await m.start();
  await sleep(300);
  t.equal(m.status()[0].state, 'MASTER');
  mode = 'emfile';
  await sleep(300);
  t.equal(m.status()[0].state, 'MASTER', 'still MASTER while the state cannot be read');
  t.same(m.status()[0].faults, []);
  t.equal(logs.filter((l) => /cannot read the state of interface/.test(l)).length, 1, 'logged once');
  mode = 'down';
  await sleep(300);
  t.equal(m.status()[0].state, 'FAULT', 'a real down still faults');
  await m.stop();
});
