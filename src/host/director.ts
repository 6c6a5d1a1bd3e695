/**
 * What the director host needs around the packet workers, set up and torn down by ulvs itself:
 * netfilter rules (NFQUEUE steering, or raw-table DROPs that keep the kernel from also handling what
 * AF_PACKET forwards), NOTRACK, per-real-server fwmark routes for DR on NFQUEUE, the VIP addresses,
 * and forwarding sysctls. Everything is tagged: iptables rules carry the comment `ulvs` and live in
 * chains named ULVS, ip rules and routes use protocol 117, and added addresses and changed sysctls
 * are recorded in /run/ulvs/director-<netns inode>.json. teardownDirectorNet() removes all of it,
 * including what a crashed run left behind; setupDirectorNet() calls it first. The plan is derived in
 * director-plan.ts, its iptables rules in director-iptables.ts.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { run, runOk } from '../util/exec.js';
import { CHAIN, ULVS_TAG, iptablesRules } from './director-iptables.js';
import { drRuleFamilies, planFamilies, type DirectorNetPlan } from './director-plan.js';

/** Route/rule protocol number tagging ulvs' ip rules and routes (unassigned in rt_protos). */
export const ULVS_RT_PROTO = 117;
/** First ip rule preference ulvs uses (DR marks), and the preference the local table moves to. */
const RULE_PREF = 100;
const LOCAL_PREF = 150;
interface NetState {
  addresses: Array<{ address: string; iface: string }>;
  sysctls: Array<{ key: string; old: string }>;
  gro: Array<{ iface: string }>;
  localMoved: boolean;
}

function netnsInode(): number {
  try {
    return statSync('/proc/self/ns/net').ino;
  } catch {
    return 0;
  }
}

/** The state file of this network namespace's director. */
export function stateFile(): string {
  return `/run/ulvs/director-${netnsInode()}.json`;
}

function loadState(): NetState {
  const f = stateFile();
  if (!existsSync(f)) return { addresses: [], sysctls: [], gro: [], localMoved: false };
  try {
    return JSON.parse(readFileSync(f, 'utf8')) as NetState;
  } catch {
    return { addresses: [], sysctls: [], gro: [], localMoved: false };
  }
}

function saveState(s: NetState): void {
  mkdirSync('/run/ulvs', { recursive: true });
  writeFileSync(stateFile(), JSON.stringify(s, null, 2));
}

const ipt = (f: 4 | 6): string => (f === 4 ? 'iptables' : 'ip6tables');

async function sysctlSet(st: NetState, key: string, value: string): Promise<void> {
  const path = `/proc/sys/${key.replace(/\./g, '/')}`;
  if (!existsSync(path)) return;
  const old = readFileSync(path, 'utf8').trim();
  if (old === value) return;
  if (!st.sysctls.some((s) => s.key === key)) st.sysctls.push({ key, old });
  writeFileSync(path, value);
}

/**
 * Installs the plan (after removing anything a previous run left). Throws one sentence on failure, with
 * everything undone. Resolves to the sysctls it changed ("key old -> new"), each restored on teardown, for
 * the caller to log once: NFQUEUE hands rewritten packets back to the kernel's forwarding path, so it needs
 * ip_forward (and IPv6 forwarding, accept_local, no redirects, no early demux) where IPVS would not.
 */
