/**
 * `ulvsadm -L/-l [-n] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact] [--nosort]`
 * and `-S`: the text ipvsadm 1.31 prints (print_title and print_service_entry in ipvsadm.c), byte for byte.
 */
import type { DestEntry, IpvsListing, ServiceEntry } from '../../control/types.js';
import type { ServiceKey } from '../../ipvs/types.js';
import { addressWords, addrPort, cDiff, largeNum, padEnd, padStart, protocolName, protocolNumber, type ListFormat } from './format.js';

/** print_title: the two header lines of a table listing ('' for -S). */
export function listTitle(f: ListFormat): string {
  const first = 'Prot LocalAddress:Port'.padEnd(33);
  const second = '  -> RemoteAddress:Port\n';
  if (f.stats) return `${first} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((s) => padStart(s, 8)).join(' ')}\n${second}`;
  if (f.rate) return `${first} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((s) => padStart(s, 8)).join(' ')}\n${second}`;
  if (f.thresholds) return `${first} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((s) => padEnd(s, 10)).join(' ')}\n${second}`;
  if (f.persistentConn) return `${first} ${padEnd('Weight', 9)} ${padEnd('PersistConn', 11)} ${padEnd('ActiveConn', 10)} ${padEnd('InActConn', 10)}\n${second}`;
  if (f.tunInfo) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  if (f.rule) return '';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

/** The IP_VS_SVC_F_SCHED1..3 bits a service's scheduler flags set. */
function schedBits(flags: string[]): Set<number> {
  const bits = new Set<number>();
  for (const fl of flags) {
    if (fl === 'flag-1' || fl === 'sh-fallback' || fl === 'mh-fallback') bits.add(1);
    else if (fl === 'flag-2' || fl === 'sh-port' || fl === 'mh-port') bits.add(2);
    else if (fl === 'flag-3') bits.add(3);
  }
  return bits;
}

/** print_sched_flags: the flag names as the scheduler spells them, comma-separated. */
function schedFlagsText(scheduler: string, bits: Set<number>): string {
  const names = scheduler === 'sh' ? ['sh-fallback', 'sh-port'] : scheduler === 'mh' ? ['mh-fallback', 'mh-port'] : ['flag-1', 'flag-2', 'flag-3'];
  return names.filter((_, i) => bits.has(i + 1)).join(',');
}

/** fwd_name: Masq, Local, Tunnel, Route. */
function forwardName(d: DestEntry): string {
  return d.forward === 'nat' ? 'Masq' : d.forward === 'local' ? 'Local' : d.forward === 'tun' ? 'Tunnel' : 'Route';
}

/** fwd_switch: -m, -i, -g (local prints -g). */
function forwardSwitch(d: DestEntry): string {
  return d.forward === 'nat' ? '-m' : d.forward === 'tun' ? '-i' : '-g';
}

/** fwd_tun_info for --tun-info (we carry no gue/gre port or checksum flags: ipip, gue, gre print bare). */
function tunnelInfo(d: DestEntry): string {
  return d.forward === 'tun' ? (d.tunType ?? 'ipip') : 'n/a';
}

/** ipvs_cmp_services: fwmark, family, protocol, address, port, each as a wrapping C int difference. */
export function compareServices(a: ServiceKey, b: ServiceKey): number {
  const fa = a.kind === 'fwmark' ? a.fwmark : 0;
  const fb = b.kind === 'fwmark' ? b.fwmark : 0;
  let r = cDiff(fa, fb);
  if (r) return r;
  r = (a.family === 6 ? 10 : 2) - (b.family === 6 ? 10 : 2);
  if (r) return r;
  const pa = a.kind === 'addr' ? protocolNumber(a.protocol) : 6;
  const pb = b.kind === 'addr' ? protocolNumber(b.protocol) : 6;
  r = pa - pb;
  if (r) return r;
  if (a.kind !== 'addr' || b.kind !== 'addr') return 0;
  const wa = addressWords(a.address, a.family);
  const wb = addressWords(b.address, b.family);
  for (let i = 0; i < (a.family === 6 ? 4 : 1) && !r; i++) r = cDiff(wa[i], wb[i]);
  if (r) return r;
  return a.port - b.port;
}

/** ipvs_cmp_dests: address then port. */
export function compareDests(a: DestEntry, b: DestEntry): number {
  const wa = addressWords(a.address, a.family);
  const wb = addressWords(b.address, b.family);
  let r = 0;
  for (let i = 0; i < (a.family === 6 ? 4 : 1) && !r; i++) r = cDiff(wa[i], wb[i]);
  return r || a.port - b.port;
}

/** The service's name column: "TCP  addr:port" (cut at 33 for IPv4), "FWM  7", or "-t addr:port" for -S. */
export function serviceName(se: ServiceEntry, f: ListFormat): string {
  const k = se.spec.key;
  if (k.kind === 'fwmark') {
    if (f.rule) return k.family === 6 ? `-f ${k.fwmark} -6` : `-f ${k.fwmark}`;
    return k.family === 6 ? `FWM  ${k.fwmark} IPv6` : `FWM  ${k.fwmark}`;
  }
  const vname = addrPort(k.family, k.address, k.port, k.protocol, f.numeric);
  if (f.rule) return `${k.protocol === 'tcp' ? '-t' : k.protocol === 'udp' ? '-u' : '--sctp-service'} ${vname}`;
  const s = `${protocolName(k.protocol).padEnd(4)} ${vname}`;
  return k.family !== 6 ? s.slice(0, 33) : s;
}

/** print_service_entry: the service line and its real-server lines. */
export function serviceEntryText(se: ServiceEntry, f: ListFormat): string {
  const spec = se.spec;
  const name = serviceName(se, f);
  const bits = schedBits(spec.schedFlags);
  const persistent = spec.persistenceTimeoutS > 0;
  const v6 = spec.key.family === 6;
  const maskIsFull = v6 ? spec.netmask === '128' || spec.netmask === '' : spec.netmask === '255.255.255.255' || spec.netmask === '';
  let out = '';
  if (f.rule) {
    out += `-A ${name} -s ${spec.scheduler}`;
    if (persistent) {
      out += ` -p ${spec.persistenceTimeoutS}`;
      if (!maskIsFull) out += ` -M ${spec.netmask}`;
    }
    if (spec.persistenceEngine) out += ` --pe ${spec.persistenceEngine}`;
    if (spec.onePacket) out += ' -o';
    if (bits.size) out += ` -b ${schedFlagsText(spec.scheduler, bits)}`;
  } else if (f.stats) {
    const s = se.stats;
    out += name.padEnd(33) + [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, f.exact)).join('');
  } else if (f.rate) {
    const r = se.rates;
    out += name.padEnd(33) + [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map((n) => largeNum(n, f.exact)).join('');
  } else {
    out += `${name} ${spec.scheduler}`;
    if (bits.size) out += ` (${schedFlagsText(spec.scheduler, bits)})`;
    if (persistent) {
      out += ` persistent ${spec.persistenceTimeoutS}`;
      if (!maskIsFull) out += ` mask ${spec.netmask}`;
      if (spec.persistenceEngine) out += ` pe ${spec.persistenceEngine}`;
    }
    if (spec.onePacket) out += ' ops';
  }
  out += '\n';
  const dests = f.noSort ? se.dests : [...se.dests].sort(compareDests);
  const proto = spec.key.kind === 'addr' ? spec.key.protocol : 'tcp';
  for (const d of dests) {
    let dname = addrPort(d.family, d.address, d.port, proto, f.numeric);
    if (!f.rule && d.family !== 6) dname = dname.slice(0, 28);
    if (f.rule) {
      out += `-a ${name} -r ${dname} ${forwardSwitch(d)} -w ${d.weight}`;
      if (d.forward === 'tun') out += ` --tun-type ${d.tunType ?? 'ipip'}`;
      out += '\n';
    } else if (f.stats) {
      const s = d.stats;
      out += `  -> ${dname.padEnd(28)}` + [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, f.exact)).join('') + '\n';
    } else if (f.rate) {
      const r = d.rates;
      out += `  -> ${dname.padEnd(28)} ${padStart(r.cps, 8)} ${padStart(r.inPps, 8)} ${padStart(r.outPps, 8)}` + largeNum(r.inBps, f.exact) + largeNum(r.outBps, f.exact) + '\n';
    } else if (f.thresholds) {
      out += `  -> ${dname.padEnd(28)} ${padEnd(d.upperThreshold, 10)} ${padEnd(d.lowerThreshold, 10)} ${padEnd(d.activeConns, 10)} ${padEnd(d.inactiveConns, 10)}\n`;
    } else if (f.persistentConn) {
      out += `  -> ${dname.padEnd(28)} ${padEnd(d.weight, 9)} ${padEnd(d.persistConns, 11)} ${padEnd(d.activeConns, 10)} ${padEnd(d.inactiveConns, 10)}\n`;
    } else if (f.tunInfo) {
      out += `  -> ${dname.padEnd(28)} ${padEnd(forwardName(d), 7)} ${padEnd(tunnelInfo(d), 13)} ${padEnd(d.weight, 6)} ${padEnd(d.activeConns, 10)} ${padEnd(d.inactiveConns, 10)}\n`;
    } else {
      out += `  -> ${dname.padEnd(28)} ${padEnd(forwardName(d), 7)} ${padEnd(d.weight, 6)} ${padEnd(d.activeConns, 10)} ${padEnd(d.inactiveConns, 10)}\n`;
    }
  }
  return out;
}

