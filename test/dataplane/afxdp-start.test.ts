import t from 'tap';
import { AFXDP_COALESCE_US_DEFAULT, afxdpWorkerSpec, fallbackSentence, startAfxdpOrFallback } from '../../src/dataplane/afxdp-start.js';
import { IoError, XskUnavailableError } from '../../src/io/types.js';
import type { XskRedirect } from '../../src/io/xsk-redirect.js';

t.test('AF_XDP unavailable: one sentence, then afpacket', async (t) => {
  const said: string[] = [];
  const tried: string[] = [];
  const got = await startAfxdpOrFallback(
    async (backend) => {
      tried.push(backend);
      if (backend === 'afxdp') throw new XskUnavailableError('XDP_UMEM_REG failed (No buffer space available)');
      return backend;
    },
    (s) => said.push(s),
  );
  t.equal(got, 'afpacket');
  t.same(tried, ['afxdp', 'afpacket']);
  t.same(said, ['AF_XDP is unavailable here (XDP_UMEM_REG failed (No buffer space available)): using the afpacket backend']);
});

t.test('any other AF_XDP error fails the start: no fallback, nothing said', async (t) => {
  const said: string[] = [];
  const tried: string[] = [];
  await t.rejects(
    startAfxdpOrFallback(
      async (backend) => {
        tried.push(backend);
        throw new IoError('xskOpen: at most 16 sockets (interfaces x queues) per worker: use more workers');
      },
      (s) => said.push(s),
    ),
    /use more workers/,
  );
  t.same(tried, ['afxdp']);
  t.same(said, []);
});

t.test('afxdp works: started once, nothing said', async (t) => {
  const said: string[] = [];
  t.equal(
    await startAfxdpOrFallback(
      async (b) => b,
      (s) => said.push(s),
    ),
    'afxdp',
  );
  t.same(said, []);
});

t.test('worker i owns the queues q with q % workers === i', async (t) => {
  const redirect = { interfaces: [{ ifname: 'eth0', ifindex: 2, mapFd: 9, queues: 3, mode: 'native', link: 4 }] } as unknown as XskRedirect;
  t.same(afxdpWorkerSpec(redirect, 2, 0).interfaces[0]!.queues, [0, 2]);
  t.same(afxdpWorkerSpec(redirect, 2, 1).interfaces[0]!.queues, [1]);
  t.same(afxdpWorkerSpec(undefined, 2, 0, 0), { kind: 'afxdp', interfaces: [] });
  t.match(fallbackSentence(new Error('x')), /^AF_XDP is unavailable here \(x\): using the afpacket backend$/);
});

t.test('moderation is on by default (250 µs); --afxdp-coalesce-us 0 turns it off, N sets it', async (t) => {
  t.equal(AFXDP_COALESCE_US_DEFAULT, 250);
  t.equal(afxdpWorkerSpec(undefined, 1, 0).coalesceUs, 250, 'not given: the default');
  t.equal(afxdpWorkerSpec(undefined, 1, 0, undefined).coalesceUs, 250, 'undefined (no flag): the default');
  t.notOk('coalesceUs' in afxdpWorkerSpec(undefined, 1, 0, 0), '0: off, nothing passed to the native side');
  t.equal(afxdpWorkerSpec(undefined, 1, 0, 1000).coalesceUs, 1000);
});
