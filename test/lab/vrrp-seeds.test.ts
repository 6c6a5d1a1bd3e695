// The seed scenarios with ulvs as the VRRP side, configs read by the real keepalived.conf loader:
// seed000 HA SNAT gateway (the seed's own notify scripts), seed002 AWS secondary IP (unicast,
// notify_master moves the address through a fake cloud API), seed003 unicast directors as-is.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { loadConfig } from '../../src/config/load-config.js';
import { run } from '../../src/util/exec.js';
import type { VrrpConfig } from '../../src/vrrp/types.js';

const root = process.getuid?.() === 0;
const SEEDS = new URL('../../../shared/seeds/configs/', import.meta.url).pathname;
const seedText = (f: string): string => readFileSync(`${SEEDS}${f}`, 'utf8');

/** Loads keepalived.conf text (written into the bed) with the project's parser; fails on errors. */
function vrrpOf(bed: VrrpBed, name: string, text: string): VrrpConfig {
  const file = bed.file(name, text);
  const r = loadConfig(file, { hostChecks: false });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((e) => e.message).join('; '));
  return r.model.vrrp;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

t.test('seed000 HA SNAT gateway: client reaches the internet across master stop and restart', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('s0'), [
    { name: 'a', addrs: ['192.168.1.202/24'] }, { name: 'b', addrs: ['192.168.1.203/24'] }, { name: 'client', addrs: ['192.168.1.10/24'] },
  ]);
  t.teardown(() => bed.down());
  // The "internet": one more namespace linked to both directors' eth1.
  const inet = bed.ns('inet');
  const { addNetns, ipBatch, sysctl } = await import('../../src/lab/netns.js');
  await addNetns(inet);
  (bed.nodes as string[]).push('inet');
  await ipBatch(inet, ['link add br1 type bridge', 'link set br1 up', 'addr add 198.51.100.1/24 dev br1']);
  for (const [n, ip] of [['a', '198.51.100.2'], ['b', '198.51.100.3']] as const) {
    await run(['ip', 'link', 'add', `i${bed.id.slice(-5)}${n}`, 'netns', inet, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', bed.ns(n)]);
    await ipBatch(inet, [`link set i${bed.id.slice(-5)}${n} master br1`, `link set i${bed.id.slice(-5)}${n} up`]);
    await ipBatch(bed.ns(n), [`addr add ${ip}/24 dev eth1`, 'link set eth1 up']);
  }
  await ipBatch(inet, ['route add 192.168.1.0/24 dev br1']);
  await sysctl(inet, ['net.ipv4.neigh.br1.base_reachable_time_ms=500', 'net.ipv4.neigh.br1.delay_first_probe_time=1']);
  await ipBatch(bed.ns('client'), ['route add default via 192.168.1.200']);
  // The seed's own scripts, with their log path mapped into the bed.
  const start = bed.file('ha_vip_start.sh', seedText('seed000-ha_vip_start.sh').replaceAll('/tmp/log', `${bed.dir}/log`), 0o755);
  const stop = bed.file('ha_vip_stop.sh', seedText('seed000-ha_vip_stop.sh').replaceAll('/tmp/log', `${bed.dir}/log`), 0o755);
  const mapScripts = (s: string): string => s.replaceAll('/etc/keepalived/scripts/ha_vip_start.sh', start).replaceAll('/etc/keepalived/scripts/ha_vip_stop.sh', stop);
  const cfgA = vrrpOf(bed, 'a.conf', mapScripts(seedText('seed000-snat-master.conf')));
  const cfgB = vrrpOf(bed, 'b.conf', mapScripts(seedText('seed000-snat-backup.conf')));
  const snat = async (n: string): Promise<boolean> => (await run(['iptables', '-t', 'nat', '-S', 'POSTROUTING'], { netns: bed.ns(n) })).stdout.includes('SNAT');
  // The internet host answers HTTP and sees the client as the SNAT address (the VIP).
  bed.file('inet.mjs', `import http from 'node:http'; http.createServer((q, r) => r.end('from ' + q.socket.remoteAddress)).listen(80, '198.51.100.1');`);
  bed.spawn('inet', [process.execPath, `${bed.dir}/inet.mjs`]);
  const reach = async (): Promise<boolean> => (await run(['curl', '-s', '-m', '1', 'http://198.51.100.1/'], { netns: bed.ns('client') })).stdout === 'from 192.168.1.200';

  let a = bed.ulvs('a', cfgA);
  const b = bed.ulvs('b', cfgB);
  if (!t.ok(await bed.until(async () => (await bed.holds('a', '192.168.1.200')) && (await snat('a')), 10000), 'master holds the VIP and its notify_master installed SNAT')) t.comment([...a.out, ...b.out].join('\n'));
  t.ok(await bed.until(reach, 5000), 'client reaches the internet through the master');
  t.notOk(await snat('b'), 'backup carries no SNAT rules');
  t.match((await run(['ip', '-o', 'addr', 'show', 'dev', 'eth0'], { netns: bed.ns('a') })).stdout, /eth0:havip/, 'the VIP carries its label');

  await stopProc(a);
  t.ok(await bed.until(async () => (await bed.holds('b', '192.168.1.200')) && (await snat('b')), 5000), 'master stop: backup holds the VIP with SNAT');
  t.notOk(await snat('a'), 'notify_stop flushed SNAT on the stopped master');
  t.ok(await bed.until(reach, 5000), 'client still reaches the internet');

  a = bed.ulvs('a', cfgA);
  t.ok(await bed.until(async () => (await bed.holds('a', '192.168.1.200')) && !(await bed.holds('b', '192.168.1.200')), 12000), 'restarted master (priority 100) takes the VIP back');
  t.ok(await bed.until(async () => !(await snat('b')), 3000), 'backup notify_backup flushed its SNAT rules');
  t.ok(await bed.until(reach, 5000), 'client reaches the internet again');
  const log = readFileSync(`${bed.dir}/log`, 'utf8');
  t.match(log, /start;[\s\S]*stop;[\s\S]*start;/, 'the seed scripts ran in order');
  await stopProc(a); await stopProc(b);
});

