/**
 * The lab's real-server application: an HTTP server that answers with the host's name (and can send
 * N bytes or wait, for transfer and timeout tests) plus a UDP responder that echoes the name.
 * Run inside a real server's namespace: `node dist/lab/responder.js --name rs1 [--port 80] [--udp 5300]`.
 */
import http from 'node:http';
import dgram from 'node:dgram';
import os from 'node:os';
import { parseArgs } from 'node:util';

/** Starts the responders; resolves when both listen. */
export async function startResponder(name: string, httpPort: number, udpPort: number): Promise<{ close(): void }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('X-Real-Server', name);
    const bytes = /^\/bytes\/(\d+)$/.exec(url.pathname);
    if (bytes) {
      let left = Math.min(Number(bytes[1]), 1 << 30);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(left));
      const chunk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31 + 7) & 0xff;
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    const delay = Number(url.searchParams.get('delayMs') ?? 0);
    const status = Number(url.searchParams.get('status') ?? 200);
    setTimeout(
      () => {
        res.statusCode = status >= 100 && status < 600 ? status : 200;
        res.setHeader('Content-Type', 'text/plain');
        res.end(`${name}\n`);
      },
      Math.min(Math.max(delay, 0), 60000),
    );
  });
  server.keepAliveTimeout = 30000;
  await new Promise<void>((resolve) => server.listen({ port: httpPort, host: '::', ipv6Only: false }, resolve));
  // One UDP socket per local address, so a reply leaves from the address the request was sent to:
  // in DR and TUN that is the VIP on lo, added after this process started, hence the re-scan.
  const udp = new Map<string, dgram.Socket>();
  const bindAll = async (): Promise<void> => {
    for (const addrs of Object.values(os.networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (udp.has(a.address) || (a.family === 'IPv6' && a.scopeid)) continue;
        const sock = dgram.createSocket(a.family === 'IPv4' ? 'udp4' : 'udp6');
        sock.on('message', (_msg, rinfo) => sock.send(`${name}\n`, rinfo.port, rinfo.address));
        sock.on('error', () => {
          sock.close();
          udp.delete(a.address);
        });
        udp.set(a.address, sock);
        await new Promise<void>((resolve) => {
          sock.once('listening', resolve);
          sock.once('error', () => resolve());
          sock.bind(udpPort, a.address);
        });
      }
    }
  };
  await bindAll();
  const rescan = setInterval(() => {
    void bindAll();
  }, 500);
  rescan.unref();
  return {
    close: () => {
      clearInterval(rescan);
      server.close();
      for (const u of udp.values()) u.close();
    },
  };
}

const isMain = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0');
if (isMain) {
  const { values } = parseArgs({ options: { name: { type: 'string' }, port: { type: 'string', default: '80' }, udp: { type: 'string', default: '5300' } } });
  if (!values.name) {
    process.stderr.write('usage: responder --name NAME [--port 80] [--udp 5300]\n');
    process.exit(2);
  }
  await startResponder(values.name, Number(values.port), Number(values.udp));
  process.stdout.write(`ready ${values.name}\n`);
  process.on('SIGTERM', () => process.exit(0));
}
