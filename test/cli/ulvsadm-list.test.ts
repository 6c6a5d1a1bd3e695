// Golden tests: ulvsadm listings against texts derived from ipvsadm 1.31's printf formats (ipvsadm.c).
import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { listAllText, listServiceText, listTimeoutText, listDaemonText, saveText } from '../../src/cli/ulvsadm/list-services.js';
import { listConnectionsText } from '../../src/cli/ulvsadm/list-connections.js';
import { largeNum, listFormat } from '../../src/cli/ulvsadm/format.js';
import { zeroRates, zeroStats, type DestEntry, type IpvsListing, type ServiceEntry } from '../../src/control/types.js';
import type { RealServerSpec, VirtualServiceSpec } from '../../src/ipvs/types.js';

function dest(p: Partial<RealServerSpec> & { address: string; port: number }, extra: Partial<DestEntry> = {}): DestEntry {
  return {
    forward: 'dr',
    weight: 1,
    upperThreshold: 0,
    lowerThreshold: 0,
    family: 4,
    activeConns: 0,
    inactiveConns: 0,
    persistConns: 0,
    stats: zeroStats(),
    rates: zeroRates(),
    ...p,
    ...extra,
  };
}
function svc(
  spec: Partial<Omit<VirtualServiceSpec, 'realServers'>> & Pick<VirtualServiceSpec, 'key'>,
  dests: DestEntry[],
  extra: Partial<ServiceEntry> = {},
): ServiceEntry {
  return {
    spec: { scheduler: 'wlc', schedFlags: [], persistenceTimeoutS: 0, netmask: '255.255.255.255', onePacket: false, persistenceEngine: '', ...spec },
    stats: zeroStats(),
    rates: zeroRates(),
    dests,
    ...extra,
  };
}

const web = svc(
  { key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 } },
  [dest({ address: '192.168.10.2', port: 80, weight: 2 }), dest({ address: '192.168.10.1', port: 80, forward: 'nat' }, { activeConns: 3, inactiveConns: 17 })],
  { stats: { conns: 1234, inPkts: 56789, outPkts: 0, inBytes: 3456789, outBytes: 123456789 } },
);
const dns = svc(
  {
    key: { kind: 'addr', protocol: 'udp', family: 4, address: '10.0.0.2', port: 53 },
    scheduler: 'sh',
    schedFlags: ['sh-fallback', 'sh-port'],
    persistenceTimeoutS: 300,
    netmask: '255.255.255.0',
  },
  [],
);
const fwm = svc({ key: { kind: 'fwmark', fwmark: 7, family: 4 }, scheduler: 'rr' }, [
  dest({ address: '192.168.10.9', port: 0, forward: 'tun', tunType: 'ipip' }),
]);
const listing: IpvsListing = { version: '1.2.1', connTabSize: 4096, services: [fwm, dns, web], timeouts: { tcpS: 900, tcpFinS: 120, udpS: 300 }, daemons: [] };

t.test('-L -n: header, sort order, dest line trailing spaces', async (t) => {
  t.equal(
    listAllText(listing, listFormat({ numeric: true })),
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  10.0.0.1:80 wlc',
      '  -> 192.168.10.1:80              Masq    1      3          17        ',
      '  -> 192.168.10.2:80              Route   2      0          0         ',
      'UDP  10.0.0.2:53 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0',
      'FWM  7 rr',
      '  -> 192.168.10.9:0               Tunnel  1      0          0         ',
      '',
    ].join('\n'),
  );
});

t.test('--nosort keeps the kernel order', async (t) => {
  const out = listAllText(listing, listFormat({ numeric: true, noSort: true }));
  t.match(out, /FWM  7 rr\n[^]*UDP  10.0.0.2:53[^]*TCP  10.0.0.1:80 wlc\n  -> 192.168.10.2:80/);
});

t.test('--stats and --exact', async (t) => {
  t.equal(
    listAllText({ ...listing, services: [web] }, listFormat({ numeric: true, stats: true })),
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.1:80                      1234    56789        0  3456789  123456K',
      '  -> 192.168.10.1:80                     0        0        0        0        0',
      '  -> 192.168.10.2:80                     0        0        0        0        0',
      '',
    ].join('\n'),
  );
  const exact = listAllText({ ...listing, services: [web] }, listFormat({ numeric: true, stats: true, exact: true }));
  t.match(exact, /TCP  10\.0\.0\.1:80                      1234    56789        0  3456789 123456789\n/);
});

t.test('print_largenum scaling', async (t) => {
  t.equal(largeNum(99999999, false), ' 99999999');
  t.equal(largeNum(100000000, false), '  100000K');
  t.equal(largeNum(1000000000, false), '    1000M');
  t.equal(largeNum(100000000000, false), '     100G');
  t.equal(largeNum(100000000000000, false), '     100T');
  t.equal(largeNum(5, true), '        5');
  t.equal(largeNum(1234567890, true), ' 1234567890');
});

