// Every keyword of every table: the model fragment it yields (or the diagnostic it raises), keepalived's
// defaults when absent, and a coverage check that no table keyword goes untested.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import type { LoadResult } from '../../src/config/types.js';
import type { BlockTable } from '../../src/config/keywords/table.js';
import { globalDefsTable, rootTable } from '../../src/config/keywords/root.js';
import { bgpNeighborTable, bgpTable } from '../../src/config/keywords/bgp.js';
import { vrrpInstanceTable, vrrpScriptTable, vrrpSyncGroupTable } from '../../src/config/keywords/vrrp.js';
import { realServerTable, virtualServerTable } from '../../src/config/keywords/virtual-server.js';
import { trackFileTable, trackProcessTable } from '../../src/config/keywords/trackers.js';
import { checkerTables, eventCheckerTables, urlTable } from '../../src/config/keywords/checkers.js';
import { bfdInstanceTable } from '../../src/config/keywords/bfd.js';

const dir = mkdtempSync(join(tmpdir(), 'ulvs-kw-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

function load(text: string): LoadResult {
  const f = join(dir, `k${n++}.conf`);
  writeFileSync(f, text);
  return loadConfig(f, { hostChecks: false, configId: 'lb1' });
}

const vi = (body: string, head = 'VI_1'): string =>
  `vrrp_instance ${head} {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1\n }\n${body}\n}\n`;
/** A virtual_server; protocol, scheduler and method (which keepalived reports when absent) are added unless the body sets them. */
const vs = (body: string, rs = '', head = '192.0.2.10 80'): string => {
  const d = [
    /\bprotocol\b/.test(body) || head.startsWith('fwmark') ? '' : ' protocol TCP',
    /\b(lvs_sched|lb_algo)\b/.test(body) ? '' : ' lvs_sched wlc',
    /\b(lvs_method|lb_kind)\b/.test(body) ? '' : ' lvs_method NAT',
  ]
    .filter(Boolean)
    .join('\n');
  return `virtual_server ${head} {\n${d}\n${body}\n real_server 10.0.0.1 80 {\n${rs}\n }\n}\n`;
};
const chk = (type: string, body: string): string => vs('', `  ${type} {\n${body}\n  }`);

function pick(v: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], v);
}

interface Case {
  table: string;
  text: string;
  /** path in the model -> expected value */
  want?: Record<string, unknown>;
  /** expected error/warning codes (exact, in order) */
  diags?: string[];
}

const I = 'vrrp.instances.0.';
const S = 'ipvs.services.0.';
const R = 'ipvs.services.0.realServers.0.';
const H = 'health.0.';
const C = 'health.0.realServers.0.checkers.0.';

