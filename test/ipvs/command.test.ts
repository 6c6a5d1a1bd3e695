// ipvsadm command-line parsing: forms, defaults and every rejection with ipvsadm 1.31's message
// (ipvsadm.c parse_options / process_options / generic_opt_check) and exit status.
import t from 'tap';
import { parseIpvsadmArgs } from '../../src/ipvs/command.js';
import { IpvsadmError } from '../../src/ipvs/errors.js';

const p = (line: string) => parseIpvsadmArgs(line.split(' ').filter(Boolean));

t.test('virtual services', async (t) => {
  t.same(p('-A -t 10.0.0.1:80 -s rr'), {
    kind: 'add-service',
    service: {
      key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 },
      scheduler: 'rr',
      schedFlags: [],
      persistenceTimeoutS: 0,
      netmask: '255.255.255.255',
      onePacket: false,
      persistenceEngine: '',
    },
  });
  // Long forms, "=" values, default scheduler wlc, -p without a value = 360 s (IPVS_SVC_PERSISTENT_TIMEOUT).
  const long = p('--add-service --udp-service=10.0.0.2:53 --persistent --netmask 255.255.255.0 --ops');
  t.match(long, {
    kind: 'add-service',
    service: { key: { protocol: 'udp', port: 53 }, scheduler: 'wlc', persistenceTimeoutS: 360, netmask: '255.255.255.0', onePacket: true },
  });
  // -p takes the next word when it is not an option.
  t.match(p('-A -t 10.0.0.1:80 -p 600 -s sh -b sh-port,sh-fallback'), {
    service: { persistenceTimeoutS: 600, scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'] },
  });
  // flag-N on sh means the sh flag of the same bit (print_sched_flags).
  t.match(p('-A -t 10.0.0.1:80 -s sh -b flag-2'), { service: { schedFlags: ['sh-port'] } });
  // IPv6 in brackets; netmask then is a prefix length (default 128).
  t.match(p('-A -t [2001:DB8::1]:443 -s mh -p -M 64'), { service: { key: { family: 6, address: '2001:db8::1', port: 443 }, netmask: '64' } });
  // Service names resolve through /etc/services for the protocol.
  t.match(p('-A -t 10.0.0.1:http'), { service: { key: { port: 80 } } });
  // fwmark services, -6 after -f.
  t.match(p('-A -f 7 -s rr'), { service: { key: { kind: 'fwmark', fwmark: 7, family: 4 } } });
  t.match(p('-A -f 7 -6 -s rr'), { service: { key: { kind: 'fwmark', fwmark: 7, family: 6 }, netmask: '128' } });
  // --sctp-service, -E, -D.
  t.match(p('-E --sctp-service 10.0.0.1:9 -s lc'), { kind: 'edit-service', service: { key: { protocol: 'sctp' } } });
  t.same(p('-D -t 10.0.0.1:80'), { kind: 'delete-service', key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 } });
  // Bundled short options and attached values.
  t.match(p('-At10.0.0.1:80 -srr'), { kind: 'add-service', service: { scheduler: 'rr', key: { port: 80 } } });
});

t.test('real servers', async (t) => {
  t.same(p('-a -t 10.0.0.1:80 -r 192.168.10.1:8080 -m -w 3 -x 100 -y 50'), {
    kind: 'add-server',
    key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 },
    server: { address: '192.168.10.1', port: 8080, forward: 'nat', weight: 3, upperThreshold: 100, lowerThreshold: 50 },
  });
  // DR (default) and TUN force the service port; weight defaults to 1.
  t.match(p('-a -t 10.0.0.1:80 -r 192.168.10.1:8080'), { server: { port: 80, forward: 'dr', weight: 1 } });
  t.match(p('-e -t 10.0.0.1:80 -r 192.168.10.1 -i --tun-type gue --tun-port 6080 --tun-csum'), {
    kind: 'edit-server',
    server: { port: 80, forward: 'tun', tunType: 'gue', tunPort: 6080, tunCsum: 'csum' },
  });
  // Without a port the real server gets the service port (also for -d).
  t.same(p('-d -t 10.0.0.1:80 -r 192.168.10.1'), {
    kind: 'delete-server',
    key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 },
    address: '192.168.10.1',
    port: 80,
  });
  // fwmark: port 0 = keep the packet's port; -g does not force it.
  t.match(p('-a -f 7 -r 192.168.10.9 -g'), { server: { port: 0 } });
  // Tunnel to another family is allowed.
  t.match(p('-a -t 10.0.0.1:80 -r [2001:db8::5]:80 -i'), { server: { address: '2001:db8::5', forward: 'tun', tunType: 'ipip' } });
  t.match(p('-a -t [2001:db8::1]:80 -r [2001:db8::5]:80 -m -w 0'), { server: { weight: 0 } });
});

