/**
 * The selftest's three cases (DR, NAT, TUN), each in fresh namespaces, for one backend and address
 * family: ipvs.sh's test_dr, test_nat and test_tun with ipvsadm replaced by ulvsadm.
 */
import t from 'tap';
import { ep, PORT, Selftest, todoOn, type Backend } from './ipvs-selftest.js';

/** One mode: the selftest's director and real-server setup for it. */
async function prepare(s: Selftest, mode: 'dr' | 'nat' | 'tun'): Promise<void> {
  const vs = ep(s.a.vip);
  await s.routeVipViaDirector();
  if (mode === 'tun')
    await s.exec(s.ns1, ['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv4.conf.all.send_redirects=0', 'net.ipv4.conf.default.send_redirects=0']);
  else await s.exec(s.ns1, ['sysctl', '-qw', s.family === 4 ? 'net.ipv4.ip_forward=1' : 'net.ipv6.conf.all.forwarding=1']);
  await s.startDaemon();
  await s.adm(['-A', '-t', vs, '-s', 'rr']);
  await s.adm(['-a', ...(mode === 'nat' ? ['-m'] : mode === 'tun' ? ['-i'] : []), '-t', vs, '-r', ep(s.a.rip, PORT)]);
  await s.vipOnDirector();
  if (mode === 'nat') await s.realServerForNat();
  else {
    await s.realServerForDrTun();
    // No ipip module here: the real server decapsulates with ulvs where ipvs.sh brings up tunl0.
    if (mode === 'tun') await s.startDecap();
  }
}

/** Registers DR, NAT and TUN for `backend` and `family` (skipped with a reason when not root). */
export function selftestModes(backend: Backend, family: 4 | 6): void {
  t.test(`ipvs.sh on ${backend}, IPv${family}`, { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
    for (const mode of ['dr', 'nat', 'tun'] as const) {
      await t.test(`${mode.toUpperCase()} mode`, { todo: todoOn(backend, `${mode}${family}`) }, async (t) => {
        const s = await Selftest.up(backend, family);
        t.teardown(() => s.down());
        await prepare(s, mode);
        const r = await s.testService();
        t.ok(r.same, "cmp: the server received exactly the client's 32 bytes");
        if (!r.same)
          t.comment(
            `client exit ${r.client.code} ${r.client.stderr.trim()}; server exit ${r.server.code} ${r.server.stderr.trim()}; daemon:\n${s.daemonOutput}`,
          );
        if (backend === 'afxdp') t.notMatch(s.daemonOutput, /AF_XDP is unavailable/, 'the daemon ran AF_XDP (no fallback to afpacket)');
        if (mode === 'tun' && backend === 'nfqueue' && family === 4) {
          // The selftest sets ip_forward=0 on purpose; NFQUEUE needs it (the kernel forwards what ulvs hands
          // back): the change is logged once and undone on stop.
          t.equal(s.daemonOutput.match(/net\.ipv4\.ip_forward 0 -> 1/g)?.length, 1, 'the ip_forward change is logged once');
          const code = await s.stopDaemon();
          if (!t.equal(code, 0, 'TERM stops the daemon')) t.comment(`exit ${code} ${s.daemon?.signalCode}: ${s.daemonOutput.slice(-1500)}`);
          t.equal((await s.exec(s.ns1, ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim(), '0', 'and ip_forward is 0 again');
        }
      });
    }
  });
}
