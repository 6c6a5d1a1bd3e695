/**
 * keepalived's `use_vmac`: a macvlan on the instance interface with the RFC 5798 §7.3 virtual MAC
 * (00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6), named `vrrp.VRID` unless given.
 * The VIPs go on it, so ARP for them is answered with the virtual MAC; the base interface is set to
 * arp_ignore=1 / arp_filter=1 so it does not answer for them too, and arp_announce=2 so its own ARP
 * requests (e.g. for a client the VIP answers) never announce a VIP with the base MAC. Adverts are sent and
 * received on the macvlan, so they carry the virtual MAC (keepalived's default; a private-mode macvlan still
 * gets the peers' adverts, which carry the same MAC, as frames "from itself"); with `vmac_xmit_base` they stay
 * on the base interface. IPv6 adverts from the macvlan need the base's link-local address on it too (as
 * keepalived's set_link_local_address), with address generation off.
 */
import { run } from '../util/exec.js';
import type { VrrpInstanceSpec } from './types.js';

/** The macvlan's name and MAC for an instance with use_vmac. */
export function vmacOf(spec: VrrpInstanceSpec): { name: string; mac: string } {
  const name = typeof spec.useVmac === 'string' && spec.useVmac ? spec.useVmac : `vrrp.${spec.vrid}`;
  const mac = `00:00:5e:00:0${spec.family === 4 ? 1 : 2}:${spec.vrid.toString(16).padStart(2, '0')}`;
  return { name, mac };
}

/** True when the instance's adverts go out (and come in) on the VMAC interface. */
export function advertsOnVmac(spec: VrrpInstanceSpec): boolean {
  return !!spec.useVmac && !spec.vmacXmitBase;
}

/**
 * Creates (or re-creates, after a crash) the VMAC interface up; `linkLocal` (the base's IPv6
 * link-local) is added to it for IPv6 adverts from the VMAC. Returns error messages.
 */
export async function setupVmac(spec: VrrpInstanceSpec, linkLocal?: string): Promise<string[]> {
  const { name, mac } = vmacOf(spec);
  await run(['ip', 'link', 'del', name], { timeoutMs: 5000 });
  const errors: string[] = [];
  const v6 = spec.family === 6 && advertsOnVmac(spec) && linkLocal;
  for (const argv of [
    ['ip', 'link', 'add', name, 'link', spec.interface, 'type', 'macvlan', 'mode', 'private'],
    ['ip', 'link', 'set', name, 'address', mac],
    ...(v6 ? [['ip', 'link', 'set', name, 'addrgenmode', 'none']] : []),
    ['ip', 'link', 'set', name, 'up'],
    ...(v6 ? [['ip', '-6', 'addr', 'add', `${linkLocal}/64`, 'dev', name, 'nodad']] : []),
  ]) {
    const r = await run(argv, { timeoutMs: 5000 });
    if (r.code !== 0) {
      errors.push(`use_vmac: '${argv.join(' ')}' failed: ${r.stderr.trim()}`);
      return errors;
    }
  }
  if (spec.family === 4) {
    await run(
      [
        'sysctl',
        '-q',
        '-w',
        `net.ipv4.conf.${spec.interface}.arp_ignore=1`,
        `net.ipv4.conf.${spec.interface}.arp_filter=1`,
        `net.ipv4.conf.${spec.interface}.arp_announce=2`,
        `net.ipv4.conf.${name}.arp_ignore=1`,
      ],
      { timeoutMs: 5000 },
    );
  }
  return errors;
}

/** Deletes the VMAC interface (at stop, like keepalived). */
export async function removeVmac(spec: VrrpInstanceSpec): Promise<void> {
  await run(['ip', 'link', 'del', vmacOf(spec).name], { timeoutMs: 5000 });
}