t.test('--rate: dest CPS/PPS are plain %8llu', async (t) => {
  const s = svc(web.spec, [dest({ address: '192.168.10.1', port: 80 }, { rates: { cps: 12, inPps: 340, outPps: 0, inBps: 450000000, outBps: 0 } })], {
    rates: { cps: 12, inPps: 340, outPps: 0, inBps: 45000, outBps: 0 },
  });
  t.equal(
    listServiceText(s, listFormat({ numeric: true, rate: true })),
    [
      'Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.1:80                        12      340        0    45000        0',
      '  -> 192.168.10.1:80                    12      340        0  450000K        0',
      '',
    ].join('\n'),
  );
});

t.test('--thresholds and --persistent-conn', async (t) => {
  const s = svc(web.spec, [
    dest({ address: '192.168.10.1', port: 80, upperThreshold: 100, lowerThreshold: 50 }, { activeConns: 4, inactiveConns: 2, persistConns: 1 }),
  ]);
  t.equal(
    listServiceText(s, listFormat({ numeric: true, thresholds: true })),
    [
      'Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.1:80 wlc',
      '  -> 192.168.10.1:80              100        50         4          2         ',
      '',
    ].join('\n'),
  );
  t.equal(
    listServiceText(s, listFormat({ numeric: true, persistentConn: true })),
    [
      'Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn ',
      '  -> RemoteAddress:Port',
      'TCP  10.0.0.1:80 wlc',
      '  -> 192.168.10.1:80              1         1           4          2         ',
      '',
    ].join('\n'),
  );
});

t.test('--tun-info', async (t) => {
  t.equal(
    listServiceText(fwm, listFormat({ numeric: true, tunInfo: true })),
    [
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
      'FWM  7 rr',
      '  -> 192.168.10.9:0               Tunnel  ipip          1      0          0         ',
      '',
    ].join('\n'),
  );
});

t.test('-S -n: restorable rules', async (t) => {
  t.equal(
    saveText(listing, true),
    [
      '-A -t 10.0.0.1:80 -s wlc',
      '-a -t 10.0.0.1:80 -r 192.168.10.1:80 -m -w 1',
      '-a -t 10.0.0.1:80 -r 192.168.10.2:80 -g -w 2',
      '-A -u 10.0.0.2:53 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port',
      '-A -f 7 -s rr',
      '-a -f 7 -r 192.168.10.9:0 -i -w 1 --tun-type ipip',
      '',
    ].join('\n'),
  );
});

t.test('gue/gre real servers: -S prints --tun-port and the checksum option, --tun-info type:port:flags (ipvsadm 1.31)', async (t) => {
  const tun = svc({ key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 }, scheduler: 'rr' }, [
    dest({ address: '192.168.10.12', port: 80, forward: 'tun', tunType: 'gre', tunCsum: 'csum' }),
    dest({ address: '192.168.10.11', port: 80, forward: 'tun', tunType: 'gue', tunPort: 6080, tunCsum: 'remcsum' }),
    dest({ address: '192.168.10.10', port: 80, forward: 'tun', tunType: 'ipip' }),
    dest({ address: '192.168.10.13', port: 80, forward: 'nat' }),
  ]);
  t.equal(
    saveText({ ...listing, services: [tun] }, true),
    [
      '-A -t 10.0.0.1:80 -s rr',
      '-a -t 10.0.0.1:80 -r 192.168.10.10:80 -i -w 1 --tun-type ipip',
      '-a -t 10.0.0.1:80 -r 192.168.10.11:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum',
      '-a -t 10.0.0.1:80 -r 192.168.10.12:80 -i -w 1 --tun-type gre --tun-csum',
      '-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 1',
      '',
    ].join('\n'),
  );
  t.equal(
    listServiceText(tun, listFormat({ numeric: true, tunInfo: true })),
    [
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn',
      'TCP  10.0.0.1:80 rr',
      '  -> 192.168.10.10:80             Tunnel  ipip          1      0          0         ',
      '  -> 192.168.10.11:80             Tunnel  gue:6080:r+c  1      0          0         ',
      '  -> 192.168.10.12:80             Tunnel  gre:+c        1      0          0         ',
      '  -> 192.168.10.13:80             Masq    n/a           1      0          0         ',
      '',
    ].join('\n'),
  );
});

t.test(
  '-S without -n names hosts and ports as -L does',
  { skip: !/^http\s+80\/tcp/m.test(existsSync('/etc/services') ? readFileSync('/etc/services', 'utf8') : '') && 'no http in /etc/services' },
  async (t) => {
    t.equal(saveText({ ...listing, services: [web] }, false).split('\n')[0], '-A -t 10.0.0.1:http -s wlc');
  },
);

