// lab: alone — BFD timers (300 ms) against FRR; once, beside another lab test under load, the TTL-254 case did not time the session out (passes alone; not explained), so it runs by itself.
// BFD with FRR 8.4's bfdd as the peer (RFC 5880/5881 single hop, 300 ms timers: a loaded 2-core host must not flap): `ulvs run -f FILE`
// with a bfd_instance, a vrrp_instance that tracks it (track_bfd, weight 0: FAULT while down) and a
// real server with BFD_CHECK. The session comes Up with FRR; `shutdown` of FRR's peer (AdminDown)
// takes the instance to FAULT and the real server out of `ulvsadm -L -n`; `no shutdown` brings both
// back; kill -9 of bfdd then ends the session by detection-time expiry (diag 1). Meanwhile FILE_CHECK
// (keepalived check_file.c): a track_file value × weight is added to a real server's weight, and with
// weight 0 a non-zero value takes the real server out. bfdd runs alone in
// its namespace with its own config, pid, vty and control socket in the bed's temp dir. A second,
// multihop session (RFC 5883, UDP 4784) with ulvs passive, and an IPv6 one, come Up too.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { VrrpBed, bedId, ensureDist, stopProc } from '../../bench/failover-lab.js';
import { main as ulvsadm } from '../../src/cli/ulvsadm.js';
import { run } from '../../src/util/exec.js';

const root = process.getuid?.() === 0;
const U = '10.74.0.1',
  F = '10.74.0.2',
  VIP = '10.74.0.100';

const conf = (file: string): string => `track_file tf {
 file ${file}
 weight 2
}
bfd_instance frr {
 neighbor_ip ${F}
 source_ip ${U}
 min_rx 300
 min_tx 300
 multiplier 3
}
bfd_instance frr_mh {
 neighbor_ip ${F}
 source_ip ${U}
 multihop
 passive
 max_hops 10
 min_rx 200
 min_tx 200
}
bfd_instance frr6 {
 neighbor_ip fd74::2
 source_ip fd74::1
 hoplimit 255
 min_rx 300
 min_tx 300
}
vrrp_instance VI_1 {
 state MASTER
 interface eth0
 virtual_router_id 74
 priority 100
 version 3
 advert_int 0.25
 virtual_ipaddress {
  ${VIP}/24
 }
 track_bfd {
  frr
 }
}
virtual_server ${VIP} 80 {
 protocol TCP
 lvs_sched rr
 lvs_method DR
 real_server ${F} 80 {
  BFD_CHECK {
   name frr
  }
 }
 real_server 10.74.0.3 80 {
  weight 5
  FILE_CHECK {
   track_file tf
  }
 }
 real_server 10.74.0.4 80 {
  FILE_CHECK {
   track_file tf
   weight 0
  }
 }
}
`;

