// IPVS connection semantics with a fake clock: timeouts, reuse, expiry, persistence (netmask, fwmark),
// thresholds, quiescent templates, expire_nodest_conn, one-packet scheduling, sloppy_tcp, no dest.
import t from 'tap';
import { Harness, svc, fwmarkSvc, SYN, ACK, FINACK } from './harness.js';
import { ConnStatus } from '../../src/table/ipvs-core.js';

const VIP = '10.0.0.100';
const A = '192.168.1.10';
const B = '192.168.1.11';
const two = (extra = {}, rs: Array<Record<string, unknown>> = [{ address: A }, { address: B }]) => [svc('tcp', VIP, 80, 'rr', rs as never, extra)];

t.test('timeouts: SYN_RECV 60 s, ESTABLISHED 900 s (or --set tcp), FIN_WAIT (tcpfin), lazy expiry', async (t) => {
  const h = new Harness();
  h.load(two());
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  t.equal(h.conn('1.1.1.1', 1, 0)?.expiresMs, 60_000);
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 59_999), ConnStatus.Hit, 'alive just before 60 s');
  t.equal(h.conn('1.1.1.1', 1, 59_999)?.expiresMs, 900_000);
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 59_999 + 900_000), ConnStatus.NoConn, 'expired at exactly 900 s: ACK finds nothing');
  t.same(h.counts(B), [0, 0, 0], 'expiry uncounts the connection');
  h.load(two(), {}, { tcpS: 100, tcpFinS: 7, udpS: 30 });
  h.inp(6, '1.1.1.2', 1, VIP, 80, SYN, 0);
  h.inp(6, '1.1.1.2', 1, VIP, 80, ACK, 1);
  t.equal(h.conn('1.1.1.2', 1, 1)?.expiresMs, 100_000, '--set tcp 100');
  h.inp(6, '1.1.1.2', 1, VIP, 80, FINACK, 2);
  t.equal(h.conn('1.1.1.2', 1, 2)?.state, 'FIN_WAIT');
  t.equal(h.conn('1.1.1.2', 1, 2)?.expiresMs, 7000, '--set tcpfin 7');
});

t.test('UDP: single state, 300 s default, --set udp, always inactive', async (t) => {
  const h = new Harness();
  h.load([svc('udp', VIP, 53, 'rr', [{ address: A }])]);
  t.equal(h.inp(17, '1.1.1.1', 9, VIP, 53, 0, 0), ConnStatus.Hit);
  const c = h.conn('1.1.1.1', 9, 0)!;
  t.equal(c.state, 'UDP');
  t.equal(c.expiresMs, 300_000);
  t.same(h.counts(A), [0, 1, 0]);
  h.inp(17, '1.1.1.1', 9, VIP, 53, 0, 200_000);
  t.equal(h.conn('1.1.1.1', 9, 200_000)?.expiresMs, 300_000, 'every packet re-arms');
  h.load([svc('udp', VIP, 53, 'rr', [{ address: A }])], {}, { tcpS: 0, tcpFinS: 0, udpS: 5 });
  h.inp(17, '1.1.1.2', 9, VIP, 53, 0, 0);
  t.equal(h.conn('1.1.1.2', 9, 0)?.expiresMs, 5000);
});

t.test('only SYN creates TCP connections unless sloppy_tcp; RST never', async (t) => {
  const h = new Harness();
  h.load(two());
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 0), ConnStatus.NoConn);
  t.equal(h.inp(6, '1.1.1.1', 1, '10.0.0.99', 80, SYN, 0), ConnStatus.NotOurs, 'no such service');
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 81, SYN, 0), ConnStatus.NotOurs, 'wrong port');
  h.load(two(), { sloppyTcp: true });
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 0), ConnStatus.Hit, 'sloppy: mid-stream ACK creates');
  t.equal(h.conn('1.1.1.1', 1, 0)?.state, 'ESTABLISHED');
  t.equal(h.inp(6, '1.1.1.1', 2, VIP, 80, 0x04, 0), ConnStatus.NoConn, 'RST never creates');
});

