/**
 * Facts about a network interface the VRRP shell needs (index, MAC, up/down, primary IPv4 and
 * IPv6 link-local address), read with `ip -j addr show dev IF` in the daemon's namespace.
 */
import { run } from '../util/exec.js';

/** One interface as `ip -j addr` describes it. */
export interface InterfaceInfo {
  name: string;
  index: number;
  mac: string;
  /** Administratively up and carrier present (LOWER_UP). */
  up: boolean;
  /** All IPv4 addresses, primary first (secondaries and our VIPs follow). */
  ipv4: string[];
  /** Non-tentative IPv6 link-local addresses. */
  linkLocal6: string[];
  /** Other IPv6 addresses. */
  ipv6: string[];
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  flags?: string[];
  address?: string;
  addr_info?: { family: string; local: string; scope?: string; secondary?: boolean; tentative?: boolean }[];
}

/**
 * Reads one interface; undefined when it does not exist. Throws when its state cannot be read (ip
 * failed to run, e.g. EMFILE, or printed garbage): that is an error, never "interface missing".
 */
export async function readInterface(name: string): Promise<InterfaceInfo | undefined> {
  const r = await run(['ip', '-j', 'addr', 'show', 'dev', name], { timeoutMs: 5000 });
  if (r.code !== 0) {
    if (/does not exist|Cannot find device/i.test(r.stderr)) return undefined;
    throw new Error(`cannot read interface ${name}: ${r.stderr.trim() || `ip exited ${r.code}`}`);
  }
  let arr: IpAddrJson[];
  try {
    arr = JSON.parse(r.stdout) as IpAddrJson[];
  } catch {
    throw new Error(`cannot read interface ${name}: ip -j printed no JSON`);
  }
  const j = arr[0];
  if (!j) return undefined;
  const flags = j.flags ?? [];
  const ai = j.addr_info ?? [];
  return {
    name: j.ifname,
    index: j.ifindex,
    mac: j.address ?? '00:00:00:00:00:00',
    up: flags.includes('UP') && flags.includes('LOWER_UP'),
    ipv4: ai
      .filter((a) => a.family === 'inet')
      .sort((a, b) => Number(!!a.secondary) - Number(!!b.secondary))
      .map((a) => a.local),
    linkLocal6: ai.filter((a) => a.family === 'inet6' && a.scope === 'link' && !a.tentative).map((a) => a.local),
    ipv6: ai.filter((a) => a.family === 'inet6' && a.scope !== 'link').map((a) => a.local),
  };
}

/**
 * Whether the interface is up with carrier, read from sysfs (cheap, for polling); undefined when the
 * interface does not exist. Throws when sysfs cannot be read (EMFILE, ENFILE…): not "down".
 */
export async function readOperUp(name: string): Promise<boolean | undefined> {
  const { readFile } = await import('node:fs/promises');
  let flagsText: string;
  try {
    flagsText = await readFile(`/sys/class/net/${name}/flags`, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const flags = parseInt(flagsText.trim(), 16);
  let carrier: string;
  try {
    carrier = (await readFile(`/sys/class/net/${name}/carrier`, 'utf8')).trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // carrier reads EINVAL while the interface is administratively down; ENOENT if it just vanished.
    if (code === 'EINVAL' || code === 'ENOENT') carrier = '0';
    else throw e;
  }
  return (flags & 1) === 1 && carrier === '1';
}
