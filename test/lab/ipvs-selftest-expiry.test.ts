/**
 * Expiry without traffic, in the ipvs.sh topology on NFQUEUE: a SYN flood (hping3, a new source port per
 * SYN) through a DR service to a real server that never answers leaves SYN_RECV entries; with no packet
 * passing afterwards they must leave at their timeout (IPVS: 60 s) and ActiveConn/InActConn fall to 0.
 * Expiry runs on the workers' timer, so this does not depend on the backend.
 */
import t from 'tap';
import { ep, PORT, Selftest } from './ipvs-selftest.js';

/** ActiveConn and InActConn of the one real server in `ulvsadm -L -n` ([-1, -1] when not listed). */
function conns(listing: string, rip: string): [number, number] {
  const m = new RegExp(`->\\s+${rip.replace(/\./g, '\\.')}:${PORT}\\s+\\w+\\s+\\d+\\s+(\\d+)\\s+(\\d+)`).exec(listing);
  return m ? [Number(m[1]), Number(m[2])] : [-1, -1];
}

t.test("a SYN flood's entries leave at their timeout with no traffic", { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const s = await Selftest.up('nfqueue', 4);
  t.teardown(() => s.down());
  const vs = ep(s.a.vip);
  await s.routeVipViaDirector();
  await s.exec(s.ns1, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await s.startDaemon();
  await s.adm(['-A', '-t', vs, '-s', 'rr']);
  // The real server has no VIP: it drops every SYN silently, so the entries stay SYN_RECV.
  await s.adm(['-a', '-g', '-t', vs, '-r', ep(s.a.rip)]);
  await s.vipOnDirector();
  const flood = await s.exec(s.ns0, ['hping3', '-q', '-S', '-p', String(PORT), '-i', 'u300', '-c', '1500', s.a.vip], 30000);
  t.equal(flood.code === 0 || /packets transmitted/.test(flood.stdout + flood.stderr), true, 'hping3 sent the flood');
  const [active] = conns(await s.adm(['-L', '-n']), s.a.rip);
  t.ok(active >= 1000, `ActiveConn counts the flood's half-open entries (${active})`);
  const listed = (await s.adm(['-L', '-n', '-c'])).split('\n').filter((l) => /SYN_RECV/.test(l)).length;
  t.ok(listed >= 1000, `-L -n -c lists them as SYN_RECV (${listed})`);
  // No packet passes from here on: only the workers' expiry timer can remove the entries.
  let after: [number, number] = [active, 0];
  let left = listed;
  for (const until = Date.now() + 100_000; Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 5000));
    after = conns(await s.adm(['-L', '-n']), s.a.rip);
    left = (await s.adm(['-L', '-n', '-c'])).split('\n').filter((l) => /^TCP/.test(l)).length;
    if (after[0] === 0 && after[1] === 0 && left === 0) break;
  }
  t.same(after, [0, 0], 'ActiveConn and InActConn fell to 0');
  t.equal(left, 0, '-L -n -c lists no connection');
});