const cases: Case[] = [
  // vrrp_instance
  { table: 'vrrp_instance', text: vi(' state MASTER'), want: { [I + 'initialState']: 'MASTER', [I + 'priority']: 255 } },
  { table: 'vrrp_instance', text: vi(' state BACKUP\n priority 90'), want: { [I + 'initialState']: 'BACKUP', [I + 'priority']: 90 } },
  {
    table: 'vrrp_instance',
    text: vi(''),
    want: {
      [I + 'initialState']: 'BACKUP',
      [I + 'priority']: 100,
      [I + 'version']: 2,
      [I + 'advertIntMs']: 1000,
      [I + 'interface']: 'eth0',
      [I + 'vrid']: 1,
      [I + 'accept']: true,
      [I + 'downTimerAdverts']: 3,
      [I + 'unicastTtl']: 255,
      [I + 'garp.masterDelayMs']: 5000,
      [I + 'garp.masterRepeat']: 5,
    },
  },
  { table: 'vrrp_instance', text: vi(' priority 300'), diags: ['bad-value'], want: { [I + 'priority']: 100 } },
  { table: 'vrrp_instance', text: vi(' state master'), diags: ['bad-value'], want: { [I + 'initialState']: 'BACKUP' } },
  {
    table: 'virtual_server',
    text: vs(' protocol udp\n lb_kind dr'),
    diags: ['no-forwarding', 'bad-value'],
    want: { [S + 'key.protocol']: 'udp', [R + 'forward']: 'nat' },
  },
  { table: 'vrrp_instance', text: vi(' advert_int 0.5\n version 3'), want: { [I + 'advertIntMs']: 500, [I + 'version']: 3 } },
  { table: 'vrrp_instance', text: vi(' advert_int 1.5'), diags: ['advert-rounded'], want: { [I + 'advertIntMs']: 2000 } },
  { table: 'vrrp_instance', text: vi(' nopreempt\n preempt_delay 2.5'), want: { [I + 'nopreempt']: true, [I + 'preemptDelayMs']: 2500 } },
  { table: 'vrrp_instance', text: vi(' preempt'), want: { [I + 'nopreempt']: false } },
  {
    table: 'vrrp_instance',
    text: vi(' down_timer_adverts 5\n unicast_ttl 10\n unicast_peer {\n 192.0.2.9\n }'),
    want: { [I + 'downTimerAdverts']: 5, [I + 'unicastTtl']: 10 },
  },
  {
    table: 'vrrp_instance',
    text: vi(' mcast_src_ip 192.0.2.5\n mcast_dst_ip 224.0.0.19'),
    want: { [I + 'srcIp']: '192.0.2.5', [I + 'mcastGroup']: '224.0.0.19' },
  },
  {
    table: 'vrrp_instance',
    text: vi(' unicast_src_ip 192.0.2.5\n unicast_peer {\n 192.0.2.6\n 192.0.2.7 min_ttl 1 max_ttl 3\n }\n check_unicast_src\n unicast_fault_no_peer'),
    want: {
      [I + 'srcIp']: '192.0.2.5',
      [I + 'unicastPeers']: [{ address: '192.0.2.6' }, { address: '192.0.2.7', minTtl: 1, maxTtl: 3 }],
      [I + 'checkUnicastSrc']: true,
      [I + 'unicastFaultNoPeer']: true,
    },
  },
  { table: 'vrrp_instance', text: vi(' unicast_peer {\n 192.0.2.7 min_ttl 1\n }'), want: { [I + 'checkUnicastSrc']: true } },
  {
    table: 'authentication',
    text: vi(' authentication {\n auth_type PASS\n auth_pass 12345678910\n }'),
    diags: ['auth-truncated'],
    want: { [I + 'authentication']: { type: 'PASS', password: '12345678910' } },
  },
  { table: 'authentication', text: vi(' authentication {\n auth_type AH\n auth_pass x\n }'), want: { [I + 'authentication.type']: 'AH' } },
  {
    table: 'vrrp_instance',
    text: vi(' virtual_ipaddress_excluded {\n 2001:db8::1/64 dev eth1\n }'),
    want: { [I + 'excludedVips.0.address']: '2001:db8::1', [I + 'excludedVips.0.prefixLen']: 64, [I + 'excludedVips.0.dev']: 'eth1' },
  },
  {
    table: 'vrrp_instance',
    text: vi(' virtual_ipaddress {\n 192.0.2.2/24 brd + dev eth1 scope link label eth1:vip no_track\n }'),
    want: { [I + 'vips.1']: { address: '192.0.2.2', family: 4, prefixLen: 24, broadcast: '+', dev: 'eth1', scope: 'link', label: 'eth1:vip', noTrack: true } },
  },
  {
    table: 'vrrp_instance',
    text: vi(
      ' virtual_routes {\n src 192.0.2.1 to 10.1.0.0/24 via 192.0.2.254 dev eth0 metric 5\n blackhole 10.2.0.0/16 table 100 no_track\n 10.3.0.0/24 via 192.0.2.7 or 192.0.2.8 dev eth0\n }',
    ),
    diags: ['deprecated'],
    want: {
      [I + 'virtualRoutes']: [
        { family: 4, op: 'prepend', args: ['10.1.0.0/24', 'via', '192.0.2.254', 'src', '192.0.2.1', 'dev', 'eth0', 'metric', '5', 'proto', '18'] },
        { args: ['blackhole', '10.2.0.0/16', 'table', '100', 'proto', '18'] },
        { args: ['10.3.0.0/24', 'dev', 'eth0', 'proto', '18', 'nexthop', 'via', '192.0.2.7', 'nexthop', 'via', '192.0.2.8'] },
      ],
    },
  },
  {
    table: 'vrrp_instance',
    text: vi(
      ' virtual_rules {\n from 10.0.0.0/8 table 100 priority 50\n to 10.9.0.0/16 fwmark 0x10/0xff iif eth0 lookup main\n to 10.9.0./16 table 1 pref 1\n }',
    ),
    diags: ['rule-no-preference', 'bad-rule'],
    want: {
      [I + 'virtualRules']: [
        { family: 4, args: ['from', '10.0.0.0/8', 'lookup', '100', 'protocol', '18', 'pref', '50'] },
        { args: ['to', '10.9.0.0/16', 'fwmark', '0x10/0xff', 'iif', 'eth0', 'lookup', 'main', 'protocol', '18', 'pref', '16384'] },
      ],
    },
  },
  {
    table: 'global_defs',
    text: 'global_defs {\n vrrp_down_timer_adverts 7\n fifo_write_vrrp_states_on_reload\n config_save_dir /tmp\n}\n' + vi(''),
    diags: ['no-effect'],
    want: { [I + 'downTimerAdverts']: 7 },
  },
  {
    table: 'global_defs',
    text: 'global_defs {\n notify_fifo /run/k.fifo\n notify_fifo_script /bin/reader\n vrrp_notify_fifo /run/v.fifo\n vrrp_notify_fifo_script "/bin/r v"\n lvs_notify_fifo /run/l.fifo\n lvs_notify_fifo_script /bin/l\n}\n',
    want: {
      'global.notifyFifos': {
        all: { path: '/run/k.fifo', script: ['/bin/reader'] },
        vrrp: { path: '/run/v.fifo', script: ['/bin/r', 'v'] },
        lvs: { path: '/run/l.fifo', script: ['/bin/l'] },
      },
    },
  },
  {
    table: 'track_file',
    text:
      'track_file tf {\n file /run/w\n weight -5 reverse\n init_file 7 overwrite\n}\nvrrp_track_file old {\n file /run/o\n}\n' +
      vi(' track_file {\n  tf weight 3\n  old\n  nope\n }'),
    diags: ['unknown-tracker'],
    want: {
      'vrrp.trackFiles': [
        { name: 'tf', path: '/run/w', weight: -5, reverse: true, init: { value: 7, overwrite: true } },
        { name: 'old', path: '/run/o', weight: 1 },
      ],
      [I + 'trackFiles']: [{ name: 'tf', weight: 3 }, { name: 'old' }],
    },
  },
  {
    table: 'vrrp_track_process',
    text:
      'vrrp_track_process tp {\n process haproxy -f "/etc/h a.cfg"\n param_match partial\n weight 0\n quorum 2\n quorum_max 4\n delay 1.5\n fork_delay 0.5\n full_command\n}\n' +
      vi(' track_process {\n  tp weight -20 reverse\n }'),
    want: {
      'vrrp.trackProcesses.0': {
        name: 'tp',
        process: 'haproxy',
        params: ['-f', '/etc/h a.cfg'],
        paramMatch: 'partial',
        weight: 0,
        quorum: 2,
        quorumMax: 4,
        forkDelayMs: 500,
        terminateDelayMs: 1500,
        fullCommand: true,
      },
      [I + 'trackProcesses']: [{ name: 'tp', weight: -20, reverse: true }],
    },
  },
  {
    table: 'track_file',
    text:
      'track_file tf {\n file /run/w\n}\nvrrp_track_process tp {\n process nginx\n}\n' +
      vi('') +
      vi('', 'VI_2').replace('virtual_router_id 1', 'virtual_router_id 2') +
      'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n track_file {\n  tf weight 2\n }\n track_process {\n  tp\n }\n}\n',
    want: { 'vrrp.syncGroups.0.trackFiles': [{ name: 'tf', weight: 2 }], 'vrrp.syncGroups.0.trackProcesses': [{ name: 'tp' }] },
  },
  {
    table: 'bfd_instance',
    text:
      'bfd_instance b1 {\n neighbor_ip 10.0.0.2\n source_ip 10.0.0.1\n min_rx 100\n min_tx 50.5\n idle_tx 2000\n multiplier 3\n passive\n ttl 250\n max_hops 5\n multihop\n weight -20\n vrrp\n checker\n}\nbfd_instance b2 {\n neighbour_ip fe80::2\n hoplimit 60\n max_hops -1\n}\n' +
      vi(' track_bfd {\n  b1\n  b2 weight 10 reverse\n }'),
    want: {
      bfd: [
        {
          name: 'b1',
          neighborIp: '10.0.0.2',
          sourceIp: '10.0.0.1',
          minRxMs: 100,
          minTxMs: 50.5,
          idleTxMs: 2000,
          multiplier: 3,
          passive: true,
          ttl: 250,
          maxHops: 5,
          multihop: true,
          weight: -20,
        },
        {
          name: 'b2',
          neighborIp: 'fe80::2',
          minRxMs: 10,
          minTxMs: 10,
          idleTxMs: 1000,
          multiplier: 5,
          passive: false,
          ttl: 60,
          maxHops: 255,
          multihop: false,
          weight: 0,
        },
      ],
      [I + 'trackBfds']: [{ name: 'b1' }, { name: 'b2', weight: 10, reverse: true }],
    },
  },
  {
    table: 'ulvs_bgp',
    text:
      'bfd_instance rtr {\n neighbor_ip 10.0.0.1\n}\nulvs_bgp {\n local_as 65011\n router_id 10.0.0.11\n hold_time 12\n keepalive 4\n connect_retry 3\n' +
      ' neighbor 10.0.0.1 {\n  remote_as 65000\n  hold_time 6\n  keepalive 2\n  connect_retry 1\n  source_ip 10.0.0.11\n  bfd_instance rtr\n }\n' +
      ' vip 10.0.0.100\n drain_wait 3\n bgpd_path /usr/lib/frr/bgpd\n}\n',
    want: {
      'bgp.localAs': 65011,
      'bgp.routerId': '10.0.0.11',
      'bgp.neighbors.0.holdTimeS': 6,
      'bgp.neighbors.0.keepaliveS': 2,
      'bgp.neighbors.0.connectRetryS': 1,
      'bgp.neighbors.0.sourceIp': '10.0.0.11',
      'bgp.neighbors.0.bfdInstance': 'rtr',
      'bgp.vips': ['10.0.0.100/32'],
      'bgp.drainWaitS': 3,
    },
    diags: ['unused-vip'],
  },
  {
    table: 'bfd_instance',
    text: 'bfd_instance b1 {\n neighbor_ip 10.0.0.2\n min_rx 0.5\n}\nbfd_instance b2 {\n min_tx 5\n}\nbfd_instance b3 {\n neighbor_ip 10.0.0.2\n}\n',
    diags: ['bad-value', 'missing-value', 'duplicate-value'],
    want: { 'bfd.0': { minRxMs: 10 }, bfd: [{ name: 'b1' }] },
  },
  {
    table: 'vrrp_sync_group',
    text:
      'bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n' +
      vi('') +
      vi('', 'VI_2').replace('virtual_router_id 1', 'virtual_router_id 2') +
      'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n track_bfd {\n  b1 weight -5\n  nope\n }\n}\n',
    diags: ['unknown-tracker'],
    want: { 'vrrp.syncGroups.0.trackBfds': [{ name: 'b1', weight: -5 }] },
  },
  {
    table: 'BFD_CHECK',
    text:
      'bfd_instance b1 {\n neighbor_ip 10.0.0.2\n}\n' +
      vs('', '  BFD_CHECK {\n   name b1\n   alpha\n  }\n  BFD_CHECK {\n   name nope\n  }\n  BFD_CHECK {\n  }'),
    diags: ['unknown-tracker', 'missing-name'],
    want: { 'health.0.realServers.0.checkers': [{ type: 'BFD_CHECK', name: 'b1', alpha: true, retry: 0 }] },
  },
  {
    table: 'FILE_CHECK',
    text:
      'track_file tf {\n file /run/w\n weight 4\n}\n' +
      vs(
        '',
        '  FILE_CHECK {\n   track_file tf\n  }\n  FILE_CHECK {\n   track_file tf\n   weight -3 reverse\n  }\n  FILE_CHECK {\n   track_file nope\n  }\n  FILE_CHECK {\n   weight x\n  }',
      ),
    diags: ['unknown-tracker', 'missing-name', 'bad-value'],
    want: {
      'health.0.realServers.0.checkers': [
        { type: 'FILE_CHECK', trackFile: 'tf', path: '/run/w', weight: 4, reverse: false },
        { type: 'FILE_CHECK', weight: -3, reverse: true },
      ],
    },
  },
  {
    table: 'vrrp_track_process',
    text: 'vrrp_track_process tp {\n process nginx\n terminate_delay 2\n}\n',
    want: { 'vrrp.trackProcesses.0': { weight: 1, quorum: 1, forkDelayMs: 0, terminateDelayMs: 2000, params: [] } },
  },
  { table: 'the top level', text: 'net_namespace blue\n', want: { netNamespace: 'blue' } },
  {
    table: 'the top level',
    text: 'static_ipaddress {\n 192.0.2.50/24 dev eth0\n}\nstatic_routes {\n 2001:db8:1::/48 via 2001:db8::1 dev eth0\n}\nstatic_rules {\n inet6 to all table 7 preference 10 no_track\n}\n',
    want: {
      'vrrp.staticAddresses.0': { address: '192.0.2.50', prefixLen: 24, dev: 'eth0' },
      'vrrp.staticRoutes.0': { family: 6, args: ['2001:db8:1::/48', 'via', '2001:db8::1', 'dev', 'eth0', 'proto', '18'] },
      'vrrp.staticRules.0': { family: 6, args: ['to', 'all', 'lookup', '7', 'pref', '10'] },
    },
  },
  {
    table: 'vrrp_instance',
    text: vi(' track_interface {\n eth1\n eth2 weight -10\n eth3 weight 5 reverse\n }\n dont_track_primary'),
    want: {
      [I + 'trackInterfaces']: [
        { name: 'eth1', weight: 0 },
        { name: 'eth2', weight: -10 },
        { name: 'eth3', weight: 5, reverse: true },
      ],
      [I + 'dontTrackPrimary']: true,
    },
  },
  {
    table: 'vrrp_instance',
    text: 'vrrp_script chk {\n script /bin/true\n}\n' + vi(' track_script {\n chk\n chk weight 20\n }'),
    want: { [I + 'trackScripts']: [{ name: 'chk' }, { name: 'chk', weight: 20 }] },
  },
  {
    table: 'vrrp_instance',
    text: vi(
      ' notify_master "/bin/echo m"\n notify_backup /bin/b\n notify_fault /bin/f\n notify_stop /bin/s\n notify_deleted /bin/d\n notify /bin/n\n notify_master_rx_lower_pri /bin/l',
    ),
    want: {
      [I + 'notify']: {
        master: { argv: ['/bin/echo', 'm'] },
        backup: { argv: ['/bin/b'] },
        fault: { argv: ['/bin/f'] },
        stop: { argv: ['/bin/s'] },
        deleted: { argv: ['/bin/d'] },
        generic: { argv: ['/bin/n'] },
        masterRxLowerPri: { argv: ['/bin/l'] },
      },
    },
  },
  {
    table: 'vrrp_instance',
    text: vi(
      ' garp_master_delay 2\n garp_master_repeat 3\n garp_master_refresh 60\n garp_master_refresh_repeat 2\n garp_lower_prio_delay 1\n garp_lower_prio_repeat 4',
    ),
    want: {
      [I + 'garp']: {
        masterDelayMs: 2000,
        masterRepeat: 3,
        masterRefreshMs: 60000,
        masterRefreshRepeat: 2,
        lowerPrioDelayMs: 1000,
        lowerPrioRepeat: 4,
        intervalMs: 0,
      },
    },
  },
  { table: 'vrrp_instance', text: vi(' use_vmac vrrp.51\n vmac_xmit_base'), want: { [I + 'useVmac']: 'vrrp.51', [I + 'vmacXmitBase']: true } },
  { table: 'vrrp_instance', text: vi(' use_vmac'), want: { [I + 'useVmac']: true } },
  { table: 'vrrp_instance', text: vi(' no_accept'), want: { [I + 'accept']: false } },
  { table: 'vrrp_instance', text: vi(' accept\n strict_mode on'), diags: ['strict-accept'], want: { [I + 'accept']: false, [I + 'strict']: true } },
  { table: 'vrrp_instance', text: vi(' accept\n version 3\n strict_mode on'), want: { [I + 'accept']: true, [I + 'strict']: true } },
  { table: 'vrrp_instance', text: vi(' strict_mode'), want: { [I + 'accept']: false, [I + 'strict']: true } },
  {
    table: 'vrrp_instance',
    text: vi(' lower_prio_no_advert\n higher_prio_send_advert off'),
    want: { [I + 'lowerPrioNoAdvert']: true, [I + 'higherPrioSendAdvert']: false },
  },
  { table: 'vrrp_instance', text: vi(' version 3\n advert_int 0.011'), want: { [I + 'advertIntMs']: 10 } },
  // vrrp_script
  {
    table: 'vrrp_script',
    text: 'vrrp_script chk {\n script "/bin/check a b"\n}\n',
    want: { 'vrrp.scripts.0': { name: 'chk', script: '/bin/check a b', intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1 } },
  },
  {
    table: 'vrrp_script',
    text: 'vrrp_script chk {\n script /bin/c\n interval 2\n timeout 0.5\n weight -20 reverse\n rise 3\n fall 2\n user nobody\n init_fail\n}\n',
    want: {
      'vrrp.scripts.0': {
        name: 'chk',
        script: '/bin/c',
        intervalMs: 2000,
        timeoutMs: 500,
        weight: -20,
        reverse: true,
        rise: 3,
        fall: 2,
        initFail: true,
        user: 'nobody',
      },
    },
  },
  { table: 'vrrp_script', text: 'vrrp_script chk {\n script /bin/c\n weight 300\n}\n', diags: ['bad-value'], want: { 'vrrp.scripts.0.weight': 0 } },
  // vrrp_sync_group
  {
    table: 'vrrp_sync_group',
    text:
      vi('', 'A') +
      vi('', 'B').replace('virtual_router_id 1', 'virtual_router_id 2') +
      'vrrp_script s {\n script /bin/true\n}\nvrrp_sync_group G {\n group {\n A\n B\n }\n track_interface {\n eth1\n }\n track_script {\n s\n }\n notify_master /bin/m\n notify_backup /bin/b\n notify_fault /bin/f\n notify_stop /bin/s\n notify /bin/n\n}\n',
    want: {
      'vrrp.syncGroups.0': {
        name: 'G',
        instances: ['A', 'B'],
        trackInterfaces: [{ name: 'eth1', weight: 0 }],
        trackScripts: [{ name: 's' }],
        notify: {
          master: { argv: ['/bin/m'] },
          backup: { argv: ['/bin/b'] },
          fault: { argv: ['/bin/f'] },
          stop: { argv: ['/bin/s'] },
          generic: { argv: ['/bin/n'] },
        },
      },
    },
  },
  // global_defs
  {
    table: 'global_defs',
    text: 'global_defs {\n router_id LB1\n script_user nobody\n enable_script_security\n vrrp_version 3\n}\n' + vi(''),
    want: { 'global.routerId': 'LB1', 'vrrp.routerId': 'LB1', 'global.scriptUser': 'nobody', 'global.enableScriptSecurity': true, [I + 'version']: 3 },
  },
  {
    table: 'global_defs',
    text:
      'global_defs {\n vrrp_strict\n vrrp_mcast_group4 224.0.0.20\n vrrp_mcast_group6 ff02::13\n vrrp_check_unicast_src\n vrrp_lower_prio_no_advert\n vrrp_higher_prio_send_advert\n}\n' +
      vi(''),
    diags: ['strict-higher-prio'],
    want: {
      [I + 'strict']: true,
      [I + 'accept']: false,
      [I + 'mcastGroup']: '224.0.0.20',
      [I + 'checkUnicastSrc']: true,
      [I + 'lowerPrioNoAdvert']: true,
      [I + 'higherPrioSendAdvert']: false,
    },
  },
  { table: 'global_defs', text: 'global_defs {\n vrrp_higher_prio_send_advert\n}\n' + vi(''), want: { [I + 'higherPrioSendAdvert']: true } },
  {
    table: 'global_defs',
    text:
      'global_defs {\n vrrp_garp_master_delay 1\n vrrp_garp_master_repeat 2\n vrrp_garp_master_refresh 30\n vrrp_garp_master_refresh_repeat 3\n vrrp_garp_lower_prio_delay 4\n vrrp_garp_lower_prio_repeat 6\n vrrp_garp_interval 0.001\n vrrp_gna_interval 0.002\n}\n' +
      vi(''),
    want: {
      [I + 'garp']: {
        masterDelayMs: 1000,
        masterRepeat: 2,
        masterRefreshMs: 30000,
        masterRefreshRepeat: 3,
        lowerPrioDelayMs: 4000,
        lowerPrioRepeat: 6,
        intervalMs: 1,
      },
    },
  },
  {
    table: 'global_defs',
    text:
      'global_defs {\n router_id LB1\n notification_email {\n  ops@example.net\n  noc@example.net\n }\n notification_email_from lb1@example.net\n smtp_server 192.0.2.25 2525\n smtp_helo_name lb1.example\n smtp_connect_timeout 5\n smtp_alert off\n smtp_alert_vrrp\n smtp_alert_checker on\n no_email_faults\n no_checker_emails\n}\n' +
      vi('') +
      vi(' smtp_alert off', 'VI_2').replace('virtual_router_id 1', 'virtual_router_id 2') +
      vs(''),
    want: {
      'global.smtp': {
        server: '192.0.2.25',
        port: 2525,
        heloName: 'lb1.example',
        from: 'lb1@example.net',
        to: ['ops@example.net', 'noc@example.net'],
        connectTimeoutMs: 5000,
        routerId: 'LB1',
        noEmailFaults: true,
        noCheckerEmails: true,
        instances: ['VI_1'],
        groups: [],
        realServers: ['TCP 192.0.2.10:80\n10.0.0.1:80'],
      },
    },
  },
  {
    table: 'vrrp_instance',
    text: 'global_defs {\n notification_email {\n  ops@example.net\n }\n smtp_server mail.example\n}\n' + vi(' smtp_alert'),
    want: { 'global.smtp.instances': ['VI_1'], 'global.smtp.server': 'mail.example', 'global.smtp.port': 25, 'global.smtp.connectTimeoutMs': 30000 },
  },
  {
    table: 'vrrp_sync_group',
    text:
      'global_defs {\n notification_email {\n  ops@example.net\n }\n smtp_server 192.0.2.25\n}\n' +
      vi('') +
      vi('', 'VI_2').replace('virtual_router_id 1', 'virtual_router_id 2') +
      'vrrp_sync_group G {\n group {\n  VI_1\n  VI_2\n }\n smtp_alert\n}\n',
    want: { 'global.smtp.groups': [{ name: 'G', instances: ['VI_1', 'VI_2'] }], 'global.smtp.instances': [] },
  },
  {
    table: 'virtual_server',
    text: 'global_defs {\n notification_email {\n  ops@example.net\n }\n smtp_server 192.0.2.25\n}\n' + vs(' smtp_alert', '  smtp_alert off'),
    want: { 'global.smtp': undefined, [H + 'smtpAlert']: true, [H + 'realServers.0.smtpAlert']: false },
    diags: ['not-implemented'],
  },
  {
    table: 'real_server',
    text: 'global_defs {\n notification_email {\n  ops@example.net\n }\n smtp_server 192.0.2.25\n}\n' + vs('', '  smtp_alert'),
    want: { 'global.smtp.realServers': ['TCP 192.0.2.10:80\n10.0.0.1:80'] },
  },
  { table: 'global_defs', text: 'global_defs {\n smtp_server 192.0.2.25 99999\n}\n', diags: ['bad-value'] },
  { table: 'global_defs', text: 'global_defs {\n smtp_alert\n}\n' + vi(''), diags: ['not-implemented'], want: { 'global.smtp': undefined } },
  {
    table: 'global_defs',
    text: 'global_defs {\n lvs_timeouts tcp 7200 tcpfin 60 udp 30\n lvs_sync_daemon eth0 VI_1 id 5\n}\n',
    diags: ['lvs-sync-daemon'],
    want: { 'ipvs.timeouts': { tcpS: 7200, tcpFinS: 60, udpS: 30 }, 'global.lvsSyncDaemon': ['eth0', 'VI_1', 'id', '5'] },
  },
  {
    table: 'global_defs',
    text: 'global_defs {\n lvs_timeouts tcp x\n}\n',
    diags: ['bad-value'],
    want: { 'ipvs.timeouts': { tcpS: 900, tcpFinS: 120, udpS: 300 } },
  },
  // virtual_server
  {
    table: 'virtual_server',
    text: 'virtual_server 192.0.2.10 80 {\n real_server 10.0.0.1 80 {\n }\n}\n',
    diags: ['no-protocol', 'no-scheduler', 'no-forwarding'],
    want: { [S + 'key.protocol']: 'udp', [S + 'scheduler']: 'wlc', [R + 'forward']: 'nat', [H + 'id']: 'UDP 192.0.2.10:80' },
  },
  {
    table: 'virtual_server',
    text: vs(''),
    want: {
      [S + 'key']: { kind: 'addr', protocol: 'tcp', family: 4, address: '192.0.2.10', port: 80 },
      [S + 'scheduler']: 'wlc',
      [S + 'persistenceTimeoutS']: 0,
      [S + 'netmask']: '255.255.255.255',
      [R + 'forward']: 'nat',
      [R + 'weight']: 1,
      [H + 'id']: 'TCP 192.0.2.10:80',
      [H + 'vips']: ['192.0.2.10'],
    },
  },
  {
    table: 'virtual_server',
    text: vs(' lvs_sched sh\n sh-port\n sh-fallback\n flag-1\n flag-2\n flag-3\n lvs_method DR\n protocol UDP\n ops'),
    want: {
      [S + 'scheduler']: 'sh',
      [S + 'schedFlags']: ['flag-1', 'flag-2', 'flag-3', 'sh-fallback', 'sh-port'],
      [R + 'forward']: 'dr',
      [S + 'key.protocol']: 'udp',
      [S + 'onePacket']: true,
    },
  },
  {
    table: 'virtual_server',
    text: vs(' lb_algo mh\n mh-port\n mh-fallback\n lb_kind TUN type gue port 6080'),
    want: { [S + 'scheduler']: 'mh', [S + 'schedFlags']: ['mh-fallback', 'mh-port'], [R + 'forward']: 'tun', [R + 'tunType']: 'gue' },
  },
  { table: 'virtual_server', text: vs(' lvs_sched rr\n sh-port'), diags: ['flag-scheduler'], want: { [S + 'schedFlags']: [] } },
  { table: 'virtual_server', text: vs(' lvs_sched bogus'), diags: ['no-scheduler', 'bad-value'], want: { [S + 'scheduler']: 'wlc' } },
  {
    table: 'virtual_server',
    text: vs(' persistence_timeout 600\n persistence_granularity 255.255.255.0\n persistence_engine sip'),
    diags: ['not-implemented'],
    want: { [S + 'persistenceTimeoutS']: 600, [S + 'netmask']: '255.255.255.0', [S + 'persistenceEngine']: 'sip' },
  },
  { table: 'virtual_server', text: vs(' persistence_timeout'), want: { [S + 'persistenceTimeoutS']: 360 } },
  { table: 'virtual_server', text: vs(' persistence_granularity 255.255.0.0'), want: { [S + 'persistenceTimeoutS']: 360, [S + 'netmask']: '255.255.0.0' } },
  { table: 'virtual_server', text: vs(' protocol SCTP'), want: { [S + 'key.protocol']: 'sctp' } },
  {
    table: 'virtual_server',
    text: vs(
      ' delay_loop 6\n connect_timeout 3\n retry 2\n delay_before_retry 1\n warmup 0\n alpha\n omega\n quorum 2\n hysteresis 1\n inhibit_on_failure\n ha_suspend\n virtualhost www.example.com\n quorum_up "/bin/q up"\n quorum_down /bin/qd',
      '  weight 2',
    ),
    want: {
      [H + 'delayLoopMs']: 6000,
      [H + 'connectTimeoutMs']: 3000,
      [H + 'retry']: 2,
      [H + 'delayBeforeRetryMs']: 1000,
      [H + 'warmupMs']: 0,
      [H + 'alpha']: true,
      [H + 'omega']: true,
      [H + 'quorum']: 2,
      [H + 'hysteresis']: 1,
      [H + 'inhibitOnFailure']: true,
      [H + 'haSuspend']: true,
      [H + 'virtualhost']: 'www.example.com',
      [H + 'quorumUp.argv']: ['/bin/q', 'up'],
      [H + 'quorumDown.argv']: ['/bin/qd'],
    },
  },
  { table: 'virtual_server', text: vs(' weight 5'), want: { [R + 'weight']: 5, [H + 'realServers.0.weight']: 5 } },
  {
    table: 'virtual_server',
    text: vs(' sorry_server 10.0.0.9 8080\n sorry_server_inhibit\n sorry_server_lvs_method TUN'),
    diags: ['port-mismatch'],
    want: { [H + 'sorryServer']: { address: '10.0.0.9', port: 80, forward: 'tun' }, [H + 'sorryServerInhibit']: true },
  },
  { table: 'virtual_server', text: vs(' sorry_server 10.0.0.9 8080'), want: { [H + 'sorryServer']: { address: '10.0.0.9', port: 8080, forward: 'nat' } } },
  { table: 'virtual_server', text: vs(' sorry_server 10.0.0.9'), want: { [H + 'sorryServer']: { address: '10.0.0.9', port: 80, forward: 'nat' } } },
  {
    table: 'virtual_server',
    text: vs(' ip_family inet6', '', 'fwmark 7').replace('10.0.0.1 80', '2001:db8::5 80'),
    want: { [S + 'key']: { kind: 'fwmark', fwmark: 7, family: 6 }, [H + 'id']: 'FWM 7' },
  },
  { table: 'virtual_server', text: vs('', '', 'fwmark 7'), want: { [S + 'key']: { kind: 'fwmark', fwmark: 7, family: 4 } } },
  {
    table: 'virtual_server',
    text: vs('', '', '2001:DB8::10 443').replace('10.0.0.1 80', '2001:db8::20 443'),
    want: { [S + 'key.address']: '2001:db8::10', [S + 'key.family']: 6, [S + 'netmask']: '128', [H + 'id']: 'TCP [2001:db8::10]:443' },
  },
  {
    table: 'virtual_server',
    text:
      'virtual_server_group G {\n 192.0.2.1-3 80\n 192.0.2.8/31 443\n 2001:db8::1-2 80\n fwmark 9\n}\n' +
      vs(' persistence_timeout 5', '', 'group G').replace('real_server 10.0.0.1 80', 'real_server 10.0.0.1'),
    want: {
      'ipvs.services.length': 8,
      'ipvs.services.0.key.address': '192.0.2.1',
      'ipvs.services.2.key.address': '192.0.2.3',
      'ipvs.services.3.key': { kind: 'addr', protocol: 'tcp', family: 4, address: '192.0.2.8', port: 443 },
      'ipvs.services.3.realServers.0.port': 443,
      'ipvs.services.6.key.address': '2001:db8::2',
      'ipvs.services.7.key': { kind: 'fwmark', fwmark: 9, family: 4 },
      [H + 'id']: 'group G',
      'virtualServerGroups.0.name': 'G',
    },
  },
  // real_server
  {
    table: 'real_server',
    text: vs(
      '',
      '  weight 3\n  lvs_method DR\n  uthreshold 100\n  lthreshold 10\n  inhibit_on_failure\n  notify_up "/bin/up x"\n  notify_down /bin/down\n  alpha\n  retry 4\n  delay_before_retry 2\n  warmup 1\n  delay_loop 9\n  connect_timeout 2\n  virtualhost h',
    ),
    want: {
      [R + 'weight']: 3,
      [R + 'forward']: 'dr',
      [R + 'upperThreshold']: 100,
      [R + 'lowerThreshold']: 10,
      [H + 'realServers.0']: {
        address: '10.0.0.1',
        port: 80,
        weight: 3,
        checkers: [],
        inhibitOnFailure: true,
        notifyUp: { argv: ['/bin/up', 'x'] },
        notifyDown: { argv: ['/bin/down'] },
        alpha: true,
        retry: 4,
        delayBeforeRetryMs: 2000,
        warmupMs: 1000,
        delayLoopMs: 9000,
        connectTimeoutMs: 2000,
        virtualhost: 'h',
      },
    },
  },
  { table: 'real_server', text: vs('', '  weight'), diags: ['missing-value'], want: { [R + 'weight']: 1 } },
  { table: 'real_server', text: vs('', '  weight 0'), diags: ['quorum-too-high'], want: { [R + 'weight']: 0, [H + 'quorum']: 0 } },
  // checkers
  {
    table: 'TCP_CHECK',
    text: chk(
      'TCP_CHECK',
      '   connect_ip 10.0.0.2\n   connect_port 8080\n   bindto 10.0.0.100\n   bind_port 4000\n   bind_if eth0\n   connect_timeout 3\n   fwmark 5\n   retry 2\n   delay_before_retry 1.5\n   warmup 2\n   delay_loop 10\n   alpha\n   log_all_failures',
    ),
    want: {
      [C + 'type']: 'TCP_CHECK',
      [C + 'connectIp']: '10.0.0.2',
      [C + 'connectPort']: 8080,
      [C + 'bindTo']: '10.0.0.100',
      [C + 'bindPort']: 4000,
      [C + 'bindIf']: 'eth0',
      [C + 'connectTimeoutMs']: 3000,
      [C + 'fwmark']: 5,
      [C + 'retry']: 2,
      [C + 'delayBeforeRetryMs']: 1500,
      [C + 'warmupMs']: 2000,
      [C + 'delayLoopMs']: 10000,
      [C + 'alpha']: true,
      [C + 'logAllFailures']: true,
    },
  },
  {
    table: 'HTTP_GET',
    text: chk(
      'HTTP_GET',
      '   url {\n    path /health\n    digest 640205B7B0FC66C1EA91C463FAC6334D\n    status_code 200 300-302\n    virtualhost a.example\n   }\n   url {\n    path /b\n    regex ok\n    regex_no_match\n   }\n   nb_get_retry 3\n   virtualhost v.example\n   http_protocol 1.1\n   enable_sni\n   fast_recovery',
    ),
    diags: ['not-implemented', 'not-implemented'],
    want: {
      [C + 'type']: 'HTTP_GET',
      [C + 'urls']: [
        {
          path: '/health',
          statusCodes: [
            { lo: 200, hi: 200 },
            { lo: 300, hi: 302 },
          ],
          digest: '640205b7b0fc66c1ea91c463fac6334d',
          virtualhost: 'a.example',
        },
        { path: '/b' },
      ],
      [C + 'retry']: 3,
      [C + 'virtualhost']: 'v.example',
      [C + 'httpProtocol']: '1.1',
      [C + 'enableSni']: true,
      [C + 'fastRecovery']: true,
    },
  },
  { table: 'SSL_GET', text: chk('SSL_GET', '   url {\n    path /\n   }'), want: { [C + 'type']: 'SSL_GET', [C + 'urls']: [{ path: '/' }] } },
  { table: 'HTTP_GET', text: chk('HTTP_GET', '   connect_timeout 3'), diags: ['missing-url'] },
  { table: 'url', text: chk('HTTP_GET', '   url {\n    digest 123\n   }'), diags: ['missing-url', 'missing-path'] },
  {
    table: 'SSL_GET',
    text: chk('SSL_GET', '   url {\n    path /x\n   }\n   nb_get_retry 2\n   virtualhost v\n   http_protocol 1.0C\n   enable_sni\n   fast_recovery'),
    want: { [C + 'retry']: 2, [C + 'virtualhost']: 'v', [C + 'httpProtocol']: '1.0C', [C + 'enableSni']: true, [C + 'fastRecovery']: true },
  },
  // The common keywords, in every checker kind.
  {
    table: 'SMTP_CHECK',
    text: chk(
      'SMTP_CHECK',
      '   helo_name lb1.example\n   host {\n    connect_ip 10.0.0.7\n    connect_port 2525\n   }\n   host {\n    connect_ip 10.0.0.8\n   }',
    ),
    want: {
      [C + 'type']: 'SMTP_CHECK',
      [C + 'heloName']: 'lb1.example',
      [C + 'connectIp']: '10.0.0.7',
      [C + 'connectPort']: 2525,
      [H + 'realServers.0.checkers.1.connectIp']: '10.0.0.8',
      [H + 'realServers.0.checkers.length']: 2,
    },
  },
  ...['TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'MISC_CHECK', 'SMTP_CHECK'].map((type): Case => {
    const conn = type !== 'MISC_CHECK';
    const extra = type === 'MISC_CHECK' ? '   misc_path /bin/true\n' : type.endsWith('_GET') ? '   url {\n    path /\n   }\n' : '';
    const text = chk(
      type,
      `${extra}${conn ? '   connect_ip 10.0.0.3\n   connect_port 81\n   bindto 10.0.0.4\n   bind_port 5000\n   bind_if eth0\n   connect_timeout 2\n   fwmark 3\n' : ''}   retry 5\n   delay_before_retry 0.5\n   warmup 1\n   delay_loop 3\n   alpha\n   log_all_failures`,
    );
    const want: Record<string, unknown> = {
      [C + 'type']: type,
      [C + 'retry']: 5,
      [C + 'delayBeforeRetryMs']: 500,
      [C + 'warmupMs']: 1000,
      [C + 'delayLoopMs']: 3000,
      [C + 'alpha']: true,
      [C + 'logAllFailures']: true,
    };
    if (conn)
      Object.assign(want, {
        [C + 'connectIp']: '10.0.0.3',
        [C + 'connectPort']: 81,
        [C + 'bindTo']: '10.0.0.4',
        [C + 'bindPort']: 5000,
        [C + 'bindIf']: 'eth0',
        [C + 'connectTimeoutMs']: 2000,
        [C + 'fwmark']: 3,
      });
    return { table: type, text, want };
  }),
  {
    table: 'MISC_CHECK',
    text: chk('MISC_CHECK', '   misc_path "/usr/local/bin/check.sh arg1 \'two words\'"\n   misc_timeout 5\n   misc_dynamic\n   user nobody'),
    want: {
      [C + 'misc.argv']: ['/usr/local/bin/check.sh', 'arg1', 'two words'],
      [C + 'misc.user']: 'nobody',
      [C + 'miscTimeoutMs']: 5000,
      [C + 'miscDynamic']: true,
    },
  },
  { table: 'MISC_CHECK', text: chk('MISC_CHECK', '   misc_timeout 5'), diags: ['missing-script'], want: { [H + 'realServers.0.checkers']: [] } },
  {
    table: 'DNS_CHECK',
    text: chk('DNS_CHECK', '   type A\n   name example.com'),
    want: { [C + 'type']: 'DNS_CHECK', [C + 'dnsType']: 'A', [C + 'name']: 'example.com' },
  },
  {
    table: 'UDP_CHECK',
    text: chk('UDP_CHECK', '   payload 0a0B\n   require_reply 0aXx\n   min_reply_length 1\n   max_reply_length 100'),
    want: {
      [C + 'payload']: new Uint8Array([10, 11]),
      [C + 'requireReply']: true,
      [C + 'requireReplyPattern']: '0aXx',
      [C + 'minReplyLength']: 1,
      [C + 'maxReplyLength']: 100,
    },
  },
  { table: 'UDP_CHECK', text: chk('UDP_CHECK', '   require_reply'), want: { [C + 'requireReply']: true } },
  { table: 'PING_CHECK', text: chk('PING_CHECK', '   retry 2'), want: { [C + 'type']: 'PING_CHECK', [C + 'retry']: 2 } },
];

