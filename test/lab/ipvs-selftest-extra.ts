/**
 * Cases in the style of ipvs.sh beyond its three: UDP, wrr weights, persistence, `ulvsadm -L -n -c` and
 * `ulvsadm -C`, each in fresh selftest namespaces (NAT over IPv4, the director started as a user would).
 */
import t from 'tap';
import { ADDR, ep, PORT, Selftest, todoOn, type Backend } from './ipvs-selftest.js';

/** NAT with the selftest's real server (and `rip2` on the same host when `two`); the daemon running, no service yet. */
async function natBed(backend: Backend, two = false): Promise<Selftest> {
  const s = await Selftest.up(backend, 4);
  await s.routeVipViaDirector();
  await s.exec(s.ns1, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await s.realServerForNat();
  if (two) await s.ok(s.ns2, ['ip', 'addr', 'add', `${s.a.rip2}/24`, 'dev', 'veth21']);
  await s.startDaemon();
  await s.vipOnDirector();
  return s;
}

/** Asks the VIP `n` times; the answers (real-server names, '' for a failure). */
async function askN(s: Selftest, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await s.ask());
  return out;
}

function count(xs: string[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const x of xs) c[x] = (c[x] ?? 0) + 1;
  return c;
}

/** Registers the extra cases for `backend` (skipped with a reason when not root). */
export function selftestExtras(backend: Backend): void {
  t.test(`ipvs.sh-style extras on ${backend}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    const vs = ep(ADDR[4].vip);
    await t.test('UDP (NAT)', { todo: todoOn(backend, 'udp') }, async (t) => {
      const s = await natBed(backend);
      t.teardown(() => s.down());
      await s.adm(['-A', '-u', vs, '-s', 'rr']);
      await s.adm(['-a', '-m', '-u', vs, '-r', ep(s.a.rip, PORT)]);
      const r = await s.testService('udp');
      t.ok(r.same, "cmp: the server received exactly the client's 32-byte datagram");
    });

    await t.test('wrr weights 3:1', { todo: todoOn(backend, 'wrr') }, async (t) => {
      const s = await natBed(backend, true);
      t.teardown(() => s.down());
      s.answerAs(s.a.rip, 'rs1');
      s.answerAs(s.a.rip2, 'rs2');
      await s.adm(['-A', '-t', vs, '-s', 'wrr']);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip), '-w', '3']);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip2), '-w', '1']);
      await new Promise((r) => setTimeout(r, 300));
      t.same(count(await askN(s, 8)), { rs1: 6, rs2: 2 }, 'eight connections split 6:2 by weight');
    });

    await t.test('persistence', { todo: todoOn(backend, 'persistence') }, async (t) => {
      const s = await natBed(backend, true);
      t.teardown(() => s.down());
      s.answerAs(s.a.rip, 'rs1');
      s.answerAs(s.a.rip2, 'rs2');
      await s.adm(['-A', '-t', vs, '-s', 'rr', '-p', '60']);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip)]);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip2)]);
      await new Promise((r) => setTimeout(r, 300));
      const answers = await askN(s, 6);
      t.ok(answers[0] !== '' && answers.every((a) => a === answers[0]), `every connection of the client went to one real server (${answers.join(',')})`);
      const listing = await s.adm(['-L', '-n']);
      t.match(listing, /persistent 60/, '-L -n shows the persistence timeout');
    });

    await t.test('ulvsadm -L -n -c', { todo: todoOn(backend, 'conns') }, async (t) => {
      const s = await natBed(backend);
      t.teardown(() => s.down());
      await s.adm(['-A', '-t', vs, '-s', 'rr']);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip)]);
      const r = await s.testService();
      t.ok(r.same, 'cmp: data through the VIP');
      const conns = await s.adm(['-L', '-n', '-c']);
      t.match(conns, /^pro\s+expire\s+state\s+source\s+virtual\s+destination/m, "ipvsadm's header");
      t.match(
        conns,
        new RegExp(
          `^TCP\\s+\\d\\d:\\d\\d\\s+\\w+\\s+${s.a.cip.replace(/\./g, '\\.')}:\\d+\\s+${s.a.vip.replace(/\./g, '\\.')}:${PORT}\\s+${s.a.rip.replace(/\./g, '\\.')}:${PORT}$`,
          'm',
        ),
        'the connection: client -> VIP -> real server',
      );
    });

    await t.test('ulvsadm -C', { todo: todoOn(backend, 'clear') }, async (t) => {
      const s = await natBed(backend);
      t.teardown(() => s.down());
      await s.adm(['-A', '-t', vs, '-s', 'rr']);
      await s.adm(['-a', '-m', '-t', vs, '-r', ep(s.a.rip)]);
      t.ok((await s.testService()).same, 'cmp: data through the VIP before -C');
      await s.adm(['-C']);
      const listing = await s.adm(['-L', '-n']);
      t.notMatch(listing, /^(TCP|UDP)\s/m, '-L -n lists no virtual service after -C');
      t.notOk((await s.testService()).same, 'after -C nothing reaches the real server');
    });
  });
}
