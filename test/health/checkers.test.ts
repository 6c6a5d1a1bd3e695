import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { resolveChecker } from '../../src/health/resolve.js';
import { PROBES } from '../../src/health/checkers/index.js';
import { HttpResponseReader } from '../../src/health/checkers/http-response.js';
import { matchesHexPattern } from '../../src/health/checkers/check-udp.js';
import { encodeDnsQuery } from '../../src/health/checkers/check-dns.js';
import type { CheckerSpec, HealthServiceSpec } from '../../src/health/types.js';

function resolved(port: number, c: CheckerSpec, host = '127.0.0.1') {
  const vs: HealthServiceSpec = { id: 'x', keys: [], vips: [], realServers: [] };
  return resolveChecker(vs, { address: host, port, checkers: [c] }, c);
}
const probe = (port: number, c: CheckerSpec) => {
  const r = resolved(port, c);
  return PROBES[r.type](r);
};

const BODY = 'hello from ulvs\n';
let slowMs = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/500') {
    res.writeHead(500);
    res.end('x');
    return;
  }
  if (req.url === '/slow') {
    res.writeHead(200, { 'content-length': '10' });
    res.write('12345');
    setTimeout(() => res.end('67890'), slowMs);
    return;
  }
  if (req.url === '/chunked') {
    res.writeHead(200);
    res.write('hello ');
    res.end('from ulvs\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(BODY);
});
const raw = net.createServer((s) => {
  s.on('error', () => {});
  s.end('HTTP/1.1 banana\r\n\r\n');
});
const tmp = mkdtempSync(path.join(tmpdir(), 'ulvs-health-'));
t.teardown(() => {
  server.close();
  raw.close();
  rmSync(tmp, { recursive: true, force: true });
});

t.test('HTTP_GET: status, digest (as genhash), ranges, malformed and slow responses', async (t) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const rport = (raw.address() as net.AddressInfo).port;
  const md5 = createHash('md5').update(BODY).digest('hex');
  const base = { type: 'HTTP_GET' as const, connectTimeoutMs: 1000 };
  t.match(await probe(port, { ...base, urls: [{ path: '/', digest: md5 }] }), { ok: true });
  t.match(await probe(port, { ...base, urls: [{ path: '/chunked', digest: md5 }], httpProtocol: '1.1' }), { ok: true }, 'chunked body de-chunked');
  t.match(await probe(port, { ...base, urls: [{ path: '/', digest: '0'.repeat(32) }] }), { ok: false, reason: /digest/ });
  t.match(await probe(port, { ...base, urls: [{ path: '/500' }] }), { ok: false, reason: /status 500/ });
  t.match(
    await probe(port, {
      ...base,
      urls: [
        {
          path: '/500',
          statusCodes: [
            { lo: 200, hi: 200 },
            { lo: 500, hi: 599 },
          ],
        },
      ],
    }),
    { ok: true },
  );
  t.match(await probe(port, { ...base, urls: [{ path: '/' }, { path: '/500' }] }), { ok: false }, 'every url must pass');
  t.match(await probe(rport, { ...base, urls: [{ path: '/' }] }), { ok: false, reason: /malformed status line/ });
  slowMs = 1500;
  t.match(await probe(port, { ...base, urls: [{ path: '/slow' }] }), { ok: false, reason: /not complete/ });
  slowMs = 0;
  if (existsSync('/usr/bin/genhash')) {
    const { stdout: out } = await promisify(execFile)('/usr/bin/genhash', ['-s', '127.0.0.1', '-p', String(port), '-u', '/'], { timeout: 10_000 });
    t.match(out, new RegExp(md5, 'i'), 'our digest equals keepalived genhash');
  }
});