t.test('other commands', async (t) => {
  t.same(p('-C'), { kind: 'flush' });
  t.same(p('--clear'), { kind: 'flush' });
  t.same(p('-Z'), { kind: 'zero' });
  t.match(p('-Z -t 10.0.0.1:80'), { kind: 'zero', key: { port: 80 } });
  t.same(p('--set 900 120 300'), { kind: 'set-timeouts', timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } });
  t.same(p('-S -n'), { kind: 'save', numeric: true });
  t.same(p('--save'), { kind: 'save', numeric: false });
  t.same(p('-R'), { kind: 'restore' });
  t.same(p('-h'), { kind: 'help' });
  t.match(p('-Ln'), { kind: 'list', format: { numeric: true } });
  t.match(p('-L -n --stats --exact --nosort --sort'), { kind: 'list', format: { stats: true, exact: true, noSort: true } });
  t.match(p('-l -c -n --persistent-conn'), { kind: 'list', format: { connection: true, persistentConn: true } });
  t.match(p('-L -t 10.0.0.1:80 --rate'), { kind: 'list', key: { port: 80 }, format: { rate: true } });
  t.match(p('-L --timeout'), { format: { timeout: true } });
  t.match(p('-L --thresholds --tun-info'), { format: { thresholds: true, tunInfo: true } });
  t.match(p('--start-daemon master --mcast-interface eth0 --syncid 5'), { kind: 'start-daemon', state: 'master' });
  t.same(parseIpvsadmArgs([]), {
    kind: 'list',
    format: {
      numeric: false,
      connection: false,
      timeout: false,
      daemon: false,
      stats: false,
      rate: false,
      thresholds: false,
      persistentConn: false,
      noSort: false,
      exact: false,
      tunInfo: false,
    },
  });
});

const errors: Array<[string, string, number]> = [
  ['-t 10.0.0.1:80 -A', "Try `ipvsadm -h' or 'ipvsadm --help' for more information.", 255],
  ['-A -t 10.0.0.1:80 --bogus', '--bogus: unknown option', 255],
  ['-A -t 10.0.0.1:80 -E', "invalid option `-E'", 2],
  ['-A -t 10.0.0.1:80 -s rr -s wlc', "multiple 'scheduler' options specified", 2],
  ['-A -t 10.0.0.1', 'Zero port specified for non-persistent service', 2],
  ['-A -t 10.0.0.1:80 -o', 'One-Packet Scheduling is only for UDP virtual services', 2],
  ['-A -t 80', 'illegal virtual server address[:port] specified', 2],
  ['-A -t 10.0.0.1:99999', 'illegal virtual server address[:port] specified', 2],
  ['-A -t [2001:db8::1]', 'illegal virtual server address[:port] specified', 2],
  ['-A -t 10.0.0.1:nosuchservice', 'illegal virtual server address[:port] specified', 2],
  ['-A -f 0', "invalid fwmark value `0' specified", 2],
  ['-A -6 -f 1', '-6 used before -f\n', 2],
  ['-A -t 10.0.0.1:80 -p 0', "invalid timeout value `0' specified", 2],
  ['-A -t 10.0.0.1:80 -p 2678401', "invalid timeout value `2678401' specified", 2],
  ['-A -t 10.0.0.1:80 -M 255.255.255.300', 'illegal virtual server persistent mask specified', 2],
  ['-A -t [::1]:80 -M 129', 'illegal ipv6 netmask specified', 2],
  ['-A -t 10.0.0.1:80 -b sh-port', "incompatible scheduler flag `sh-port'", 2],
  ['-A -t 10.0.0.1:80 -s mh -b mh-port,bogus', "invalid scheduler flag `bogus'", 2],
  ['-A -t 10.0.0.1:80 -r 1.2.3.4', "Illegal 'real-server' option with the 'add-service' command", 2],
  ['-A -s rr', "You need to supply the 'service-address' option for the 'add-service' command", 2],
  ['-a -t 10.0.0.1:80', "You need to supply the 'real-server' option for the 'add-server' command", 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -w 65536', 'illegal weight specified', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -w -1', 'illegal weight specified', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -x abc', 'illegal u_threshold specified', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -y 2147483648', 'illegal l_threshold specified', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -m -i', "multiple 'forwarding-method' options specified", 2],
  ['-a -t 10.0.0.1:80 -r [::5]:80 -m', 'Different address family is allowed only for tunneling servers', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -m --tun-type gre', 'Tunnel options conflict with forward method', 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type gue', "You need to supply the 'tun-port' option for the 'gue' tunnel type", 2],
  [
    '-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type gre --tun-csum --tun-nocsum',
    "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type",
    2,
  ],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type ipip --tun-port 5', "Illegal 'tun-port' option with the 'ipip' tunnel type", 2],
  ['-a -t 10.0.0.1:80 -r 1.2.3.4 -i --tun-type vxlan', 'illegal tunnel type specified', 2],
  ['-d -t 10.0.0.1:80 -r 1.2.3.4 -w 2', "Illegal 'weight' option with the 'delete-server' command", 2],
  ['-L -c --stats', 'options conflicts in the list command', 2],
  ['-L -c --timeout', "The option 'timeout' conflicts with the 'connection' option in the 'list' command", 2],
  ['--set 900 120', '--set option requires 3 timeout values', 2],
  ['--set 900 120 x', "invalid timeout value `x' specified", 2],
  ['-C extra', 'unexpected argument extra', 2],
  ['-S -c', "Illegal 'connection' option with the 'save' command", 2],
  ['--start-daemon primary', 'illegal start-daemon parameter specified', 2],
];

for (const [line, message, exitCode] of errors) {
  t.test(`rejects: ${line}`, async (t) => {
    const e = t.throws(() => p(line)) as unknown as IpvsadmError;
    t.ok(e instanceof IpvsadmError);
    t.equal(e.message, message);
    t.equal(e.exitCode, exitCode);
  });
}