t.test('seed002 AWS secondary IP: notify_master moves the VIP through a fake cloud API', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('s2'), [
    { name: 'n101', addrs: ['10.0.1.101/24'] }, { name: 'n102', addrs: ['10.0.1.102/24'] }, { name: 'api', addrs: ['10.0.1.250/24'] }, { name: 'client', addrs: ['10.0.1.50/24'] },
  ]);
  t.teardown(() => bed.down());
  const mac = async (n: string): Promise<string> => (JSON.parse((await run(['ip', '-j', 'link', 'show', 'dev', 'eth0'], { netns: bed.ns(n) })).stdout) as { address: string }[])[0].address;
  const enis = { 'eni-101': { mac: await mac('n101') }, 'eni-102': { mac: await mac('n102') } };
  // The fake EC2 API: records AssignPrivateIpAddresses calls and "moves" the secondary IP the way the VPC
  // delivers it: the client's neighbour entry for the IP points at the assigned ENI (no ARP/GARP involved).
  const calls = `${bed.dir}/api-calls.log`;
  const server = bed.file('fake-ec2.mjs', `
import http from 'node:http'; import { appendFileSync } from 'node:fs'; import { execFileSync } from 'node:child_process';
const enis = ${JSON.stringify(enis)};
http.createServer((req, res) => { let body = ''; req.on('data', (d) => body += d); req.on('end', () => {
  const q = new URL(req.url, 'http://x').searchParams; const eni = q.get('eni'); const ip = q.get('ip');
  appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ action: q.get('Action'), eni, ip }) + '\\n');
  if (!enis[eni]) { res.writeHead(400); res.end('InvalidNetworkInterfaceID.NotFound'); return; }
  execFileSync('ip', ['-n', ${JSON.stringify(bed.ns('client'))}, 'neigh', 'replace', ip, 'lladdr', enis[eni].mac, 'dev', 'eth0', 'nud', 'permanent']);
  res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"Return":true}'); }); }).listen(80, '10.0.1.250');
`);
  bed.spawn('api', [process.execPath, server]);
  // A stand-in for the aws CLI that the seed's vip_master.sh calls.
  const bin = `${bed.dir}/bin`;
  await run(['mkdir', '-p', bin]);
  bed.file('bin/aws', `#!/bin/sh
# aws ec2 assign-private-ip-addresses --network-interface-id ENI --private-ip-addresses IP --allow-reassignment
while [ $# -gt 0 ]; do case "$1" in --network-interface-id) ENI=$2; shift;; --private-ip-addresses) IP=$2; shift;; esac; shift; done
exec curl -sf -X POST "http://10.0.1.250/?Action=AssignPrivateIpAddresses&eni=$ENI&ip=$IP"
`, 0o755);
  for (const n of ['101', '102']) {
    bed.file(`vip_master_${n}.sh`, `#!/bin/sh\nexport PATH=${bin}:$PATH\naws ec2 assign-private-ip-addresses --network-interface-id eni-${n} --private-ip-addresses 10.0.1.100 --allow-reassignment\n`, 0o755);
    const www = `${bed.dir}/www${n}`;
    await run(['mkdir', '-p', www]);
    bed.file(`www${n}/index.html`, `Hello from node ${n}\n`);
    bed.spawn(`n${n}`, ['python3', '-m', 'http.server', '80', '--bind', '0.0.0.0', '--directory', www]);
  }
  const conf = (n: string, peer: string, state: string, prio: number): string => `vrrp_instance VI_1 {
    state ${state}
    interface eth0
    virtual_router_id 51
    priority ${prio}
    advert_int 1
    unicast_src_ip 10.0.1.${n}
    unicast_peer {
        10.0.1.${peer}
    }
    virtual_ipaddress {
        10.0.1.100/32 dev eth0
    }
    notify_master ${bed.dir}/vip_master_${n}.sh
}
`;
  const a = bed.ulvs('n101', vrrpOf(bed, 'n101.conf', conf('101', '102', 'MASTER', 100)));
  const b = bed.ulvs('n102', vrrpOf(bed, 'n102.conf', conf('102', '101', 'BACKUP', 99)));
  const curl = async (): Promise<string> => (await run(['curl', '-s', '-m', '1', 'http://10.0.1.100/'], { netns: bed.ns('client') })).stdout.trim();
  const callLog = (): string => { try { return readFileSync(calls, 'utf8'); } catch { return ''; } };
  t.ok(await bed.until(async () => (await curl()) === 'Hello from node 101', 10000), 'the master called the API and serves the VIP');
  t.match(callLog(), /"action":"AssignPrivateIpAddresses","eni":"eni-101","ip":"10.0.1.100"/, 'the fake cloud recorded the assignment to the master ENI');
  t.notOk(await bed.holds('n102', '10.0.1.100'), 'the backup does not hold the VIP');
  await stopProc(a);
  t.ok(await bed.until(async () => (await curl()) === 'Hello from node 102', 5000), 'after the master stops, the new master moved the IP and serves it');
  t.match(callLog(), /"eni":"eni-102","ip":"10.0.1.100"/, 'the fake cloud recorded the move to the new master ENI');
  t.ok(await bed.holds('n102', '10.0.1.100'), 'the VIP ends up on the new master');
  await stopProc(b);
});

