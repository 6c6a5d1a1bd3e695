#!/usr/bin/env node
// Live benchmark on the lab topology (needs root and a build: npm run build). One command:
//   sudo node bench/live/run.mjs [--duration-s 5] [--quick]
// Measures HTTP req/s (wrk, keep-alive and Connection: close; p50/p99 latency) and 64-byte UDP pps
// (hping3 flood from the client, many source ports; packets counted arriving at the real servers)
// through kernel forwarding, iptables DNAT, HAProxy (TCP mode), nginx stream (if installed) and ulvs
// DR/NAT/TUN on each backend, 1 and 2 workers. Writes a table with ratios to bench/live.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Lab } from '../../dist/lab/lab.js';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR } from '../../dist/lab/topology.js';

const { values } = parseArgs({ options: { 'duration-s': { type: 'string', default: '5' }, quick: { type: 'boolean', default: false }, out: { type: 'string', default: new URL('../live.md', import.meta.url).pathname } } });
const D = Number(values['duration-s']);
const VIP = LAB_ADDR.vip4;
const PPS_PORT = 9000;
const lab = await Lab.up({ id: 'bench' });
const rss = lab.byRole('realserver');
const log = (s) => process.stderr.write(s + '\n');

async function wrk(host, close) {
  const argv = ['wrk', '-t2', '-c32', `-d${D}s`, '--latency', ...(close ? ['-H', 'Connection: close'] : []), `http://${host}/`];
  const r = await lab.exec('client', argv, { timeoutMs: (D + 20) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const errs = /Non-2xx|Socket errors: (.*)/.exec(r.stdout)?.[0] ?? '';
  const lat = (p) => { const x = new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(r.stdout); if (!x) return NaN; return Number(x[1]) * (x[2] === 'us' ? 0.001 : x[2] === 's' ? 1000 : 1); };
  return { rps, p50: lat(50), p99: lat(99), errs };
}

async function inReceives() {
  let sum = 0;
  for (const rs of rss) {
    const t = (await lab.exec(rs.name, ['cat', '/proc/net/snmp'])).stdout.split('\n').filter((l) => l.startsWith('Ip:'));
    const keys = t[0].split(/\s+/); const vals = t[1].split(/\s+/);
    sum += Number(vals[keys.indexOf('InReceives')]);
  }
  return sum;
}

async function pps(host) {
  const before = await inReceives();
  const t0 = Date.now();
  // 64-byte frames: 14 Ethernet + 20 IP + 8 UDP + 22 payload; hping3 increments the source port per packet.
  await lab.exec('client', ['timeout', String(D), 'hping3', '--udp', '-p', String(PPS_PORT), '-d', '22', '--flood', '-q', host], { timeoutMs: (D + 10) * 1000 });
  const after = await inReceives();
  return Math.round((after - before) / ((Date.now() - t0) / 1000));
}

const results = [];
async function measure(name, host, opts = {}) {
  log(`== ${name}`);
  const ka = await wrk(host, false);
  const cl = await wrk(host, true);
  const p = opts.pps === false ? NaN : await pps(host);
  const row = { name, rpsKa: ka.rps, rpsClose: cl.rps, p50: ka.p50, p99: ka.p99, pps: p, note: opts.note ?? '' };
  log(JSON.stringify(row));
  results.push(row);
  return row;
}

const extra = [`-A -u ${VIP}:${PPS_PORT} -s rr`, ...rss.map((rs) => `-a -u ${VIP}:${PPS_PORT} -r ${addr4(rs)}:${PPS_PORT} MODE -w 1`)].join('\n') + '\n';
const FLAG = { dr: '-g', nat: '-m', tun: '-i' };

try {
  await measure('kernel forwarding (client -> router -> rs1, no balancer)', addr4(rss[0]), { note: 'ceiling; one real server' });

  // iptables DNAT on lb1 (NAT topology: real servers route via the NAT gateway on lb1).
  {
    const undo = await m.prepareRealServers(lab, 'nat');
    const sh = [
      `ip addr add ${VIP}/32 dev eth0`, `ip addr add ${LAB_ADDR.natGateway4}/24 dev eth0`, 'sysctl -qw net.ipv4.ip_forward=1',
      ...['tcp --dport 80', `udp --dport ${PPS_PORT}`].flatMap((sel) => [
        `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination ${addr4(rss[0])}`,
        `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination ${addr4(rss[1])}`,
        `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -j DNAT --to-destination ${addr4(rss[2])}`]),
    ];
    for (const c of sh) await lab.execOk('lb1', ['sh', '-c', c]);
    await measure('iptables DNAT (conntrack, nth over 3 real servers)', VIP);
    await lab.exec('lb1', ['sh', '-c', `iptables -t nat -F PREROUTING; ip addr del ${VIP}/32 dev eth0; ip addr del ${LAB_ADDR.natGateway4}/24 dev eth0; sysctl -qw net.ipv4.ip_forward=0; conntrack -F 2>/dev/null; true`]);
    await undo();
  }

  // HAProxy, TCP mode, on lb1.
  {
    await lab.execOk('lb1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
    const cfg = `/tmp/ulvs-bench-haproxy.cfg`;
    writeFileSync(cfg, `global\n  maxconn 2000\n  nbthread 2\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend f\n  bind ${VIP}:80\n  default_backend b\nbackend b\n  balance roundrobin\n${rss.map((rs) => `  server ${rs.name} ${addr4(rs)}:80\n`).join('')}`);
    const hp = lab.spawn('lb1', ['haproxy', '-db', '-f', cfg]);
    await new Promise((r) => setTimeout(r, 1000));
    await measure('HAProxy 2 threads, mode tcp, roundrobin', VIP, { pps: false, note: 'TCP only' });
    hp.kill('SIGTERM');
    await lab.exec('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  }
  // Minimal C forwarders (bench/live/c, built by its build.sh): the ceilings of each I/O path, one real server.
  {
    const cdir = new URL('./c/', import.meta.url).pathname;
    const built = await lab.exec('lb1', ['sh', '-c', `${cdir}build.sh`]);
    if (built.code !== 0) log(`C forwarders not built: ${built.stderr}`);
    const rs1 = rss[0];
    const undoDr = await m.prepareRealServers(lab, 'dr');
    await lab.execOk('lb1', ['sh', '-c', `ip addr add ${VIP}/32 dev eth0; iptables -t raw -A PREROUTING -d ${VIP} -m comment --comment ulvs-bench -j DROP`]);
    const afp = lab.spawn('lb1', [`${cdir}bin/afp-fwd`, 'eth0', VIP, await lab.mac(rs1.name)]);
    await new Promise((r) => setTimeout(r, 500));
    await measure('C AF_PACKET DR forwarder (TPACKET_V3 + sendmmsg, 1 thread, rs1 only)', VIP);
    afp.kill('SIGTERM');
    await lab.exec('lb1', ['sh', '-c', `iptables -t raw -D PREROUTING -d ${VIP} -m comment --comment ulvs-bench -j DROP; ip addr del ${VIP}/32 dev eth0`]);
    await undoDr();
    const undoNat = await m.prepareRealServers(lab, 'nat');
    const setup = [`ip addr add ${VIP}/32 dev eth0`, `ip addr add ${LAB_ADDR.natGateway4}/24 dev eth0`, 'sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1 net.ipv4.conf.eth0.accept_local=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0',
      `iptables -t raw -A PREROUTING -d ${VIP} -j CT --notrack`, `iptables -t raw -A PREROUTING -s ${addr4(rs1)} -j CT --notrack`,
      `iptables -t mangle -A PREROUTING -d ${VIP} -j NFQUEUE --queue-num 0`, `iptables -t mangle -A PREROUTING -s ${addr4(rs1)} -j NFQUEUE --queue-num 0`];
    for (const c of setup) await lab.execOk('lb1', ['sh', '-c', c]);
    const nfq = lab.spawn('lb1', [`${cdir}bin/nfq-fwd`, VIP, addr4(rs1)]);
    await new Promise((r) => setTimeout(r, 500));
    await measure('C NFQUEUE NAT forwarder (verdict per packet, 1 thread, rs1 only)', VIP);
    nfq.kill('SIGTERM');
    await lab.exec('lb1', ['sh', '-c', `iptables -t mangle -F PREROUTING; iptables -t raw -F PREROUTING; ip addr del ${VIP}/32 dev eth0; ip addr del ${LAB_ADDR.natGateway4}/24 dev eth0; sysctl -qw net.ipv4.ip_forward=0`]);
    await undoNat();
  }
  const ngx = await lab.exec('lb1', ['sh', '-c', 'nginx -V 2>&1; ls /usr/lib/nginx/modules /usr/share/nginx/modules 2>/dev/null']);
  if (!/ngx_stream_module/.test(ngx.stdout)) results.push({ name: 'nginx stream', rpsKa: NaN, rpsClose: NaN, p50: NaN, p99: NaN, pps: NaN, note: 'not measured: nginx-light is built with --with-stream=dynamic and ngx_stream_module.so is not installed' });

  const configs = [];
  for (const backend of ['afpacket', 'nfqueue']) for (const mode of ['dr', 'nat', 'tun']) configs.push({ backend, mode, workers: 2 });
  if (!values.quick) for (const backend of ['afpacket', 'nfqueue']) configs.push({ backend, mode: 'dr', workers: 1 });
  for (const c of configs) {
    const undo = await m.prepareRealServers(lab, c.mode);
    const d = await m.startLabDirector(lab, { mode: c.mode, backend: c.backend, workers: c.workers, extraRules: extra.replaceAll('MODE', FLAG[c.mode]) });
    try {
      await measure(`ulvs ${c.mode.toUpperCase()} ${c.backend}, ${c.workers} worker${c.workers > 1 ? 's' : ''}`, VIP);
    } finally {
      await d.stop();
      await undo();
    }
  }
} finally {
  await lab.down();
}

const base = results[0];
const f = (x, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const ratio = (x, b) => (Number.isFinite(x) && b ? (x / b).toFixed(2) + '×' : 'n/a');
const lines = [
  '# Live data-plane benchmark',
  '',
  `Generated by \`sudo node bench/live/run.mjs\` on ${new Date().toISOString()} (${(await import('node:os')).cpus().length} CPUs, ${process.version}), lab topology`,
  'client — router — LAN (lb1, rs1..rs3), veth pairs with offloads off. Everything (client, wrk/hping3, router,',
  'balancer, real servers) shares the same CPUs, so absolute numbers are low and ratios are what matter.',
  `wrk: 2 threads, 32 connections, ${D} s, keep-alive and \`Connection: close\`; latency from the keep-alive run.`,
  `pps: hping3 --flood of 64-byte UDP frames (source port increments: many flows) for ${D} s, counted as IP packets arriving at the real servers.`,
  '',
  '| path | HTTP req/s keep-alive | ×kernel | HTTP req/s close | ×kernel | p50 ms | p99 ms | UDP pps delivered | ×kernel | note |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...results.map((r) => `| ${r.name} | ${f(r.rpsKa)} | ${ratio(r.rpsKa, base.rpsKa)} | ${f(r.rpsClose)} | ${ratio(r.rpsClose, base.rpsClose)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${f(r.pps)} | ${ratio(r.pps, base.pps)} | ${r.note} |`),
  '',
];
const prev = (() => { try { return readFileSync(values.out, 'utf8'); } catch { return ''; } })();
const notes = prev.includes('## Notes') ? prev.slice(prev.indexOf('## Notes')) : '';
writeFileSync(values.out, lines.join('\n') + (notes ? '\n' + notes : ''));
process.stdout.write(lines.join('\n') + '\n');
