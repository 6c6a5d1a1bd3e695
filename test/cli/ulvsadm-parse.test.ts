// ulvsadm's command line: ipvsadm 1.31's parsing, checks, messages and exit codes (ipvsadm.c), as the
// rule model parses it (ipvs/command.ts) and ulvsadm prints it.
import t from 'tap';
import { parseIpvsadmArgs } from '../../src/ipvs/command.js';
import { main } from '../../src/cli/ulvsadm.js';

const parseIpvsadm = (argv: string[]) => parseIpvsadmArgs(argv, 'ulvsadm');

/** What ulvsadm prints to stderr and exits with for a command line it refuses (before any daemon is asked). */
async function err(argv: string[]): Promise<[string, number]> {
  let text = '';
  const code = await main(argv, {
    socketPath: '/nonexistent/ulvs.sock',
    stdout: () => {},
    stderr: (s) => {
      text += s;
    },
    readStdin: async () => '',
  });
  return [text, code];
}

t.test('add service defaults: wlc, /32, not persistent', async (t) => {
  t.same(parseIpvsadm(['-A', '-t', '10.0.0.1:80']), {
    kind: 'add-service',
    service: {
      key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 },
      scheduler: 'wlc',
      schedFlags: [],
      persistenceTimeoutS: 0,
      netmask: '255.255.255.255',
      onePacket: false,
      persistenceEngine: '',
    },
  });
});

t.test('bundled short options, --long=value, optional -p argument', async (t) => {
  // -p without a value is IPVS_SVC_PERSISTENT_TIMEOUT (libipvs.h: 6*60 s); flags are a bit set, listed in print_sched_flags order.
  const a = parseIpvsadm(['-At', '10.0.0.1:http', '-s', 'sh', '-b', 'sh-port,sh-fallback', '-p']);
  t.match(a, { service: { key: { port: 80 }, scheduler: 'sh', schedFlags: ['sh-fallback', 'sh-port'], persistenceTimeoutS: 360 } });
  const b = parseIpvsadm(['--add-service', '--udp-service=[2001:db8::1]:53', '--persistent', '60', '-M', '64', '-o']);
  t.match(b, { service: { key: { protocol: 'udp', family: 6, address: '2001:db8::1', port: 53 }, persistenceTimeoutS: 60, netmask: '64', onePacket: true } });
  t.match(parseIpvsadm(['-Ln']), { kind: 'list', format: { numeric: true } });
  t.match(parseIpvsadm(['-L', '-n', '--stats', '--exact']), { kind: 'list', format: { stats: true, exact: true } });
  t.match(parseIpvsadm(['-lnc']), { kind: 'list', format: { connection: true } });
  t.same(parseIpvsadm(['-Sn']), { kind: 'save', numeric: true });
});

t.test('real servers: DR/TUN take the service port, NAT keeps its own, default weight 1', async (t) => {
  t.match(parseIpvsadm(['-a', '-t', '10.0.0.1:80', '-r', '192.168.1.1:8080']), {
    kind: 'add-server',
    server: { address: '192.168.1.1', port: 80, forward: 'dr', weight: 1 },
  });
  t.match(parseIpvsadm(['-a', '-t', '10.0.0.1:80', '-r', '192.168.1.1:8080', '-m', '-w', '0', '-x', '10', '-y', '5']), {
    server: { port: 8080, forward: 'nat', weight: 0, upperThreshold: 10, lowerThreshold: 5 },
  });
  t.match(parseIpvsadm(['-a', '-f', '7', '-r', '192.168.1.1', '-i']), {
    key: { kind: 'fwmark', fwmark: 7 },
    server: { port: 0, forward: 'tun', tunType: 'ipip' },
  });
  t.match(parseIpvsadm(['-d', '-t', '10.0.0.1:80', '-r', '192.168.1.1']), { kind: 'delete-server', address: '192.168.1.1', port: 80 });
  t.match(parseIpvsadm(['--set', '900', '120', '300']), { kind: 'set-timeouts', timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 } });
  t.match(parseIpvsadm(['-Z', '-t', '10.0.0.1:80']), { kind: 'zero', key: { port: 80 } });
  t.same(parseIpvsadm(['-C']), { kind: 'flush' });
});

