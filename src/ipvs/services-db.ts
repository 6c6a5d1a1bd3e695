/**
 * Service-name -> port lookup (getservbyname) for ipvsadm's host:port arguments, read from
 * /etc/services once, with a small built-in table when that file is missing.
 */
import { readFileSync } from 'node:fs';

const BUILTIN: Record<string, number> = {
  ftp: 21,
  ssh: 22,
  telnet: 23,
  smtp: 25,
  domain: 53,
  http: 80,
  www: 80,
  pop3: 110,
  ntp: 123,
  imap: 143,
  snmp: 161,
  ldap: 389,
  https: 443,
  submission: 587,
  imaps: 993,
  pop3s: 995,
  mysql: 3306,
};

let table: Map<string, number> | undefined;

function load(): Map<string, number> {
  const m = new Map<string, number>();
  let text = '';
  try {
    text = readFileSync('/etc/services', 'utf8');
  } catch {
    for (const [name, port] of Object.entries(BUILTIN)) for (const p of ['tcp', 'udp', 'sctp']) m.set(`${name}/${p}`, port);
    return m;
  }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [name, portProto, ...aliases] = line.split(/\s+/);
    const mm = /^(\d+)\/(\w+)$/.exec(portProto ?? '');
    if (!name || !mm) continue;
    for (const n of [name, ...aliases]) {
      const key = `${n}/${mm[2]}`;
      if (!m.has(key)) m.set(key, Number(mm[1]));
    }
  }
  return m;
}

/** getservbyname(name, proto): the port, or -1 when unknown. */
export function serviceToPort(name: string, protocol: 'tcp' | 'udp' | 'sctp' | undefined): number {
  if (!protocol) return -1;
  table ??= load();
  return table.get(`${name}/${protocol}`) ?? -1;
}