/** list_all: version header (not for -S), title, then every service sorted as libipvs sorts them. */
export function listAllText(l: IpvsListing, f: ListFormat): string {
  let out = f.rule ? '' : `IP Virtual Server version ${l.version} (size=${l.connTabSize})\n`;
  out += listTitle(f);
  const services = f.noSort ? l.services : [...l.services].sort((a, b) => compareServices(a.spec.key, b.spec.key));
  for (const se of services) out += serviceEntryText(se, f);
  return out;
}

/** list_service: title and one service (no version header). */
export function listServiceText(se: ServiceEntry, f: ListFormat): string {
  return listTitle(f) + serviceEntryText(se, f);
}

/** list_timeout: "Timeout (tcp tcpfin udp): 900 120 300". */
export function listTimeoutText(l: IpvsListing): string {
  return `Timeout (tcp tcpfin udp): ${l.timeouts.tcpS} ${l.timeouts.tcpFinS} ${l.timeouts.udpS}\n`;
}

/** list_daemon: one line per running sync daemon. */
export function listDaemonText(l: IpvsListing): string {
  let out = '';
  for (const d of l.daemons) {
    out += `${d.state} sync daemon (mcast=${d.mcastInterface}, syncid=${d.syncId}`;
    if (d.syncMaxLen) out += `, maxlen=${d.syncMaxLen}`;
    if (d.mcastGroup) out += `, group=${d.mcastGroup}`;
    if (d.mcastPort) out += `, port=${d.mcastPort}`;
    if (d.mcastTtl) out += `, ttl=${d.mcastTtl}`;
    out += ')\n';
  }
  return out;
}
