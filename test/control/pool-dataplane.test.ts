// The daemon's pool-backed data plane refuses what its backend cannot do before it starts anything:
// a fwmark service on AF_PACKET rejects publish() with the one sentence, and no worker pool exists.
import t from 'tap';
import { PoolDataPlane } from '../../src/control/pool-dataplane.js';
import { parseRulesText } from '../../src/ipvs/rules-text.js';

t.test('fwmark on AF_PACKET is refused before any worker starts', async (t) => {
  const logs: string[] = [];
  const dp = new PoolDataPlane({ backend: 'afpacket', workers: 1, interfaces: ['lo'], log: (l) => logs.push(l) });
  const rules = parseRulesText('-A -f 7 -s rr\n-a -f 7 -r 198.18.0.21:0 -g -w 1\n', 'fwmark.rules');
  await t.rejects(dp.publish(rules), /fwmark service 7 needs --backend nfqueue/);
  t.equal((dp as unknown as { pool?: unknown }).pool, undefined, 'no worker pool was started');
  t.same(logs, [], 'nothing was logged');
});