t.test('HTTP response reader rejects malformed input without throwing', async (t) => {
  const cases = [
    'garbage\r\n\r\n',
    'HTTP/1.1 200 OK\r\nno-colon\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
  ];
  for (const c of cases) t.equal(new HttpResponseReader().push(Buffer.from(c)).kind, 'error', JSON.stringify(c));
  const r = new HttpResponseReader();
  r.push(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
  t.equal(r.end().kind, 'error', 'truncated body');
});

t.test('SSL_GET: TLS handshake failure against a plain server is a failed check', async (t) => {
  const port = (server.address() as net.AddressInfo).port;
  t.match(await probe(port, { type: 'SSL_GET', connectTimeoutMs: 1000, urls: [{ path: '/' }] }), { ok: false, reason: /TLS|not complete/ });
});

t.test('TCP_CHECK: connect ok, refused', async (t) => {
  const port = (server.address() as net.AddressInfo).port;
  t.match(await probe(port, { type: 'TCP_CHECK', connectTimeoutMs: 1000 }), { ok: true });
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const closed = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  t.match(await probe(closed, { type: 'TCP_CHECK', connectTimeoutMs: 1000 }), { ok: false, reason: /ECONNREFUSED/ });
});

t.test('UDP_CHECK and DNS_CHECK against a tiny responder', async (t) => {
  const sock = dgram.createSocket('udp4');
  sock.on('message', (m, r) => {
    if (m.length >= 12 && m[2] === 1) {
      const resp = Buffer.from(m);
      resp[2] = 0x81;
      resp[3] = 0x80;
      sock.send(resp, r.port, r.address);
    } else sock.send(Buffer.from('pong'), r.port, r.address);
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  t.teardown(() => sock.close());
  const port = sock.address().port;
  t.match(await probe(port, { type: 'UDP_CHECK', connectTimeoutMs: 500, payload: Buffer.from('ping'), requireReplyPattern: '706fXX67' }), { ok: true });
  t.match(await probe(port, { type: 'UDP_CHECK', connectTimeoutMs: 500, payload: Buffer.from('ping'), requireReplyPattern: 'ffff' }), { ok: false });
  t.match(await probe(port, { type: 'DNS_CHECK', connectTimeoutMs: 500 }), { ok: true });
  const dead = dgram.createSocket('udp4');
  await new Promise<void>((r) => dead.bind(0, '127.0.0.1', r));
  const deadPort = dead.address().port;
  dead.close();
  t.match(await probe(deadPort, { type: 'UDP_CHECK', connectTimeoutMs: 1000 }), { ok: false, reason: /ECONNREFUSED/ }, 'ICMP port unreachable');
  t.match(await probe(deadPort, { type: 'DNS_CHECK', connectTimeoutMs: 300 }), { ok: false });
  t.ok(matchesHexPattern(Buffer.from([0xab, 0xcd]), 'aXcd'));
  t.equal(encodeDnsQuery(1, '.', 'SOA').length, 12 + 1 + 4);
});

t.test('MISC_CHECK exit codes, misc_dynamic, hang and stdout flood', async (t) => {
  const script = path.join(tmp, 'check.sh');
  writeFileSync(script, '#!/bin/sh\ncase "$1" in hang) sleep 30;; flood) yes; ;; *) exit "$1";; esac\n');
  chmodSync(script, 0o755);
  const m = (arg: string, dyn = false) => probe(0, { type: 'MISC_CHECK', misc: { argv: [script, arg] }, miscDynamic: dyn, miscTimeoutMs: 400 });
  t.match(await m('0'), { ok: true });
  t.match(await m('1'), { ok: false });
  t.match(await m('7'), { ok: false }, 'non-zero without misc_dynamic is down');
  t.match(await m('7', true), { ok: true, weight: 5 });
  t.match(await m('0', true), { ok: true, weight: 'reset' });
  t.match(await m('hang'), { ok: false, reason: /timed out/ });
  t.match(await m('flood'), { ok: false, reason: /timed out/ });
  t.match(await probe(0, { type: 'MISC_CHECK', misc: { argv: [path.join(tmp, 'missing')] }, miscTimeoutMs: 400 }), { ok: false, reason: /could not run/ });
});

t.test('SSL_GET against a self-signed TLS server: digest, SNI only when enabled; request shapes', async (t) => {
  const { run } = await import('../../src/util/exec.js');
  const tls = await import('node:tls');
  const { readFileSync } = await import('node:fs');
  const { buildRequest } = await import('../../src/health/checkers/check-http.js');
  const r = await run([
    'openssl',
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${tmp}/k.pem`,
    '-out',
    `${tmp}/c.pem`,
    '-days',
    '1',
    '-subj',
    '/CN=rs.test',
  ]);
  if (r.code !== 0) {
    t.pass('openssl not available: nothing to check');
    return;
  }
  const snis: Array<string | false> = [];
  const ts = tls.createServer({ key: readFileSync(`${tmp}/k.pem`), cert: readFileSync(`${tmp}/c.pem`) }, (s) => {
    snis.push((s as unknown as { servername: string | false }).servername);
    s.on('error', () => {});
    s.once('data', () => s.end(`HTTP/1.0 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`));
  });
  await new Promise<void>((res) => ts.listen(0, '127.0.0.1', res));
  t.teardown(() => ts.close());
  const port = (ts.address() as net.AddressInfo).port;
  const md5 = createHash('md5').update(BODY).digest('hex');
  t.match(
    await probe(port, { type: 'SSL_GET', connectTimeoutMs: 2000, urls: [{ path: '/', digest: md5 }] }),
    { ok: true },
    'certificate not verified, as keepalived',
  );
  t.match(await probe(port, { type: 'SSL_GET', connectTimeoutMs: 2000, urls: [{ path: '/' }], enableSni: true, virtualhost: 'www.example.test' }), {
    ok: true,
  });
  t.match(await probe(port, { type: 'SSL_GET', connectTimeoutMs: 2000, urls: [{ path: '/' }], sniName: 'sni.example.test' }), { ok: true });
  t.same(snis, [false, 'www.example.test', 'sni.example.test']);
  t.equal(buildRequest('/x', 'h:8080', '1.0'), 'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h:8080\r\n\r\n');
  t.equal(buildRequest('/x', 'h', '1.1'), 'GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: h\r\n\r\n');
  t.equal(resolved(8080, { type: 'HTTP_GET', urls: [{ path: '/' }] }).urls[0].host, '127.0.0.1:8080', 'Host is addr:port without virtualhost');
  t.equal(resolved(80, { type: 'HTTP_GET', urls: [{ path: '/' }] }, '2001:db8::1').urls[0].host, '[2001:db8::1]:80');
});

t.test('IPv6 targets: TCP_CHECK and UDP_CHECK on ::1', async (t) => {
  const s = net.createServer((c) => c.end());
  const ok6 = await new Promise<boolean>((res) => {
    s.once('error', () => res(false));
    s.listen(0, '::1', () => res(true));
  });
  if (!ok6) {
    t.pass('no IPv6 loopback here');
    return;
  }
  t.teardown(() => s.close());
  const port = (s.address() as net.AddressInfo).port;
  const r = resolved(port, { type: 'TCP_CHECK', connectTimeoutMs: 1000 }, '::1');
  t.match(await PROBES.TCP_CHECK(r), { ok: true });
  const u = dgram.createSocket('udp6');
  u.on('message', (m, ri) => u.send(m, ri.port, ri.address));
  await new Promise<void>((res) => u.bind(0, '::1', res));
  t.teardown(() => u.close());
  const ru = resolved(u.address().port, { type: 'UDP_CHECK', connectTimeoutMs: 500, payload: Buffer.from('hi'), requireReply: true }, '::1');
  t.match(await PROBES.UDP_CHECK(ru), { ok: true });
});
