/**
 * Health wired into the daemon (no packets: NullDataPlane): a keepalived.conf with TCP_CHECK and
 * HTTP_GET real servers on loopback listeners; `ulvsadm -L -n` over the control socket shows a dead real
 * server leave, an inhibit_on_failure one at weight 0, and the sorry server while quorum is lost.
 */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Daemon } from '../../src/control/daemon.js';
import { NullDataPlane } from '../../src/control/ports.js';
import { loadDaemonConfig } from '../../src/control/config-source.js';
import { createLogger } from '../../src/control/logger.js';
import { main as ulvsadm } from '../../src/cli/ulvsadm.js';
import { createHealthPort } from '../../src/health/control-port.js';

async function listen(s: net.Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as net.AddressInfo).port;
}

t.test('ulvsadm -L -n follows health decisions', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ulvs-health-daemon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tcp = net.createServer((s) => s.end());
  let status = 200;
  const web = http.createServer((_q, r) => {
    r.writeHead(status);
    r.end('ok');
  });
  const tcpPort = await listen(tcp);
  const webPort = await listen(web);
  t.teardown(() => {
    tcp.close();
    web.close();
  });
  // Real servers 127.0.0.2..4 port 80 (NAT), checked via connect_ip/connect_port on the listeners.
  const conf = `
virtual_server 127.0.0.10 80 {
  delay_loop 0.3
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  quorum 2
  sorry_server 127.0.0.9 80
  real_server 127.0.0.2 80 {
    weight 1
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${tcpPort}
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server 127.0.0.3 80 {
    weight 1
    inhibit_on_failure
    HTTP_GET {
      url {
        path /
      }
      connect_ip 127.0.0.1
      connect_port ${webPort}
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
  real_server 127.0.0.4 80 {
    weight 1
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port ${tcpPort}
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
}
`;
  const file = path.join(dir, 'keepalived.conf');
  writeFileSync(file, conf);
  const logs: string[] = [];
  const logger = createLogger(false, (l) => logs.push(l));
  const d = new Daemon({
    configFile: file,
    socketPath: path.join(dir, 'run', 'ulvs.sock'),
    pidPath: path.join(dir, 'ulvs.pid'),
    logger,
    loadConfig: loadDaemonConfig,
    dataPlane: new NullDataPlane(),
    health: createHealthPort({ log: logger }),
  });
  await d.start();
  t.teardown(() => d.stop());
  const list = async () => {
    let out = '';
    await ulvsadm(['-L', '-n'], {
      socketPath: path.join(dir, 'run', 'ulvs.sock'),
      stdout: (s) => {
        out += s;
      },
      stderr: () => {},
      readStdin: async () => '',
    });
    return out;
  };
  const until = async (re: RegExp, not?: RegExp) => {
    let out = '';
    for (let i = 0; i < 60; i++) {
      out = await list();
      if (re.test(out) && !(not && not.test(out))) return out;
      await new Promise((r) => setTimeout(r, 100));
    }
    return out;
  };
  let out = await until(/127\.0\.0\.2:80.*\n.*127\.0\.0\.3:80[^\n]*Masq\s+1\b/s);
  t.match(out, /127\.0\.0\.3:80\s+Masq\s+1 /, 'all in with weight 1');
  t.notMatch(out, /127\.0\.0\.9/, 'no sorry server while quorum holds');

  status = 500;
  out = await until(/127\.0\.0\.3:80\s+Masq\s+0 /);
  t.match(out, /127\.0\.0\.3:80\s+Masq\s+0 /, 'inhibit_on_failure: weight 0, still listed');
  t.match(out, /127\.0\.0\.2:80/, 'quorum holds: the others stay');

  await new Promise((r) => tcp.close(r));
  out = await until(/127\.0\.0\.9:80/, /127\.0\.0\.2:80|127\.0\.0\.4:80/);
  t.match(out, /127\.0\.0\.9:80/, 'quorum lost: sorry server in');
  t.notMatch(out, /127\.0\.0\.2:80|127\.0\.0\.4:80/, 'dead real servers removed');

  status = 200;
  await new Promise<void>((r) => tcp.listen(tcpPort, '127.0.0.1', r));
  out = await until(/127\.0\.0\.2:80[^]*127\.0\.0\.3:80\s+Masq\s+1 /, /127\.0\.0\.9:80/);
  t.notMatch(out, /127\.0\.0\.9:80/, 'quorum back: sorry server out');
  t.match(out, /127\.0\.0\.3:80\s+Masq\s+1 /, 'recovered real server back at its weight');
});