export async function setupDirectorNet(p: DirectorNetPlan): Promise<string[]> {
  await teardownDirectorNet();
  const st: NetState = { addresses: [], sysctls: [], gro: [], localMoved: false };
  saveState(st);
  try {
    // AF_XDP needs no rules: the frames it redirects never reach the kernel's stack.
    const fams = p.backend === 'afxdp' ? [] : planFamilies(p);
    for (const f of fams) {
      for (const table of ['raw', 'mangle'] as const) {
        if (table === 'mangle' && p.backend !== 'nfqueue') continue;
        const r = await run([ipt(f), '-w', '-t', table, '-N', CHAIN]);
        if (r.code !== 0 && !/exists/i.test(r.stderr)) throw new Error(explainIptables(r.stderr));
        await runOk([ipt(f), '-w', '-t', table, '-A', 'PREROUTING', '-m', 'comment', '--comment', ULVS_TAG, '-j', CHAIN]);
      }
    }
    for (const [f, table, argv] of iptablesRules(p)) {
      const r = await run([ipt(f), '-w', '-t', table, ...argv]);
      if (r.code !== 0) throw new Error(explainIptables(r.stderr));
    }
    const first = p.interfaces[0];
    for (const a of p.addresses) {
      const r = await run(['ip', 'addr', 'add', a, 'dev', first, ...(a.includes(':') ? ['nodad'] : [])]);
      if (r.code === 0) st.addresses.push({ address: a, iface: first });
      else if (!/exists/i.test(r.stderr)) throw new Error(`cannot add address ${a} to ${first}: ${r.stderr.trim()}`);
      saveState(st);
    }
    if (p.backend === 'nfqueue') {
      await sysctlSet(st, 'net.ipv4.ip_forward', '1');
      await sysctlSet(st, 'net.ipv4.conf.all.send_redirects', '0');
      for (const i of p.interfaces) await sysctlSet(st, `net.ipv4.conf.${i}.send_redirects`, '0');
      // Rewritten packets re-enter routing with the VIP (NAT replies) or our address (TUN outer header) as source.
      await sysctlSet(st, 'net.ipv4.conf.all.accept_local', '1');
      for (const i of p.interfaces) await sysctlSet(st, `net.ipv4.conf.${i}.accept_local`, '1');
      if (p.services.some((s) => s.family === 6) || p.natReplies.some((s) => s.family === 6)) await sysctlSet(st, 'net.ipv6.conf.all.forwarding', '1');
      // DR packets go back to the kernel with the VIP still their destination. Early demux would attach a
      // local socket of the same 4-tuple (a TIME_WAIT left by a proxy that served the VIP here before) and
      // ip_forward drops every packet that carries a socket: the flow would be black-holed for up to a
      // minute. Set for any nfqueue director, as DR services can be added later. IPv6 obeys it too.
      await sysctlSet(st, 'net.ipv4.ip_early_demux', '0');
    }
    // AF_PACKET needs no host change for offloads: it completes checksums and cuts GRO/GSO super-frames
    // itself (native/afpacket.cc). st.gro only restores what an older ulvs turned off.
    saveState(st);
    if (p.drRoutes.length) {
      // Packets to a local VIP would be delivered locally before any fwmark rule: move the local table after
      // ours, in each family that has DR routes (`ip rule` without -6 only touches IPv4).
      for (const fam of drRuleFamilies(p)) {
        await runOk(['ip', fam, 'rule', 'add', 'pref', String(LOCAL_PREF), 'lookup', 'local', 'protocol', String(ULVS_RT_PROTO)]);
        await run(['ip', fam, 'rule', 'del', 'pref', '0', 'lookup', 'local']);
      }
      st.localMoved = true;
      saveState(st);
      for (const d of p.drRoutes) {
        const fam = d.via.includes(':') ? '-6' : '-4';
        await runOk([
          'ip',
          fam,
          'rule',
          'add',
          'pref',
          String(RULE_PREF),
          'fwmark',
          String(d.mark),
          'lookup',
          String(d.table),
          'protocol',
          String(ULVS_RT_PROTO),
        ]);
        await runOk([
          'ip',
          fam,
          'route',
          'replace',
          'default',
          'via',
          d.via,
          'dev',
          d.iface,
          'table',
          String(d.table),
          'proto',
          String(ULVS_RT_PROTO),
          'onlink',
        ]);
      }
    }
  } catch (e) {
    await teardownDirectorNet();
    throw e;
  }
  return st.sysctls.map((c) => `${c.key} ${c.old} -> ${sysctlNow(c.key)}`);
}