t.test('conn_reuse_mode: SYN on TIME_WAIT/CLOSE reschedules; not on ESTABLISHED; mode 0 keeps', async (t) => {
  const h = new Harness();
  h.load(two());
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  t.equal(h.chosen(), B);
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 1);
  t.equal(h.chosen(), B, 'SYN on SYN_RECV keeps the connection');
  h.inp(6, '9.9.9.9', 1, VIP, 80, SYN, 2); // moves rr to A... and next is B
  h.inp(6, '1.1.1.1', 1, VIP, 80, 0x01, 3); // FIN (DR: input-only fin SR -> TW)
  t.equal(h.conn('1.1.1.1', 1, 3)?.state, 'TIME_WAIT');
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 4), ConnStatus.Hit);
  t.ok(h.r.created, 'rescheduled: a new connection');
  t.equal(h.conn('1.1.1.1', 1, 4)?.state, 'SYN_RECV');
  t.equal(h.conns(4).filter((c) => c.client === '1.1.1.1').length, 1, 'old entry expired');
  const h0 = new Harness();
  h0.load(two(), { connReuseMode: 0 });
  h0.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  h0.inp(6, '1.1.1.1', 1, VIP, 80, 0x01, 1);
  h0.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 2);
  t.notOk(h0.r.created, 'mode 0: SYN reuses the TIME_WAIT entry');
  t.equal(h0.conn('1.1.1.1', 1, 2)?.state, 'SYN_RECV');
  // bit 2: FIN_WAIT on DR also reschedules.
  const h2 = new Harness();
  h2.load(two(), { connReuseMode: 3 });
  h2.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  h2.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 1);
  h2.inp(6, '1.1.1.1', 1, VIP, 80, FINACK, 2);
  t.equal(h2.conn('1.1.1.1', 1, 2)?.state, 'FIN_WAIT');
  h2.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 3);
  t.ok(h2.r.created, 'mode 3: SYN on DR FIN_WAIT reschedules');
});

t.test('expire_nodest_conn: deleted dest drops (0) or expires and reschedules (1)', async (t) => {
  const h = new Harness();
  h.load(two());
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  t.equal(h.chosen(), B);
  h.load(two({}, [{ address: A }]));
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 1), ConnStatus.DestGone, 'silently dropped');
  t.equal(h.conns(1).filter((c) => !c.template).length, 1, 'entry kept (dest may come back)');
  h.load(two());
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 2), ConnStatus.Hit, 're-added dest: flow continues');
  t.equal(h.chosen(), B);
  h.load(two({}, [{ address: A }]), { expireNodestConn: true });
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 3), ConnStatus.Hit);
  t.equal(h.chosen(), A, 'expired and rescheduled to a live dest');
  // weight 0 + SYN with expire_nodest_conn -> reschedule.
  const h2 = new Harness();
  h2.load(two());
  h2.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  h2.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 1);
  h2.load(two({}, [{ address: A }, { address: B, weight: 0 }]), { expireNodestConn: true });
  t.equal(h2.inp(6, '1.1.1.1', 1, VIP, 80, ACK, 2), ConnStatus.Hit);
  t.equal(h2.chosen(), B, 'non-SYN keeps going to the quiesced dest');
  h2.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 3);
  t.equal(h2.chosen(), A, 'SYN on a weight-0 dest is rescheduled');
});

t.test('no eligible dest -> NoDest; one-packet UDP creates no entry', async (t) => {
  const h = new Harness();
  h.load(two({}, [{ address: A, weight: 0 }]));
  t.equal(h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0), ConnStatus.NoDest);
  h.load([svc('udp', VIP, 53, 'rr', [{ address: A }, { address: B }], { onePacket: true })]);
  h.inp(17, '1.1.1.1', 9, VIP, 53, 0, 0);
  const first = h.chosen();
  h.inp(17, '1.1.1.1', 9, VIP, 53, 0, 1);
  t.not(h.chosen(), first, 'each datagram scheduled on its own');
  t.equal(h.conns(1).length, 0, 'no entry');
  t.same(h.counts(A), [0, 0, 0]);
  t.equal(h.state.stats.destTotals(h.slot(A)).conns + h.state.stats.destTotals(h.slot(B)).conns, 2, 'counted as conns');
});

