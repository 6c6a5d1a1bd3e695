// The seed scenarios run by the ulvs daemon (`ulvs run -f keepalived.conf`, the file alone):
// seed002 AWS secondary IP (unicast, notify_master moves the address through a fake cloud API).
import { readFileSync } from 'node:fs';
import t from 'tap';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;

t.test('seed002 AWS secondary IP: notify_master moves the VIP through a fake cloud API', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('s2'), [
    { name: 'n101', addrs: ['10.0.1.101/24'] },
    { name: 'n102', addrs: ['10.0.1.102/24'] },
    { name: 'api', addrs: ['10.0.1.250/24'] },
    { name: 'client', addrs: ['10.0.1.50/24'] },
  ]);
  t.teardown(() => bed.down());
  const mac = async (n: string): Promise<string> =>
    (JSON.parse((await run(['ip', '-j', 'link', 'show', 'dev', 'eth0'], { netns: bed.ns(n) })).stdout) as { address: string }[])[0].address;
  const enis = { 'eni-101': { mac: await mac('n101') }, 'eni-102': { mac: await mac('n102') } };
  // The fake EC2 API: records AssignPrivateIpAddresses calls and "moves" the secondary IP the way the VPC
  // delivers it: the client's neighbour entry for the IP points at the assigned ENI (no ARP/GARP involved).
  const calls = `${bed.dir}/api-calls.log`;
  const server = bed.file(
    'fake-ec2.mjs',
    `
import http from 'node:http'; import { appendFileSync } from 'node:fs'; import { execFileSync } from 'node:child_process';
const enis = ${JSON.stringify(enis)};
http.createServer((req, res) => { let body = ''; req.on('data', (d) => body += d); req.on('end', () => {
  const q = new URL(req.url, 'http://x').searchParams; const eni = q.get('eni'); const ip = q.get('ip');
  appendFileSync(${JSON.stringify(calls)}, JSON.stringify({ action: q.get('Action'), eni, ip }) + '\\n');
  if (!enis[eni]) { res.writeHead(400); res.end('InvalidNetworkInterfaceID.NotFound'); return; }
  execFileSync('ip', ['-n', ${JSON.stringify(bed.ns('client'))}, 'neigh', 'replace', ip, 'lladdr', enis[eni].mac, 'dev', 'eth0', 'nud', 'permanent']);
  res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"Return":true}'); }); }).listen(80, '10.0.1.250');
`,
  );
  bed.spawn('api', [process.execPath, server]);
  // A stand-in for the aws CLI that the seed's vip_master.sh calls.
  const bin = `${bed.dir}/bin`;
  await run(['mkdir', '-p', bin]);
  bed.file(
    'bin/aws',
    `#!/bin/sh
# aws ec2 assign-private-ip-addresses --network-interface-id ENI --private-ip-addresses IP --allow-reassignment
while [ $# -gt 0 ]; do case "$1" in --network-interface-id) ENI=$2; shift;; --private-ip-addresses) IP=$2; shift;; esac; shift; done
exec curl -sf -X POST "http://10.0.1.250/?Action=AssignPrivateIpAddresses&eni=$ENI&ip=$IP"
`,
    0o755,
  );
  for (const n of ['101', '102']) {
    bed.file(
      `vip_master_${n}.sh`,
      `#!/bin/sh\nexport PATH=${bin}:$PATH\naws ec2 assign-private-ip-addresses --network-interface-id eni-${n} --private-ip-addresses 10.0.1.100 --allow-reassignment\n`,
      0o755,
    );
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
  const a = bed.ulvsRun('n101', conf('101', '102', 'MASTER', 100));
  const b = bed.ulvsRun('n102', conf('102', '101', 'BACKUP', 99));
  const curl = async (): Promise<string> => (await run(['curl', '-s', '-m', '1', 'http://10.0.1.100/'], { netns: bed.ns('client') })).stdout.trim();
  const callLog = (): string => {
    try {
      return readFileSync(calls, 'utf8');
    } catch {
      return '';
    }
  };
  if (!t.ok(await bed.until(async () => (await curl()) === 'Hello from node 101', 15000), 'the master called the API and serves the VIP'))
    t.comment(a.out.join('\n'));
  t.ok(
    await bed.until(() => /"action":"AssignPrivateIpAddresses","eni":"eni-101","ip":"10.0.1.100"/.test(callLog()), 5000),
    'the fake cloud recorded the assignment to the master ENI',
  );
  t.notOk(await bed.holds('n102', '10.0.1.100'), 'the backup does not hold the VIP');
  await stopProc(a);
  t.ok(await bed.until(() => /"eni":"eni-102","ip":"10.0.1.100"/.test(callLog()), 8000), 'the fake cloud recorded the move to the new master ENI');
  t.ok(await bed.until(async () => (await curl()) === 'Hello from node 102', 5000), 'after the master stops, the new master moved the IP and serves it');
  t.ok(await bed.holds('n102', '10.0.1.100'), 'the VIP ends up on the new master');
  await stopProc(b);
});