function sysctlNow(key: string): string {
  try {
    return readFileSync(`/proc/sys/${key.replace(/\./g, '/')}`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/**
 * Moves the host from plan `prev` (installed) to `next` without a gap: each family's ULVS chains get
 * their new contents in one iptables-restore transaction (the old rules stay until the new ones are
 * in, so a VIP that stays never loses its steering or DROP rule), then new addresses are added and
 * dropped ones removed. Falls back to a full setupDirectorNet when what changed is not just services,
 * NAT replies, fwmarks and addresses (backend, interfaces, queues, address families, DR routes).
 */
export async function updateDirectorNet(prev: DirectorNetPlan, next: DirectorNetPlan): Promise<void> {
  const families = (p: DirectorNetPlan): string => JSON.stringify([...planFamilies(p)].sort());
  const same = (k: keyof DirectorNetPlan): boolean => JSON.stringify(prev[k]) === JSON.stringify(next[k]);
  if (!same('backend') || !same('interfaces') || !same('queueBase') || !same('workers') || !same('drRoutes') || families(prev) !== families(next)) {
    await setupDirectorNet(next);
    return;
  }
  const rules = iptablesRules(next);
  for (const f of next.backend === 'afxdp' ? [] : planFamilies(next)) {
    const text: string[] = [];
    for (const table of next.backend === 'nfqueue' ? (['raw', 'mangle'] as const) : (['raw'] as const)) {
      text.push(`*${table}`, `:${CHAIN} - [0:0]`, ...rules.filter(([rf, t]) => rf === f && t === table).map(([, , argv]) => argv.join(' ')), 'COMMIT');
    }
    const r = await run([`${ipt(f)}-restore`, '-w', '--noflush'], { input: text.join('\n') + '\n' });
    if (r.code !== 0) throw new Error(explainIptables(r.stderr));
  }
  const st = loadState();
  const first = next.interfaces[0];
  for (const a of next.addresses.filter((x) => !prev.addresses.includes(x))) {
    const r = await run(['ip', 'addr', 'add', a, 'dev', first, ...(a.includes(':') ? ['nodad'] : [])]);
    if (r.code === 0) st.addresses.push({ address: a, iface: first });
    else if (!/exists/i.test(r.stderr)) throw new Error(`cannot add address ${a} to ${first}: ${r.stderr.trim()}`);
    saveState(st);
  }
  for (const a of prev.addresses.filter((x) => !next.addresses.includes(x))) {
    const held = st.addresses.findIndex((x) => x.address === a);
    if (held < 0) continue; // not ours: it was there before ulvs
    await run(['ip', 'addr', 'del', a, 'dev', st.addresses[held]!.iface]);
    st.addresses.splice(held, 1);
    saveState(st);
  }
}

/**
 * Keeps ulvs' jump the last rule of mangle PREROUTING in each family that has fwmark services. IPVS
 * sees a packet's mark whatever rule set it and wherever; here a MARK rule appended after ulvs started
 * would come after the jump and its packets would never reach a fwmark service. The jump is moved
 * atomically (delete and append in one iptables-restore transaction). Returns the families moved.
 */
export async function keepMarkJumpLast(p: DirectorNetPlan): Promise<Array<4 | 6>> {
  if (p.backend !== 'nfqueue') return [];
  const moved: Array<4 | 6> = [];
  for (const f of new Set(p.fwmarks.map((m) => m.family))) {
    const rules = (await run([`${ipt(f)}-save`, '-t', 'mangle'])).stdout.split('\n').filter((l) => l.startsWith('-A PREROUTING '));
    const i = rules.findIndex((l) => l.includes(`--comment ${ULVS_TAG}`) && l.endsWith(`-j ${CHAIN}`));
    if (i < 0 || i === rules.length - 1) continue;
    const jump = rules[i]!.slice('-A PREROUTING '.length);
    const r = await run([`${ipt(f)}-restore`, '-w', '--noflush'], {
      input: ['*mangle', `-D PREROUTING ${jump}`, `-A PREROUTING ${jump}`, 'COMMIT', ''].join('\n'),
    });
    if (r.code === 0) moved.push(f);
  }
  return moved;
}

function explainIptables(stderr: string): string {
  const s = stderr.trim();
  if (/NFQUEUE/.test(s) && /No chain|target|Couldn't load/i.test(s)) return `this kernel has no NFQUEUE target (${s}): use --backend afpacket`;
  if (/Permission denied|not permitted/i.test(s)) return 'iptables needs root (CAP_NET_ADMIN): run ulvs as root';
  return `iptables failed: ${s}`;
}

/** Removes every rule, route, address and sysctl change ulvs made in this network namespace. */
export async function teardownDirectorNet(): Promise<string[]> {
  const removed: string[] = [];
  for (const f of [4, 6] as const) {
    for (const table of ['raw', 'mangle'] as const) {
      const save = await run([`${ipt(f)}-save`, '-t', table]);
      for (const line of save.stdout.split('\n')) {
        if (/^-A PREROUTING /.test(line) && line.includes(`--comment ${ULVS_TAG}`)) {
          const argv = line.replace(/^-A /, '-D ').split(' ');
          if ((await run([ipt(f), '-w', '-t', table, ...argv])).code === 0) removed.push(`${ipt(f)} -t ${table} ${line}`);
        }
      }
      if (save.stdout.includes(`:${CHAIN} `)) {
        await run([ipt(f), '-w', '-t', table, '-F', CHAIN]);
        if ((await run([ipt(f), '-w', '-t', table, '-X', CHAIN])).code === 0) removed.push(`${ipt(f)} -t ${table} chain ${CHAIN}`);
      }
    }
    // Put the local table back first, then drop our rules and routes.
    const fam = f === 4 ? '-4' : '-6';
    const rules = (await run(['ip', fam, 'rule', 'list'])).stdout;
    if (!/^0:\s+from all lookup local/m.test(rules) && new RegExp(`^${LOCAL_PREF}:\\s+from all lookup local`, 'm').test(rules)) {
      await run(['ip', fam, 'rule', 'add', 'pref', '0', 'lookup', 'local']);
    }
    for (;;) {
      const r = await run(['ip', fam, 'rule', 'del', 'protocol', String(ULVS_RT_PROTO)]);
      if (r.code !== 0) break;
      removed.push(`ip ${fam} rule (protocol ${ULVS_RT_PROTO})`);
    }
    const routes = await run(['ip', fam, 'route', 'flush', 'table', 'all', 'proto', String(ULVS_RT_PROTO)]);
    if (routes.code === 0 && routes.stdout.trim()) removed.push(routes.stdout.trim());
  }
  const st = loadState();
  for (const a of st.addresses) {
    if ((await run(['ip', 'addr', 'del', a.address, 'dev', a.iface])).code === 0) removed.push(`address ${a.address} on ${a.iface}`);
  }
  for (const s of st.sysctls) {
    try {
      writeFileSync(`/proc/sys/${s.key.replace(/\./g, '/')}`, s.old);
      removed.push(`sysctl ${s.key}=${s.old}`);
    } catch {
      /* interface gone */
    }
  }
  for (const g of st.gro) await run(['ethtool', '-K', g.iface, 'gro', 'on']);
  rmSync(stateFile(), { force: true });
  return removed;
}

/** What of ulvs' setup is present now (rules, rules/routes, state file): empty when clean. */
export async function leftovers(): Promise<string[]> {
  const out: string[] = [];
  for (const f of [4, 6] as const) {
    for (const table of ['raw', 'mangle'] as const) {
      const save = (await run([`${ipt(f)}-save`, '-t', table])).stdout;
      for (const line of save.split('\n')) if (line.includes(ULVS_TAG) || line.startsWith(`:${CHAIN} `)) out.push(`${ipt(f)} -t ${table}: ${line}`);
    }
    const fam = f === 4 ? '-4' : '-6';
    const rules = (await run(['ip', fam, 'rule', 'list'])).stdout
      .split('\n')
      .filter((l) => l.includes(`proto ${ULVS_RT_PROTO}`))
      .join('\n');
    if (rules) out.push(`ip ${fam} rule: ${rules}`);
    const routes = (await run(['ip', fam, 'route', 'show', 'table', 'all', 'proto', String(ULVS_RT_PROTO)])).stdout.trim();
    if (routes) out.push(`ip ${fam} route: ${routes}`);
  }
  if (existsSync(stateFile())) out.push(`state file ${stateFile()}`);
  return out;
}