t.test('thresholds: OVERLOAD at -x on bind, cleared on unbind below -y (or 3/4 of -x)', async (t) => {
  const h = new Harness();
  h.load(two({}, [{ address: A }, { address: B, x: 2, y: 1 }]));
  let now = 0;
  const picks: string[] = [];
  for (let i = 0; i < 6; i++) {
    h.inp(6, '1.1.1.1', 100 + i, VIP, 80, SYN, now++);
    picks.push(h.chosen());
  }
  t.same(picks, [B, A, B, A, A, A], 'B overloaded after its 2nd connection');
  t.ok(h.state.stats.overloaded(h.slot(B)));
  h.inp(6, '1.1.1.1', 100, VIP, 80, ACK, now++);
  h.inp(6, '1.1.1.1', 100, VIP, 80, 0x04, now++); // RST -> CLOSE (10 s), counted inactive until it expires
  h.state.core.expireAll(now + 20_000);
  t.equal(h.counts(B)[0] + h.counts(B)[1], 1);
  t.ok(h.state.stats.overloaded(h.slot(B)), 'total 1 is not < lower threshold 1');
  h.state.core.expireAll(now + 100_000);
  t.notOk(h.state.stats.overloaded(h.slot(B)), 'cleared when total < -y');
  // Without -y: cleared when total*4 < x*3.
  const h2 = new Harness();
  h2.load(two({}, [{ address: B, x: 4 }]));
  for (let i = 0; i < 4; i++) h2.inp(6, '1.1.1.1', 100 + i, VIP, 80, SYN, i);
  t.ok(h2.state.stats.overloaded(h2.slot(B)));
  t.equal(h2.inp(6, '1.1.1.1', 200, VIP, 80, SYN, 5), ConnStatus.NoDest, 'the only dest is overloaded');
  h2.inp(6, '1.1.1.1', 100, VIP, 80, ACK, 6);
  h2.inp(6, '1.1.1.1', 100, VIP, 80, 0x04, 6);
  h2.state.core.expireAll(6 + 10_000);
  t.ok(h2.state.stats.overloaded(h2.slot(B)), '3*4 = 12 is not < 12');
  h2.inp(6, '1.1.1.1', 101, VIP, 80, ACK, 20_000);
  h2.inp(6, '1.1.1.1', 101, VIP, 80, 0x04, 20_000);
  h2.state.core.expireAll(40_000);
  t.notOk(h2.state.stats.overloaded(h2.slot(B)), '2*4 < 12');
});

t.test('persistence: template per client (netmask), re-armed, never expiring while controlling', async (t) => {
  const h = new Harness();
  h.load(two({ persistenceTimeoutS: 300, netmask: '255.255.255.0' }));
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  const first = h.chosen();
  h.inp(6, '1.1.1.1', 2, VIP, 80, SYN, 1);
  t.equal(h.chosen(), first, 'same client, new port: same real server');
  h.inp(6, '1.1.1.77', 3, VIP, 80, SYN, 2);
  t.equal(h.chosen(), first, 'same /24: same real server');
  h.inp(6, '1.1.2.1', 3, VIP, 80, SYN, 3);
  t.not(h.chosen(), first, 'other /24: scheduled');
  const tpl = h.conns(3).filter((c) => c.template);
  t.equal(tpl.length, 2);
  const t1 = tpl.find((c) => c.client === '1.1.1.0')!;
  t.match(t1, { protocol: 'TCP', clientPort: 0, virtual: VIP, virtualPort: 80, state: 'NONE', expiresMs: 300_000 - 1 });
  t.same(h.counts(first)[2], 1, 'persistconns');
  // Conns expire (SYN_RECV 60 s); the template lives to 300 s after its last use.
  h.state.core.expireAll(299_000);
  t.equal(h.conns(299_000).filter((c) => !c.template).length, 0);
  t.equal(h.conns(299_000).filter((c) => c.template).length, 2);
  h.state.core.expireAll(302_100);
  t.equal(h.conns(302_100).length, 0, 'templates expired');
  t.same(h.counts(first), [0, 0, 0]);
  // A template that controls a live connection is re-armed for 60 s instead of expiring.
  h.inp(6, '1.1.1.1', 5, VIP, 80, SYN, 400_000);
  h.inp(6, '1.1.1.1', 5, VIP, 80, ACK, 400_001); // ESTABLISHED 900 s
  h.state.core.expireAll(700_002);
  const kept = h.conns(700_002).find((c) => c.template)!;
  t.ok(kept, 'template kept while controlling');
  t.equal(kept.expiresMs, 60_000);
  h.inp(6, '1.1.1.1', 5, VIP, 80, 0x04, 700_003); // RST -> CLOSE 10 s
  h.state.core.expireAll(710_004);
  h.state.core.expireAll(760_003);
  t.equal(h.conns(760_003).length, 0, 'expires once nothing is controlled');
});

