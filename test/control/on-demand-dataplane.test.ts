// A file without a virtual server: the data plane starts with the first published virtual service, gets
// the VIPs VRRP owns, and a start that fails leaves nothing behind and is tried again on the next publish.
import t from 'tap';
import { OnDemandDataPlane } from '../../src/control/on-demand-dataplane.js';
import { NullDataPlane, type DataPlanePort } from '../../src/control/ports.js';
import type { IpvsRules } from '../../src/ipvs/types.js';

const timeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 };
const empty: IpvsRules = { services: [], timeouts };
const one = {
  services: [{ key: { kind: 'addr', protocol: 'tcp', family: 4, address: '192.0.2.1', port: 80 }, scheduler: 'rr', realServers: [] }],
  timeouts,
} as unknown as IpvsRules;

/** A data plane that records what it was given; `failFirst` makes its first publish throw. */
function recorder(failFirst = false): { dp: DataPlanePort; published: IpvsRules[]; foreign: string[][]; stopped: () => number } {
  const published: IpvsRules[] = [];
  const foreign: string[][] = [];
  let stops = 0;
  let fails = failFirst ? 1 : 0;
  const dp = Object.assign(new NullDataPlane(), {
    description: 'fake',
    async publish(r: IpvsRules) {
      if (fails-- > 0) throw new Error('cannot start');
      published.push(r);
    },
    setForeignAddresses(a: string[]) {
      foreign.push(a);
    },
    async stop() {
      stops++;
    },
  });
  return { dp, published, foreign, stopped: () => stops };
}

t.test('nothing until the first virtual service, then the real data plane for it', async (t) => {
  const made: string[][] = [];
  const r = recorder();
  const od = new OnDemandDataPlane(async (services) => {
    made.push(services.map((s) => (s.key.kind === 'addr' ? s.key.address : '')));
    return r.dp;
  }, 'none until a virtual server is added (then nfqueue)');
  od.setForeignAddresses(['192.0.2.1']);
  await od.publish(empty);
  t.same(made, [], 'an empty rule set starts nothing');
  t.match(od.description, /^none until/);
  await od.publish(one);
  t.same(made, [['192.0.2.1']], 'made once, for the first services');
  t.same(r.published, [one], 'and given the rules');
  t.same(r.foreign, [['192.0.2.1']], "VRRP's VIPs handed over before the first publish");
  t.equal(od.description, 'fake');
  await od.publish(empty);
  t.equal(made.length, 1, 'not made again');
  t.same(r.published, [one, empty], 'later publishes go to it, empty ones too');
});

t.test('a start that fails throws, is stopped, and is tried again', async (t) => {
  let n = 0;
  const first = recorder(true);
  const second = recorder();
  const od = new OnDemandDataPlane(async () => (n++ === 0 ? first.dp : second.dp), 'none');
  await t.rejects(od.publish(one), /cannot start/);
  t.equal(first.stopped(), 1, 'the failed one was stopped');
  await od.publish(one);
  t.equal(n, 2, 'made again on the next publish');
  t.same(second.published, [one]);
});
