import t from 'tap';
import { NEIGH_MISS_SLOTS, NeighbourMisses } from '../../src/dataplane/neigh-misses.js';
import { formatAddrWords, parseAddrWords } from '../../src/table/addr.js';

const words = (a: string): Int32Array => {
  const w = new Int32Array(4);
  parseAddrWords(a, w);
  return w;
};

t.test('records each unresolved next hop once per batch, both families', async (t) => {
  const m = new NeighbourMisses();
  m.add(false, words('198.18.0.12'));
  m.add(false, words('198.18.0.12'));
  m.add(true, words('fd75:6c76::12'));
  m.add(true, words('fd75:6c76::12'));
  m.add(false, words('198.18.0.13'));
  t.equal(m.count, 3);
  const got = Array.from({ length: m.count }, (_, s) => formatAddrWords(m.words.subarray(s * 4, s * 4 + 4), m.v6[s] ? 6 : 4));
  t.same(got, ['198.18.0.12', 'fd75:6c76::12', '198.18.0.13']);
  m.clear();
  t.equal(m.count, 0, 'cleared after the worker read them');
});

t.test('an IPv4 miss ignores the unused words; a full record keeps its first entries', async (t) => {
  const m = new NeighbourMisses();
  const a = words('10.0.0.1');
  a[1] = 99; // stale scratch beyond word 0 must not matter for IPv4
  m.add(false, a);
  m.add(false, words('10.0.0.1'));
  t.equal(m.count, 1);
  for (let i = 0; i < NEIGH_MISS_SLOTS + 4; i++) m.add(false, words(`10.0.1.${i}`));
  t.equal(m.count, NEIGH_MISS_SLOTS, 'bounded');
  t.equal(formatAddrWords(m.words.subarray(4, 8), 4), '10.0.1.0');
});