t.test('fwmark persistence: one IP template <IPPROTO_IP, caddr, 0, fwmark, 0> covers all ports', async (t) => {
  const h = new Harness();
  h.load([
    fwmarkSvc(
      7,
      'rr',
      [
        { address: A, port: 0 },
        { address: B, port: 0 },
      ],
      { persistenceTimeoutS: 60 },
    ),
  ]);
  t.equal(h.inp(6, '1.1.1.1', 1, '10.9.9.9', 443, SYN, 0, 7), ConnStatus.Hit);
  const d = h.chosen();
  t.equal(h.r.dport, 443, 'port 0 dest keeps the packet port');
  h.inp(17, '1.1.1.1', 2, '10.9.9.9', 53, 0, 1, 7);
  t.equal(h.chosen(), d, 'UDP in the same mark follows the template');
  h.inp(6, '1.1.1.1', 3, '10.9.9.8', 80, SYN, 2, 7);
  t.equal(h.chosen(), d);
  const tpl = h.conns(2).filter((c) => c.template);
  t.equal(tpl.length, 1);
  t.match(tpl[0], { protocol: 'IP', fwmark: 7, virtualPort: 0, clientPort: 0 });
  t.equal(h.inp(6, '1.1.1.1', 4, '10.9.9.9', 443, SYN, 3, 0), ConnStatus.NotOurs, 'no mark: not ours');
});

t.test('expire_quiescent_template: weight 0 invalidates templates only when set', async (t) => {
  for (const eqt of [false, true]) {
    const h = new Harness();
    h.load(two({ persistenceTimeoutS: 300 }));
    h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
    const first = h.chosen();
    const other = first === A ? B : A;
    h.load(
      two({ persistenceTimeoutS: 300 }, [
        { address: A, weight: first === A ? 0 : 1 },
        { address: B, weight: first === B ? 0 : 1 },
      ]),
      { expireQuiescentTemplate: eqt },
    );
    h.inp(6, '1.1.1.1', 2, VIP, 80, SYN, 1);
    t.equal(h.chosen(), eqt ? other : first, `expire_quiescent_template=${eqt}`);
    if (eqt) {
      t.equal(h.conns(1).filter((c) => c.template).length, 2, 'old template unhashed but alive while it controls conn 1');
      h.state.core.expireAll(400_000); // conns go; templates seen while still controlling are re-armed 60 s
      h.state.core.expireAll(460_001);
      t.equal(h.conns(460_001).length, 0, 'and freed afterwards');
      t.same(h.counts(first), [0, 0, 0]);
    }
  }
});

t.test('NAT replies: out lookup, OUTPUT transitions, stats in/out', async (t) => {
  const h = new Harness();
  h.load(two({}, [{ address: A, forward: 'nat', port: 8080 }]));
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  t.equal(h.r.dport, 8080);
  t.equal(h.out(6, A, 8080, '1.1.1.1', 1, 0x12, 1), ConnStatus.Hit);
  t.equal(h.r.vport, 80, 'reply SNAT back to VIP:80');
  t.equal(h.out(6, A, 80, '1.1.1.1', 1, 0x12, 1), ConnStatus.NotOurs, 'wrong source port');
  const s = h.state.stats.destTotals(h.slot(A));
  t.match(s, { conns: 1, inPkts: 1, outPkts: 1 });
  t.match(h.state.stats.serviceTotals(h.snap.services[0]!.slot), { conns: 1, inPkts: 1, outPkts: 1 });
});