t.test('track_bfd and BFD_CHECK follow a session with FRR bfdd; FILE_CHECK follows its file', { skip: !root && 'needs root' }, async (t) => {
  await ensureDist();
  const bed = await VrrpBed.up(bedId('bf'), [
    { name: 'u', addrs: [`${U}/24`, 'fd74::1/64'] },
    { name: 'f', addrs: [`${F}/24`, 'fd74::2/64'] },
  ]);
  t.teardown(() => bed.down());
  const frrConf = bed.file(
    'bfdd.conf',
    `bfd\n peer ${U} local-address ${F}\n  receive-interval 300\n  transmit-interval 300\n  detect-multiplier 3\n !\n peer ${U} multihop local-address ${F}\n !\n peer fd74::1 local-address fd74::2\n !\n!\n`,
  );
  await run(['chmod', '-R', 'a+rwX', bed.dir]);
  const bfdd = bed.spawn('f', [
    '/usr/lib/frr/bfdd',
    '-f',
    frrConf,
    '-i',
    path.join(bed.dir, 'bfdd.pid'),
    '-z',
    path.join(bed.dir, 'zserv.api'),
    '--vty_socket',
    bed.dir,
    '--bfdctl',
    path.join(bed.dir, 'bfdd.sock'),
    '-P',
    '0',
    '--log',
    'stdout',
  ]);
  const vtysh = (...cmds: string[]) => run(['vtysh', '--vty_socket', bed.dir, ...cmds.flatMap((c) => ['-c', c])], { netns: bed.ns('f'), timeoutMs: 5000 });
  const frrStatus = async (multihop = false, peer = U): Promise<string> => {
    try {
      return (
        (JSON.parse((await vtysh('show bfd peers json')).stdout) as Array<{ status?: string; multihop?: boolean; peer?: string }>).find(
          (p) => !!p.multihop === multihop && p.peer === peer,
        )?.status ?? ''
      );
    } catch {
      return '';
    }
  };
  const peerCmd = (c: string) => vtysh('configure terminal', 'bfd', `peer ${U} local-address ${F}`, c);
  const tf = bed.file('tf', '0\n');
  const cc = await run([process.execPath, path.join(process.cwd(), 'bin/ulvs.mjs'), 'check-config', '-f', bed.file('check.conf', conf(tf))]);
  t.equal(cc.code, 0, `check-config accepts what run runs: ${cc.stdout}${cc.stderr}`);
  const u = bed.ulvsRun('u', conf(tf));
  const listing = async (): Promise<string> => {
    let out = '';
    await ulvsadm(['-L', '-n'], {
      socketPath: path.join(bed.dir, 'u-ulvs.sock'),
      stdout: (s) => {
        out += s;
      },
      stderr: () => {},
      readStdin: async () => '',
    });
    return out;
  };
  const rsListed = async () => (await listing()).includes(`-> ${F}:80`);
  const expect = async (ok: () => Promise<boolean>, what: string, ms = 10000): Promise<void> => {
    if (!t.ok(await bed.until(ok, ms), what)) t.comment([...u.out.slice(-15), ...bfdd.out.slice(-5)].join('\n'));
  };

  await expect(async () => (await frrStatus()) === 'up', 'FRR sees the session Up');
  await expect(async () => (await frrStatus(true)) === 'up', 'FRR sees the multihop session (UDP 4784, ulvs passive) Up');
  await expect(async () => (await frrStatus(false, 'fd74::1')) === 'up', 'FRR sees the IPv6 session (hoplimit 255) Up');
  await expect(() => bed.holds('u', VIP), 'track_bfd instance leaves FAULT and becomes MASTER (holds the VIP)');
  await expect(rsListed, 'BFD_CHECK real server is in ulvsadm -L -n');

  const weightOf = async (rs: string): Promise<number | undefined> => {
    const m = new RegExp(`-> ${rs.replace(/\./g, '\\.')}:80\\s+\\S+\\s+(\\d+)`).exec(await listing());
    return m ? Number(m[1]) : undefined;
  };
  await expect(async () => (await weightOf('10.74.0.3')) === 5 && (await weightOf('10.74.0.4')) === 1, 'FILE_CHECK, file 0: weights 5 and 1 as configured');
  writeFileSync(tf, '3\n');
  await expect(
    async () => (await weightOf('10.74.0.3')) === 11 && (await weightOf('10.74.0.4')) === undefined,
    'FILE_CHECK, file 3: weight 5 + 3 × 2 = 11; the weight-0 checker takes its server out',
  );
  writeFileSync(tf, '0\n');
  await expect(async () => (await weightOf('10.74.0.3')) === 5 && (await weightOf('10.74.0.4')) === 1, 'FILE_CHECK, file 0 again: both restored');

  await peerCmd('shutdown');
  await expect(async () => !(await bed.holds('u', VIP)), 'FRR shutdown (AdminDown): instance goes FAULT, VIP removed');
  await expect(async () => !(await rsListed()), 'FRR shutdown: real server out of ulvsadm -L -n');
  t.ok(
    u.out.some((l) => /VI_1: MASTER -> FAULT/.test(l)),
    'the log names the FAULT transition',
  );

  await peerCmd('no shutdown');
  await expect(async () => (await frrStatus()) === 'up', 'no shutdown: session Up again');
  await expect(() => bed.holds('u', VIP), 'no shutdown: instance MASTER again');
  await expect(rsListed, 'no shutdown: real server back in service');

  t.notOk(
    u.out.some((l) => /received TTLs are not checked/.test(l)),
    'ulvs has its raw UDP receiver (else rebuild the addon: node scripts/build-native.mjs)',
  );
  // RFC 5881 §5: a single-hop packet must arrive with TTL 255; FRR's packets one hop "further" are dropped.
  const ttlRule = (op: '-A' | '-D') =>
    run(['iptables', '-t', 'mangle', op, 'POSTROUTING', '-p', 'udp', '--dport', '3784', '-j', 'TTL', '--ttl-set', '254'], { netns: bed.ns('f') });
  t.equal((await ttlRule('-A')).code, 0, 'FRR side now sends TTL 254');
  await expect(async () => !(await bed.holds('u', VIP)), 'TTL 254 packets are dropped: the session times out, FAULT');
  await ttlRule('-D');
  await expect(() => bed.holds('u', VIP), 'TTL 255 again: session Up, MASTER again');

  await stopProc(bfdd, 'SIGKILL');
  await expect(async () => !(await bed.holds('u', VIP)) && !(await rsListed()), 'kill -9 of bfdd: detection time expires, FAULT and real server out');
  t.ok(
    u.out.some((l) => /bfd_instance frr: Up -> Down/.test(l)),
    'the session went Up -> Down',
  );
  await stopProc(u);
  t.equal(await u.exited, 0, 'ulvs exits cleanly');
});
