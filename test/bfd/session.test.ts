import t from 'tap';
import { BfdState, BfdDiag, type BfdControl } from '../../src/bfd/packet.js';
import { BfdSession, type BfdTimers } from '../../src/bfd/session.js';

const timers: BfdTimers = { minRxMs: 10, minTxMs: 10, idleTxMs: 1000, multiplier: 5, passive: false };
const peer = (state: BfdState, yourDisc: number, over: Partial<BfdControl> = {}): BfdControl => ({
  diag: 0,
  state,
  poll: false,
  final: false,
  cpi: false,
  demand: false,
  detectMult: 3,
  myDisc: 77,
  yourDisc,
  desiredMinTxUs: 300000,
  requiredMinRxUs: 300000,
  requiredMinEchoRxUs: 0,
  ...over,
});

t.test('three-way handshake: Down -> Init -> Up, then a poll sequence for the faster timers', async (t) => {
  const s = new BfdSession(5, timers);
  t.equal(s.state, BfdState.Down);
  t.equal(s.txIntervalMs(), 1000, 'idle_tx while Down');
  t.equal(s.next().yourDisc, 0);
  let r = s.receive(peer(BfdState.Down, 0), 0);
  t.ok(r.stateChanged);
  t.equal(s.state, BfdState.Init);
  t.equal(s.next().yourDisc, 77, 'learned the remote discriminator');
  r = s.receive(peer(BfdState.Up, 5), 100);
  t.equal(s.state, BfdState.Up);
  t.ok(s.polling, 'timer change starts a poll sequence');
  const p = s.next();
  t.ok(p.poll);
  t.equal(p.desiredMinTxUs, 10000, 'min_tx once Up');
  t.equal(s.txIntervalMs(), 300, 'agreed interval: max(our tx, their rx)');
  t.equal(s.detectTimeMs(), 900, 'detection time: remote multiplier × max(our rx, their tx)');
  s.receive(peer(BfdState.Up, 5, { final: true }), 200);
  t.notOk(s.polling, 'Final ends the poll');
  t.notOk(s.next().poll);
});

t.test('Down -> Up directly when the remote is already Init', async (t) => {
  const s = new BfdSession(5, timers);
  s.receive(peer(BfdState.Init, 5), 0);
  t.equal(s.state, BfdState.Up);
});

t.test('remote Poll is answered with a Final and no Poll', async (t) => {
  const s = new BfdSession(5, timers);
  s.receive(peer(BfdState.Init, 5), 0);
  const r = s.receive(peer(BfdState.Up, 5, { poll: true }), 10);
  t.ok(r.sendNow);
  const p = s.next();
  t.ok(p.final);
  t.notOk(p.poll);
  t.notOk(s.next().final, 'only once');
});

t.test('remote Down or AdminDown takes an Up session Down with diag 3', async (t) => {
  for (const st of [BfdState.Down, BfdState.AdminDown]) {
    const s = new BfdSession(5, timers);
    s.receive(peer(BfdState.Init, 5), 0);
    const r = s.receive(peer(st, 5), 10);
    t.ok(r.stateChanged);
    t.equal(s.state, BfdState.Down);
    t.equal(s.diag, BfdDiag.NeighborDown);
  }
});

t.test('detection time expiry takes Up Down with diag 1 and forgets the remote', async (t) => {
  const s = new BfdSession(5, timers);
  s.receive(peer(BfdState.Init, 5), 1000);
  t.notOk(s.expire(1899).stateChanged, 'not yet');
  t.equal(s.state, BfdState.Up);
  t.ok(s.expire(1900).stateChanged);
  t.equal(s.state, BfdState.Down);
  t.equal(s.diag, BfdDiag.DetectExpired);
  t.equal(s.remoteDisc, 0);
  t.equal(s.txIntervalMs(), 1000, 'back to idle_tx');
});

t.test('passive sends nothing until the remote is heard', async (t) => {
  const s = new BfdSession(5, { ...timers, passive: true });
  t.equal(s.txIntervalMs(), 0);
  s.receive(peer(BfdState.Down, 0), 0);
  t.equal(s.txIntervalMs(), 1000);
});

t.test('a remote asking for no packets (required min rx 0) gets none', async (t) => {
  const s = new BfdSession(5, timers);
  s.receive(peer(BfdState.Down, 0, { requiredMinRxUs: 0 }), 0);
  t.equal(s.txIntervalMs(), 0);
});

t.test('AdminDown ignores the remote', async (t) => {
  const s = new BfdSession(5, timers);
  s.setAdminDown(true);
  s.receive(peer(BfdState.Init, 5), 0);
  t.equal(s.state, BfdState.AdminDown);
  t.equal(s.next().diag, BfdDiag.AdminDown);
});