t.test('seed003 unicast directors run as-is (interfaces and addresses mapped)', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  // Public addresses of the seed are mapped into 10.65.0.0/24 so no test traffic names them.
  const map = (s: string): string => s.replaceAll('ens192', 'eth0').replaceAll('200.222.0.', '10.65.0.');
  const bed = await VrrpBed.up(bedId('s3'), [{ name: 'd1', addrs: ['10.65.0.73/24'] }, { name: 'd2', addrs: ['10.65.0.74/24'] }]);
  t.teardown(() => bed.down());
  const c1 = vrrpOf(bed, 'director1.conf', map(seedText('seed003-director1.conf')));
  const c2 = vrrpOf(bed, 'director2.conf', map(seedText('seed003-director2.conf')));
  t.equal(c1.instances[0].unicastPeers[0].address, '10.65.0.74');
  const d1 = bed.ulvs('d1', c1);
  const d2 = bed.ulvs('d2', c2);
  const VIP = '10.65.0.113';
  t.ok(await bed.until(async () => (await bed.holds('d1', VIP)) && !(await bed.holds('d2', VIP)), 8000), 'director1 (MASTER, 100) holds the VIP');
  await sleep(1200);
  t.notOk(await bed.holds('d2', VIP), 'director2 stays backup: the PASS-authenticated unicast adverts are accepted');
  await stopProc(d1, 'SIGKILL');
  t.ok(await bed.until(() => bed.holds('d2', VIP), 6000), 'kill -9 of director1: director2 takes over');
  await stopProc(d2);
});
