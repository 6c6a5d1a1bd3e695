// The reference paths of the live benchmarks, started on lb1 of a lab (bench/live/run.mjs, ring-ab.mjs,
// http-ab.mjs): iptables DNAT over the real servers, HAProxy (mode tcp, 2 threads), nginx stream
// (2 workers) and the C AF_PACKET and AF_XDP DR forwarders. Each start function resolves to { pid, stop() } (pid 0
// for kernel paths) and stop() removes everything it added; a proxy that exits at start throws.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as m from '../../dist/lab/modes.js';
import { addr4, LAB_ADDR } from '../../dist/lab/topology.js';

const VIP = LAB_ADDR.vip4;
const CDIR = new URL('./c/', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Temp files of the proxies for a script called `tag`; remove them with removeTemp(tag). */
function tmp(tag) {
  return { haproxy: `/tmp/ulvs-${tag}-haproxy.cfg`, nginx: `/tmp/ulvs-${tag}-nginx.conf`, nginxErr: `/tmp/ulvs-${tag}-nginx.err`, nginxPid: `/tmp/ulvs-${tag}-nginx.pid` };
}

/** Removes the proxies' temp files of script `tag`. */
export function removeTemp(tag) {
  for (const f of Object.values(tmp(tag))) rmSync(f, { force: true });
}

/**
 * Connection: close runs open thousands of connections a second: without port reuse the client (and a
 * proxy's side towards the real servers) runs out of ephemeral ports in TIME_WAIT and later runs collapse.
 */
export async function allowPortReuse(lab) {
  for (const host of ['client', 'lb1']) await lab.execOk(host, ['sysctl', '-qw', 'net.ipv4.ip_local_port_range=1024 65535', 'net.ipv4.tcp_tw_reuse=1']);
}

/**
 * iptables DNAT (conntrack, nth over the 3 real servers) for TCP 80 and the UDP `ports`; the real
 * servers' default route goes via lb1's NAT gateway address unless `natReady` (already so).
 */
export async function startDnat(lab, ports, natReady = false) {
  const rss = lab.byRole('realserver');
  const undoNat = natReady ? async () => {} : await m.prepareRealServers(lab, 'nat');
  const sh = [`ip addr add ${VIP}/32 dev eth0`, `ip addr add ${LAB_ADDR.natGateway4}/24 dev eth0`, 'sysctl -qw net.ipv4.ip_forward=1',
    ...['tcp --dport 80', ...ports.map((p) => `udp --dport ${p}`)].flatMap((sel) => [
      `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -m statistic --mode nth --every 3 --packet 0 -j DNAT --to-destination ${addr4(rss[0])}`,
      `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -m statistic --mode nth --every 2 --packet 0 -j DNAT --to-destination ${addr4(rss[1])}`,
      `iptables -t nat -A PREROUTING -d ${VIP} -p ${sel} -j DNAT --to-destination ${addr4(rss[2])}`])];
  for (const c of sh) await lab.execOk('lb1', ['sh', '-c', c]);
  return { pid: 0, stop: async () => {
    await lab.exec('lb1', ['sh', '-c', `iptables -t nat -F PREROUTING; ip addr del ${VIP}/32 dev eth0; ip addr del ${LAB_ADDR.natGateway4}/24 dev eth0; sysctl -qw net.ipv4.ip_forward=0; conntrack -F 2>/dev/null; true`]);
    await undoNat();
  } };
}

/** HAProxy (mode tcp, 2 threads, roundrobin) or nginx stream (2 workers) on VIP:80 over the real servers. */
export async function startProxy(lab, kind, tag) {
  const rss = lab.byRole('realserver');
  const t = tmp(tag);
  await lab.execOk('lb1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
  let p;
  if (kind === 'haproxy') {
    writeFileSync(t.haproxy, `global\n  maxconn 4000\n  nbthread 2\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend f\n  bind ${VIP}:80\n  default_backend b\nbackend b\n  balance roundrobin\n${rss.map((rs) => `  server ${rs.name} ${addr4(rs)}:80\n`).join('')}`);
    p = lab.spawn('lb1', ['haproxy', '-db', '-f', t.haproxy]);
  } else {
    writeFileSync(t.nginx, `load_module /usr/lib/nginx/modules/ngx_stream_module.so;\nworker_processes 2;\ndaemon off;\npid ${t.nginxPid};\nerror_log ${t.nginxErr} warn;\nevents { worker_connections 4096; }\nstream {\n  upstream b {\n${rss.map((rs) => `    server ${addr4(rs)}:80;\n`).join('')}  }\n  server { listen ${VIP}:80; proxy_pass b; }\n}\n`);
    p = lab.spawn('lb1', ['nginx', '-e', t.nginxErr, '-c', t.nginx]);
  }
  await sleep(1000);
  const stop = async () => {
    const gone = new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(5000)]);
    await lab.exec('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  };
  if (p.exitCode !== null) {
    await stop();
    const why = kind === 'nginx' ? readFileSync(t.nginxErr, 'utf8').trim().split('\n').pop() : `exit ${p.exitCode}`;
    throw new Error(`${kind} exited (${why})`);
  }
  return { pid: p.pid, stop };
}

/** The C AF_PACKET DR forwarder (bench/live/c/afp-fwd) to rs1 with `threads` threads; the VIP held, the kernel kept out. */
export async function startCAfpacket(lab, threads) {
  const rs1 = lab.byRole('realserver')[0];
  await lab.execOk('lb1', ['sh', '-c', `ip addr add ${VIP}/32 dev eth0; iptables -t raw -A PREROUTING -d ${VIP} -m comment --comment ulvs-bench -j DROP`]);
  const p = lab.spawn('lb1', [`${CDIR}bin/afp-fwd`, 'eth0', VIP, await lab.mac(rs1.name), String(threads)]);
  await sleep(500);
  return { pid: p.pid, stop: async () => {
    p.kill('SIGTERM');
    await lab.exec('lb1', ['sh', '-c', `iptables -t raw -D PREROUTING -d ${VIP} -m comment --comment ulvs-bench -j DROP; ip addr del ${VIP}/32 dev eth0`]);
  } };
}

/** The C AF_XDP DR forwarder on lb1's eth0 (XDP redirect of VIP traffic to one AF_XDP socket, rs1 only). */
export async function startCXdp(lab) {
  const rs1 = lab.byRole('realserver')[0];
  // The VIP answers the router's ARP; its packets themselves never reach the stack (XDP redirects them).
  await lab.execOk('lb1', ['ip', 'addr', 'add', `${VIP}/32`, 'dev', 'eth0']);
  const p = lab.spawn('lb1', [`${CDIR}bin/xdp-fwd`, 'eth0', VIP, await lab.mac(rs1.name)]);
  let out = '';
  p.stdout?.on('data', (d) => { out += d; });
  p.stderr?.on('data', (d) => { out += d; });
  for (let i = 0; i < 50 && !out.includes('ready'); i++) await sleep(100);
  if (!out.includes('ready')) { p.kill('SIGKILL'); await lab.exec('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']); throw new Error(`xdp-fwd did not start: ${out.trim()}`); }
  return { pid: p.pid, stop: async () => {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
    await lab.exec('lb1', ['ip', 'addr', 'del', `${VIP}/32`, 'dev', 'eth0']);
  } };
}