for (const [i, c] of cases.entries()) {
  t.test(
    `${c.table} #${i}: ${c.text
      .split('\n')
      .filter((l) => /^\s/.test(l))
      .slice(-2)
      .join(' | ')
      .trim()
      .slice(0, 80)}`,
    async (t) => {
      const r = load(c.text);
      // script-security (no enable_script_security) is covered in checks.test.ts.
      const got = r.diagnostics.filter((d) => d.severity !== 'note' && d.code !== 'script-security').map((d) => d.code);
      t.same(
        got,
        c.diags ?? [],
        `diagnostics: ${r.diagnostics
          .filter((d) => d.severity !== 'note')
          .map((d) => d.message)
          .join(' / ')}`,
      );
      for (const [path, want] of Object.entries(c.want ?? {})) {
        const v = pick(r.model, path);
        if (Array.isArray(want)) {
          t.equal((v as unknown[] | undefined)?.length, want.length, `${path} length`);
          t.has(v, want, path);
        } else if (typeof want === 'object' && want !== null) t.has(v, want, path);
        else t.equal(v, want, path);
      }
    },
  );
}

// Keywords accepted without an effect: each, in its block, loads with a default-level warning naming it and its line.
const contexts: Array<[BlockTable, (line: string) => string]> = [
  [rootTable, (l) => `${l}\n`],
  [globalDefsTable, (l) => `global_defs {\n ${l}\n}\n`],
  [vrrpInstanceTable, (l) => vi(` ${l}`)],
  [
    vrrpSyncGroupTable,
    (l) => vi('') + vi('', 'VI_2').replace('virtual_router_id 1', 'virtual_router_id 2') + `vrrp_sync_group G {\n group {\n VI_1\n VI_2\n }\n ${l}\n}\n`,
  ],
  [virtualServerTable, (l) => vs(` ${l}`)],
  [realServerTable, (l) => vs('', `  ${l}`)],
  [urlTable, (l) => chk('HTTP_GET', `   url {\n    path /\n    ${l}\n   }`)],
  ...Object.entries(checkerTables).map(
    ([kw, tab]) =>
      [
        tab,
        (l: string) =>
          chk(kw, `   ${kw === 'HTTP_GET' || kw === 'SSL_GET' ? 'url {\n path /\n }\n' : ''}${kw === 'MISC_CHECK' ? 'misc_path /bin/true\n' : ''}   ${l}`),
      ] as [BlockTable, (l: string) => string],
  ),
];
for (const [table, wrap] of contexts) {
  for (const [kw, spec] of Object.entries(table.keywords)) {
    if (spec.kind !== 'ignored') continue;
    const text = wrap(spec.takesBlock ? `${kw} {\n  x 1\n }` : `${kw} x`);
    const line = text.split('\n').findIndex((l) => l.trim().startsWith(`${kw} `)) + 1;
    if (spec.refused) {
      t.test(`${table.name}: '${kw}' is refused as keepalived 2.2.7 refuses it`, async (t) => {
        const r = load(text);
        t.same(
          r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.line]),
          [['unknown-keyword', line]],
        );
        t.match(r.diagnostics.find((d) => d.severity === 'error')?.message, /keepalived 2\.2\.7 does not know/);
      });
      continue;
    }
    t.test(`${table.name}: '${kw}' is accepted with a warning at its line`, async (t) => {
      const r = load(text);
      const sev = spec.equivalent ? 'note' : 'warning';
      t.same(
        r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
        [],
      );
      t.ok(
        r.diagnostics.some((d) => d.severity === sev && d.line === line && d.message.includes(`'${kw}'`)),
        `a ${sev} names '${kw}' at line ${line}`,
      );
    });
  }
}

