/**
 * A local socket on the director for a client's 4-tuple must not black-hole that client's DR flow. A
 * proxy that served the VIP on lb1 before (the benchmark's HAProxy, a service being migrated) leaves
 * TIME_WAIT sockets for client:port -> VIP:80; with NFQUEUE, DR packets go back to the kernel with the
 * VIP still their destination, early demux attaches that socket, and ip_forward drops packets carrying a
 * socket. The director turns early demux off for that; the same client port must reach a real server.
 */
import t from 'tap';
import { Lab, uniqueLabId } from '../../src/lab/lab.js';
import { prepareRealServers, startLabDirector } from '../../src/lab/modes.js';
import { LAB_ADDR } from '../../src/lab/topology.js';

const VIP = LAB_ADDR.vip4;

t.test('DR through a client port that has a TIME_WAIT socket on the director', { skip: process.getuid?.() !== 0 && 'needs root' }, async (t) => {
  const lab = await Lab.up({ id: uniqueLabId() });
  t.teardown(() => lab.down());
  const undo = await prepareRealServers(lab, 'dr');
  t.teardown(undo);
  for (const [backend, PORT] of [
    ['nfqueue', 40123],
    ['afpacket', 40124],
  ] as const) {
    await t.test(backend, async (t) => {
      // lb1 serves the VIP itself once and closes first: it keeps a TIME_WAIT for client:PORT -> VIP:80.
      // No Content-Length: curl reads to EOF, so lb1's close always comes first (with a length, a loaded
      // host let curl close first: the TIME_WAIT was the client's, and its port could not be bound again).
      await lab.execOk('lb1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
      const server = lab.spawn('lb1', [
        'python3',
        '-c',
        `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('${VIP}', 80)); s.listen(1)
print('listening', flush=True)
c, _ = s.accept(); c.recv(4096); c.sendall(b'HTTP/1.0 200 OK\\r\\n\\r\\nlb1-local'); c.close(); s.close()`,
      ]);
      let said = '';
      server.stderr!.on('data', (b: Buffer) => {
        said += b.toString();
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the local server on lb1 did not start: ${said}`)), 10000);
        server.stdout!.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
        server.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`the local server on lb1 exited: ${said}`));
        });
      });
      const local = await lab.exec('client', ['curl', '-s', '-m', '5', '--local-port', String(PORT), `http://${VIP}/`]);
      await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(null)));
      await lab.execOk('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
      t.equal(local.stdout, 'lb1-local', 'lb1 answered the VIP itself');
      const tw = await lab.exec('lb1', ['ss', '-Htan', 'state', 'time-wait']);
      t.match(
        tw.stdout,
        new RegExp(`${VIP.replace(/\./g, '\\.')}:80\\s+${LAB_ADDR.client4.replace(/\./g, '\\.')}:${PORT}`),
        'lb1 holds a TIME_WAIT for that 4-tuple',
      );
      const d = await startLabDirector(lab, { mode: 'dr', backend, workers: 1 });
      t.teardown(() => d.stop());
      const r = await lab.exec('client', ['curl', '-s', '-m', '5', '--local-port', String(PORT), `http://${VIP}/`]);
      t.match(r.stdout.trim(), /^rs[123]$/, `the same client port reaches a real server (curl exit ${r.code}: '${r.stdout.trim()}')`);
      const out = await d.stop();
      t.match(out, /rules, routes and addresses removed/, 'director stopped cleanly');
      t.equal((await lab.exec('lb1', ['sysctl', '-n', 'net.ipv4.ip_early_demux'])).stdout.trim(), '1', 'ip_early_demux back to 1');
    });
  }
});
