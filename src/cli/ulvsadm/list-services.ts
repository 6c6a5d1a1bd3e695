/**
 * `ulvsadm -L/-l [-n] [--stats|--rate|--thresholds|--persistent-conn|--tun-info] [--exact] [--nosort]`:
 * the tables ipvsadm 1.31 prints (print_title and print_service_entry in ipvsadm.c), byte for byte,
 * sorted by libipvs's comparators (ipvs/save.ts). `-S` is the rule model's formatSave (saveText).
 */
import type { DestEntry, IpvsListing, ServiceEntry } from '../../control/types.js';
import type { ListFormat } from '../../ipvs/command-types.js';
import { compareDests, compareServices, formatSave } from '../../ipvs/save.js';
import { schedFlagBits, schedFlagNames } from '../../ipvs/schedulers.js';
import type { IpvsRules } from '../../ipvs/types.js';
import { addrPort, largeNum, padEnd, padStart, protocolName } from './format.js';

/** print_title: the two header lines of a table listing. */
export function listTitle(f: ListFormat): string {
  const first = 'Prot LocalAddress:Port'.padEnd(33);
  const second = '  -> RemoteAddress:Port\n';
  if (f.stats) return `${first} ${['Conns', 'InPkts', 'OutPkts', 'InBytes', 'OutBytes'].map((s) => padStart(s, 8)).join(' ')}\n${second}`;
  if (f.rate) return `${first} ${['CPS', 'InPPS', 'OutPPS', 'InBPS', 'OutBPS'].map((s) => padStart(s, 8)).join(' ')}\n${second}`;
  if (f.thresholds) return `${first} ${['Uthreshold', 'Lthreshold', 'ActiveConn', 'InActConn'].map((s) => padEnd(s, 10)).join(' ')}\n${second}`;
  if (f.persistentConn) return `${first} ${padEnd('Weight', 9)} ${padEnd('PersistConn', 11)} ${padEnd('ActiveConn', 10)} ${padEnd('InActConn', 10)}\n${second}`;
  if (f.tunInfo) return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n';
  return 'Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

/** fwd_name: Masq, Local, Tunnel, Route. */
function forwardName(d: DestEntry): string {
  return d.forward === 'nat' ? 'Masq' : d.forward === 'local' ? 'Local' : d.forward === 'tun' ? 'Tunnel' : 'Route';
}

/** ipvsadm's tunflags[]: how --tun-info shows the checksum option. */
const TUN_FLAGS = { nocsum: '-c', csum: '+c', remcsum: 'r+c' } as const;

/** fwd_tun_info for --tun-info: "ipip", "gue:PORT:FLAGS", "gre:FLAGS", or n/a for other methods. */
function tunnelInfo(d: DestEntry): string {
  if (d.forward !== 'tun') return 'n/a';
  const flags = TUN_FLAGS[d.tunCsum ?? 'nocsum'];
  if (d.tunType === 'gue') return `gue:${d.tunPort ?? 0}:${flags}`;
  if (d.tunType === 'gre') return `gre:${flags}`;
  return 'ipip';
}

/** The service's name column: "TCP  addr:port" (cut at 33 for IPv4), "FWM  7". */
export function serviceName(se: ServiceEntry, f: ListFormat): string {
  const k = se.spec.key;
  if (k.kind === 'fwmark') return k.family === 6 ? `FWM  ${k.fwmark} IPv6` : `FWM  ${k.fwmark}`;
  const vname = addrPort(k.family, k.address, k.port, k.protocol, f.numeric);
  const s = `${protocolName(k.protocol).padEnd(4)} ${vname}`;
  return k.family !== 6 ? s.slice(0, 33) : s;
}

/** print_service_entry: the service line and its real-server lines. */
export function serviceEntryText(se: ServiceEntry, f: ListFormat): string {
  const spec = se.spec;
  const name = serviceName(se, f);
  const flags = schedFlagNames(spec.scheduler, schedFlagBits(spec.schedFlags)).join(',');
  const persistent = spec.persistenceTimeoutS > 0;
  const v6 = spec.key.family === 6;
  const maskIsFull = v6 ? spec.netmask === '128' || spec.netmask === '' : spec.netmask === '255.255.255.255' || spec.netmask === '';
  let out = '';
  if (f.stats) {
    const s = se.stats;
    out += name.padEnd(33) + [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, f.exact)).join('');
  } else if (f.rate) {
    const r = se.rates;
    out += name.padEnd(33) + [r.cps, r.inPps, r.outPps, r.inBps, r.outBps].map((n) => largeNum(n, f.exact)).join('');
  } else {
    out += `${name} ${spec.scheduler}`;
    if (flags) out += ` (${flags})`;
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
    if (d.family !== 6) dname = dname.slice(0, 28);
    if (f.stats) {
      const s = d.stats;
      out += `  -> ${dname.padEnd(28)}` + [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map((n) => largeNum(n, f.exact)).join('') + '\n';
    } else if (f.rate) {
      const r = d.rates;
      out +=
        `  -> ${dname.padEnd(28)} ${padStart(r.cps, 8)} ${padStart(r.inPps, 8)} ${padStart(r.outPps, 8)}` +
        largeNum(r.inBps, f.exact) +
        largeNum(r.outBps, f.exact) +
        '\n';
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

/** list_all: version header, title, then every service sorted as libipvs sorts them. */
export function listAllText(l: IpvsListing, f: ListFormat): string {
  let out = `IP Virtual Server version ${l.version} (size=${l.connTabSize})\n`;
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

/** The rules a listing shows (real servers back in the order added), for -S. */
export function listingRules(l: IpvsListing): IpvsRules {
  return { services: l.services.map((se) => ({ ...se.spec, realServers: [...se.dests].reverse() })), timeouts: l.timeouts };
}

/** `-S [-n]`: ipvsadm-save text of the listed rules; without -n, hosts and ports by name as -L prints them. */
export function saveText(l: IpvsListing, numeric: boolean): string {
  const named = (address: string, port: number, protocol: Parameters<typeof addrPort>[3]): string =>
    addrPort(address.includes(':') ? 6 : 4, address, port, protocol, false);
  return formatSave(listingRules(l), numeric ? {} : { addrPort: named });
}