t.test('every implemented keyword of every table is exercised above', async (t) => {
  const related: Record<string, string[]> = {
    real_server: ['real_server', ...Object.keys(checkerTables), ...Object.keys(eventCheckerTables)],
    url: ['url', 'HTTP_GET', 'SSL_GET'],
    vrrp_instance: ['vrrp_instance', 'authentication', 'track_file', 'vrrp_track_process', 'bfd_instance'],
    vrrp_sync_group: ['vrrp_sync_group', 'track_file'],
    neighbor: ['ulvs_bgp'],
  };
  const byTable = new Map<string, string>();
  for (const name of new Set(cases.map((c) => c.table).concat(Object.keys(related)))) {
    const rel = related[name] ?? [name];
    byTable.set(
      name,
      cases
        .filter((c) => rel.includes(c.table))
        .map((c) => c.text)
        .join('\n'),
    );
  }
  const all: BlockTable[] = [
    trackFileTable,
    trackProcessTable,
    rootTable,
    globalDefsTable,
    vrrpInstanceTable,
    vrrpScriptTable,
    vrrpSyncGroupTable,
    virtualServerTable,
    realServerTable,
    urlTable,
    bfdInstanceTable,
    bgpTable,
    bgpNeighborTable,
    ...Object.values(checkerTables),
    ...Object.values(eventCheckerTables),
  ];
  const authTable = vrrpInstanceTable.keywords.authentication!.block!;
  all.push(authTable);
  const everything = cases.map((c) => c.text).join('\n');
  for (const table of all) {
    const text = table === rootTable ? everything : (byTable.get(table.name) ?? '');
    for (const [kw, spec] of Object.entries(table.keywords)) {
      if (spec.kind === 'ignored') continue;
      t.ok(new RegExp(`(^|\\s)${kw.replace(/[-]/g, '\\-')}(\\s|$)`, 'm').test(text), `${table.name}: ${kw}`);
    }
  }
});
