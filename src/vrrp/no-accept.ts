/**
 * no_accept (the default under vrrp_strict for non-owners): while such an instance is MASTER, traffic
 * to its virtual addresses is dropped on input and traffic from them on output, as keepalived's
 * firewall does (vrrp_nftables.c: table `ip keepalived`, set `vips`, `ip daddr @vips drop` at
 * filter-1 on input, `ip saddr @vips drop` on output; IPv6 neighbour discovery still passes).
 * ulvs uses iptables/ip6tables chains ULVS-VRRP-IN/OUT jumped to first from INPUT/OUTPUT.
 */
import { run } from '../util/exec.js';
import type { VipSpec } from './types.js';

const IN = 'ULVS-VRRP-IN';
const OUT = 'ULVS-VRRP-OUT';

function tool(f: 4 | 6): string {
  return f === 4 ? 'iptables' : 'ip6tables';
}

async function ipt(f: 4 | 6, args: string[]): Promise<{ code: number; stderr: string }> {
  return run([tool(f), '-w', ...args], { timeoutMs: 10000 });
}

const ready = new Set<4 | 6>();
const active = new Map<string, number>();

async function ensureChains(f: 4 | 6): Promise<void> {
  if (ready.has(f)) return;
  for (const [chain, hook] of [
    [IN, 'INPUT'],
    [OUT, 'OUTPUT'],
  ] as const) {
    await ipt(f, ['-N', chain]);
    if ((await ipt(f, ['-C', hook, '-j', chain])).code !== 0) await ipt(f, ['-I', hook, '1', '-j', chain]);
  }
  if (f === 6) {
    // Neighbour solicitations/advertisements for the VIPs must still flow (keepalived lets ND through).
    for (const chain of [IN, OUT]) for (const t of ['135', '136']) await ipt(6, ['-A', chain, '-p', 'icmpv6', '--icmpv6-type', t, '-j', 'RETURN']);
  }
  ready.add(f);
}

function rules(v: VipSpec): Array<[string, string[]]> {
  return [
    [IN, ['-d', v.address, '-j', 'DROP']],
    [OUT, ['-s', v.address, '-j', 'DROP']],
  ];
}

/** Starts dropping traffic to/from the VIPs (counted per address, so two instances may share one). Returns errors. */
export async function dropVipTraffic(vips: readonly VipSpec[]): Promise<string[]> {
  const errs: string[] = [];
  for (const v of vips) {
    const n = active.get(v.address) ?? 0;
    active.set(v.address, n + 1);
    if (n > 0) continue;
    await ensureChains(v.family);
    for (const [chain, r] of rules(v)) {
      const x = await ipt(v.family, ['-A', chain, ...r]);
      if (x.code !== 0) errs.push(`${tool(v.family)} -A ${chain} ${r.join(' ')}: ${x.stderr.trim()}`);
    }
  }
  return errs;
}

/** Stops dropping traffic to/from the VIPs. */
export async function allowVipTraffic(vips: readonly VipSpec[]): Promise<string[]> {
  const errs: string[] = [];
  for (const v of vips) {
    const n = active.get(v.address) ?? 0;
    if (n > 1) {
      active.set(v.address, n - 1);
      continue;
    }
    active.delete(v.address);
    if (!ready.has(v.family)) continue;
    for (const [chain, r] of rules(v)) {
      const x = await ipt(v.family, ['-D', chain, ...r]);
      if (x.code !== 0 && !/does a matching rule exist|Bad rule/i.test(x.stderr)) errs.push(`${tool(v.family)} -D ${chain}: ${x.stderr.trim()}`);
    }
  }
  return errs;
}

/** Removes the chains (at daemon stop, after every instance left MASTER). */
export async function removeNoAcceptChains(): Promise<void> {
  for (const f of [...ready]) {
    for (const [chain, hook] of [
      [IN, 'INPUT'],
      [OUT, 'OUTPUT'],
    ] as const) {
      await ipt(f, ['-D', hook, '-j', chain]);
      await ipt(f, ['-F', chain]);
      await ipt(f, ['-X', chain]);
    }
    ready.delete(f);
  }
  active.clear();
}