t.test('dest slots and counters are stable across reloads', async (t) => {
  const h = new Harness();
  h.load(two());
  const slotA = h.slot(A);
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  h.inp(6, '1.1.1.2', 1, VIP, 80, SYN, 0);
  h.load(two({}, [{ address: A, weight: 5 }, { address: B }, { address: '192.168.1.12' }]));
  t.equal(h.slot(A), slotA);
  t.same(h.counts(A), [1, 0, 0]);
  t.equal(h.state.stats.destTotals(slotA).conns, 1);
  t.same(
    h.snap.services[0]!.dests.map((d) => d.spec.address),
    ['192.168.1.12', B, A],
    'new dest at the head, others keep their place',
  );
});

t.test('drop_packet mode 3 drops 1 in am_droprate new connections', async (t) => {
  const h = new Harness();
  h.load(two(), { dropPacket: 3, amDroprate: 4 });
  let dropped = 0;
  for (let i = 0; i < 40; i++) if (h.inp(6, '1.1.1.1', 100 + i, VIP, 80, SYN, i) === ConnStatus.Defence) dropped++;
  t.equal(dropped, 10);
});

t.test('expire_nodest_conn=1: the sweep flushes connections of a deleted real server', async (t) => {
  const h = new Harness();
  h.load(two());
  h.inp(6, '1.1.1.1', 1, VIP, 80, SYN, 0);
  h.inp(6, '1.1.1.2', 1, VIP, 80, SYN, 0);
  h.load(two({}, [{ address: A }]), { expireNodestConn: true });
  t.equal(h.state.core.sweep(1, 1000), 1, 'one connection (on B) flushed');
  t.same(
    h.conns(1).map((c) => c.dest),
    [A],
  );
});

t.test('ECMP rehash: with sloppy_tcp and mh, a director that never saw a flow picks the real server the first one picked', async (t) => {
  // Two directors with the same rules (mh + mh-port, DR): flows start on d1 with a SYN; after a rehash
  // their mid-flow ACKs land on d2, which schedules them by the hash (ESTABLISHED, 900 s) as the kernel
  // does with net.ipv4.vs.sloppy_tcp=1; without it d2 drops them (NoConn).
  const rs = [{ address: A }, { address: B }, { address: '192.168.1.12' }];
  const rules = [svc('tcp', VIP, 80, 'mh', rs, { schedFlags: ['mh-port'] })];
  const d1 = new Harness();
  d1.load(rules);
  const strict = new Harness();
  strict.load(rules);
  const d2 = new Harness();
  d2.load(rules, { sloppyTcp: true });
  const picked = new Map<number, string>();
  for (let port = 1000; port < 1200; port++) {
    d1.inp(6, '1.1.1.1', port, VIP, 80, SYN, 0);
    picked.set(port, d1.chosen());
  }
  t.equal(new Set(picked.values()).size, 3, 'd1 spreads the flows over the three real servers (mh-port)');
  let same = 0;
  let dropped = 0;
  for (let port = 1000; port < 1200; port++) {
    if (strict.inp(6, '1.1.1.1', port, VIP, 80, ACK, 10) === ConnStatus.NoConn) dropped++;
    t.equal(d2.inp(6, '1.1.1.1', port, VIP, 80, ACK, 10), ConnStatus.Hit);
    if (d2.chosen() === picked.get(port)) same++;
  }
  t.equal(same, 200, 'every moved flow keeps its real server');
  t.equal(dropped, 200, 'without sloppy_tcp every moved flow is dropped');
  t.equal(d2.conn('1.1.1.1', 1000, 10)?.state, 'ESTABLISHED', 'a sloppy connection starts ESTABLISHED (tcp_states: INPUT ack from NONE)');
});