t.test('ipvsadm messages and exit codes', async (t) => {
  const cases: Array<[string[], string, number]> = [
    [['-A', '-t', '10.0.0.1'], 'Zero port specified for non-persistent service\n', 2],
    [['-A', '-t', '10.0.0.1:80', '-o'], 'One-Packet Scheduling is only for UDP virtual services\n', 2],
    [['-A', '-t', 'nonsense:80'], 'illegal virtual server address[:port] specified\n', 2],
    [['-A', '-t', '10.0.0.1:99999'], 'illegal virtual server address[:port] specified\n', 2],
    [['-a', '-t', '10.0.0.1:80', '-r', 'x.y'], 'illegal real server address[:port] specified\n', 2],
    [['-a', '-t', '10.0.0.1:80', '-r', '1.2.3.4', '-w', '70000'], 'illegal weight specified\n', 2],
    [['-a', '-t', '10.0.0.1:80'], "You need to supply the 'real-server' option for the 'add-server' command\n", 2],
    [['-A', '-t', '10.0.0.1:80', '-r', '1.2.3.4'], "Illegal 'real-server' option with the 'add-service' command\n", 2],
    [['-A', '-t', '10.0.0.1:80', '-s', 'rr', '-s', 'wlc'], "multiple 'scheduler' options specified\n", 2],
    [['-A', '-t', '10.0.0.1:80', '-E'], "invalid option `-E'\n", 2],
    [['-L', '-c', '--timeout'], "The option 'timeout' conflicts with the 'connection' option in the 'list' command\n", 2],
    [['-L', '-c', '--stats'], 'options conflicts in the list command\n', 2],
    [['-A', '-t', '10.0.0.1:80', '-p', 'abc'], "invalid timeout value `abc' specified\n", 2],
    [['-A', '-f', '0'], "invalid fwmark value `0' specified\n", 2],
    [['-A', '-t', '10.0.0.1:80', '-b', 'sh-port'], "incompatible scheduler flag `sh-port'\n", 2],
    [['-A', '-t', '10.0.0.1:80', '-b', 'bogus'], "invalid scheduler flag `bogus'\n", 2],
    [['--set', '1', '2'], '--set option requires 3 timeout values\n', 2],
    [['-C', 'extra'], 'unexpected argument extra\n', 2],
    [['-A', '-6', '-t', '10.0.0.1:80'], '-6 used before -f\n\n', 2],
    [['-a', '-t', '10.0.0.1:80', '-r', '1.2.3.4', '--tun-type', 'gue', '-i'], "You need to supply the 'tun-port' option for the 'gue' tunnel type\n", 2],
    [['-a', '-t', '10.0.0.1:80', '-r', '1.2.3.4', '--tun-type', 'ipip'], 'Tunnel options conflict with forward method\n', 2],
    [['-a', '-t', '10.0.0.1:80', '-r', '[2001:db8::1]:80', '-m'], 'Different address family is allowed only for tunneling servers\n', 2],
    [['-n', '-L'], "Try `ulvsadm -h' or 'ulvsadm --help' for more information.\n", 255],
    [['--bogus'], "Try `ulvsadm -h' or 'ulvsadm --help' for more information.\n", 255],
    [['-L', '--bogus'], '--bogus: unknown option\n', 255],
    [['-A', '-t'], '-t: missing argument\n', 255],
  ];
  for (const [argv, msg, code] of cases) t.same(await err(argv), [msg, code], argv.join(' '));
});

t.test('main: -h to stdout exit 0, no daemon → exit 2 with a clear sentence', async (t) => {
  let out = '';
  let errText = '';
  const io = {
    socketPath: '/nonexistent/ulvs.sock',
    stdout: (s: string) => {
      out += s;
    },
    stderr: (s: string) => {
      errText += s;
    },
    readStdin: async () => '',
  };
  t.equal(await main(['-h'], io), 0);
  t.match(out, /^ipvsadm v1\.31 2019\/12\/24 \(compiled with popt and IPVS v1\.2\.1\)\nUsage:\n  ulvsadm -A\|E virtual-service/);
  t.equal(await main(['-L', '-n'], io), 2);
  t.match(errText, /^Can't initialize ipvs: no ulvs daemon is running in this network namespace/);
  errText = '';
  t.equal(await main(['-A', '-t', 'bad'], io), 2);
  t.equal(errText, 'illegal virtual server address[:port] specified\n');
});