t.test('IPv6 services: brackets, no truncation, prefix mask, IPv6 fwmark', async (t) => {
  const v6 = svc(
    {
      key: { kind: 'addr', protocol: 'tcp', family: 6, address: '2001:db8::1', port: 443 },
      scheduler: 'rr',
      persistenceTimeoutS: 60,
      netmask: '64',
      onePacket: false,
    },
    [dest({ address: '2001:db8::10', port: 443, forward: 'nat' }, { family: 6 })],
  );
  const f6 = svc({ key: { kind: 'fwmark', fwmark: 3, family: 6 }, netmask: '128' }, []);
  t.equal(
    listAllText({ ...listing, services: [f6, v6] }, listFormat({ numeric: true })),
    [
      'IP Virtual Server version 1.2.1 (size=4096)',
      'Prot LocalAddress:Port Scheduler Flags',
      '  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn',
      'TCP  [2001:db8::1]:443 rr persistent 60 mask 64',
      '  -> [2001:db8::10]:443           Masq    1      0          0         ',
      'FWM  3 IPv6 wlc',
      '',
    ].join('\n'),
  );
  t.equal(saveText({ ...listing, services: [f6] }, true), '-A -f 3 -6 -s wlc\n');
});

t.test('libipvs sort wraps like C int differences', async (t) => {
  const a = svc({ key: { kind: 'addr', protocol: 'tcp', family: 4, address: '10.0.0.1', port: 80 } }, []);
  const b = svc({ key: { kind: 'addr', protocol: 'tcp', family: 4, address: '200.0.0.1', port: 80 } }, []);
  // 0x0a000001 - 0xc8000001 wraps to a positive int: ipvsadm lists 200.0.0.1 first.
  const out = saveText({ ...listing, services: [a, b] }, true);
  t.equal(out, '-A -t 200.0.0.1:80 -s wlc\n-A -t 10.0.0.1:80 -s wlc\n');
});

t.test('long IPv4 names are cut at 33 and 28 characters; ops; flags on other schedulers', async (t) => {
  const s = svc(
    { key: { kind: 'addr', protocol: 'sctp', family: 4, address: '100.100.100.100', port: 65535 }, scheduler: 'rr', schedFlags: ['flag-2'], onePacket: true },
    [dest({ address: '100.100.100.101', port: 65535 })],
  );
  const out = listServiceText(s, listFormat({ numeric: true }));
  t.equal(out.split('\n')[2], 'SCTP 100.100.100.100:65535 rr (flag-2) ops');
  t.equal(out.split('\n')[3], '  -> 100.100.100.101:65535        Route   1      0          0         ');
});

t.test('--timeout and --daemon', async (t) => {
  t.equal(listTimeoutText(listing), 'Timeout (tcp tcpfin udp): 900 120 300\n');
  t.equal(
    listDaemonText({
      ...listing,
      daemons: [{ state: 'master', mcastInterface: 'eth0', syncId: 0, syncMaxLen: 1472, mcastGroup: '224.0.0.81', mcastPort: 8848, mcastTtl: 1 }],
    }),
    'master sync daemon (mcast=eth0, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)\n',
  );
  t.equal(listDaemonText(listing), '');
});

t.test('-L -c -n', async (t) => {
  const out = listConnectionsText(
    [
      {
        protocol: 'tcp',
        family: 4,
        clientAddress: '203.0.113.9',
        clientPort: 51544,
        virtualAddress: '10.0.0.1',
        virtualPort: 80,
        destFamily: 4,
        destAddress: '192.168.10.1',
        destPort: 80,
        state: 'ESTABLISHED',
        expiresS: 898,
        peName: '',
        peData: '',
      },
      {
        protocol: 'udp',
        family: 4,
        clientAddress: '203.0.113.9',
        clientPort: 40000,
        virtualAddress: '10.0.0.2',
        virtualPort: 53,
        destFamily: 4,
        destAddress: '192.168.10.5',
        destPort: 53,
        state: 'UDP',
        expiresS: 299,
        peName: '',
        peData: '',
      },
    ],
    listFormat({ numeric: true }),
  );
  t.equal(
    out,
    [
      'IPVS connection entries',
      'pro expire state       source             virtual            destination',
      'TCP 14:58  ESTABLISHED 203.0.113.9:51544  10.0.0.1:80        192.168.10.1:80',
      'UDP 04:59  UDP         203.0.113.9:40000  10.0.0.2:53        192.168.10.5:53',
      '',
    ].join('\n'),
  );
  const pc = listConnectionsText([], listFormat({ numeric: true, persistentConn: true }));
  t.equal(pc, 'IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n');
});
