/**
 * Real-server preparation for LVS DR and TUN (what `ulvs realserver setup|teardown|status` does):
 * the VIP on a non-ARPing interface (lo, or tunl0 when the kernel has ipip), arp_ignore=1 /
 * arp_announce=2 so the host never answers ARP for the VIP, and rp_filter off for TUN (decapsulated
 * packets arrive from the client's address on an interface that does not route back to it).
 * Changes are recorded in /run/ulvs/realserver-<netns inode>.json so teardown restores them exactly.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { run } from '../util/exec.js';

/** Real-server mode. */
export type RealServerMode = 'dr' | 'tun';

/** What setup changed (and teardown undoes). */
interface RsState {
  mode: RealServerMode;
  vips: string[];
  addresses: Array<{ address: string; dev: string }>;
  sysctls: Array<{ key: string; old: string }>;
  tunl0Up: boolean;
}

function stateFile(): string {
  let ino = 0;
  try {
    ino = statSync('/proc/self/ns/net').ino;
  } catch {
    /* no procfs */
  }
  return `/run/ulvs/realserver-${ino}.json`;
}

function sysctlPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

function readSysctl(key: string): string | undefined {
  try {
    return readFileSync(sysctlPath(key), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** True when the kernel can decapsulate IPIP itself (tunl0 exists or the ipip module is loadable). */
export async function kernelHasIpip(): Promise<boolean> {
  if (existsSync('/sys/class/net/tunl0')) return true;
  const r = await run(['modprobe', '-q', 'ipip']);
  return r.code === 0 && existsSync('/sys/class/net/tunl0');
}

/** Interfaces with an IPv4 address other than lo (where ARP must be tamed). */
async function arpInterfaces(): Promise<string[]> {
  const r = await run(['ip', '-j', '-4', 'addr', 'show']);
  try {
    return (JSON.parse(r.stdout) as Array<{ ifname: string }>).map((l) => l.ifname).filter((n) => n !== 'lo' && n !== 'tunl0');
  } catch {
    return [];
  }
}

/** The sysctls a mode needs, key -> wanted value. */
export async function wantedSysctls(mode: RealServerMode, tunDev: string): Promise<Map<string, string>> {
  const w = new Map<string, string>([
    ['net.ipv4.conf.all.arp_ignore', '1'],
    ['net.ipv4.conf.all.arp_announce', '2'],
  ]);
  for (const i of await arpInterfaces()) {
    w.set(`net.ipv4.conf.${i}.arp_ignore`, '1');
    w.set(`net.ipv4.conf.${i}.arp_announce`, '2');
  }
  if (mode === 'tun') {
    w.set('net.ipv4.conf.all.rp_filter', '0');
    w.set(`net.ipv4.conf.${tunDev}.rp_filter`, '0');
    for (const i of await arpInterfaces()) w.set(`net.ipv4.conf.${i}.rp_filter`, '0');
  }
  return w;
}

/** Prepares this host as a real server for `vips`; returns what it did, one line each. */
export async function realServerSetup(mode: RealServerMode, vips: string[]): Promise<string[]> {
  const done: string[] = [];
  await realServerTeardown();
  const useTunl0 = mode === 'tun' && (await kernelHasIpip());
  const dev = useTunl0 ? 'tunl0' : 'lo';
  const st: RsState = { mode, vips, addresses: [], sysctls: [], tunl0Up: false };
  mkdirSync('/run/ulvs', { recursive: true });
  const save = (): void => writeFileSync(stateFile(), JSON.stringify(st, null, 2));
  save();
  for (const [key, value] of await wantedSysctls(mode, dev)) {
    const old = readSysctl(key);
    if (old === undefined || old === value) continue;
    writeFileSync(sysctlPath(key), value);
    st.sysctls.push({ key, old });
    done.push(`sysctl ${key}=${value} (was ${old})`);
  }
  if (useTunl0) {
    await run(['ip', 'link', 'set', 'tunl0', 'up']);
    st.tunl0Up = true;
  }
  for (const vip of vips) {
    const a = vip.includes('/') ? vip : `${vip}/${vip.includes(':') ? 128 : 32}`;
    const r = await run(['ip', 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : [])]);
    if (r.code === 0) {
      st.addresses.push({ address: a, dev });
      done.push(`address ${a} on ${dev}`);
    } else if (!/exists/i.test(r.stderr)) {
      save();
      throw new Error(`cannot add ${a} to ${dev}: ${r.stderr.trim()}`);
    }
  }
  save();
  if (mode === 'tun' && !useTunl0)
    done.push("this kernel has no ipip module: keep 'ulvs realserver decap' running (IPIP decapsulator: XDP in the kernel, else userspace)");
  return done;
}

/** Undoes realServerSetup (also after a crash); returns what it removed. */
export async function realServerTeardown(): Promise<string[]> {
  const f = stateFile();
  if (!existsSync(f)) return [];
  const st = JSON.parse(readFileSync(f, 'utf8')) as RsState;
  const out: string[] = [];
  for (const a of st.addresses) {
    if ((await run(['ip', 'addr', 'del', a.address, 'dev', a.dev])).code === 0) out.push(`removed ${a.address} from ${a.dev}`);
  }
  for (const s of st.sysctls.reverse()) {
    try {
      writeFileSync(sysctlPath(s.key), s.old);
      out.push(`sysctl ${s.key}=${s.old}`);
    } catch {
      /* interface gone */
    }
  }
  if (st.tunl0Up) await run(['ip', 'link', 'set', 'tunl0', 'down']);
  rmSync(f, { force: true });
  return out;
}

/** One finding of `status`. */
export interface StatusFinding {
  ok: boolean;
  message: string;
}

/** Checks this host for `mode`/`vips` and explains each misconfiguration in one sentence. */
export async function realServerStatus(mode: RealServerMode, vips: string[], decapRunning = false): Promise<StatusFinding[]> {
  const out: StatusFinding[] = [];
  const tunl0 = existsSync('/sys/class/net/tunl0');
  const dev = mode === 'tun' && tunl0 ? 'tunl0' : 'lo';
  const addrs = await run(['ip', '-j', 'addr', 'show']);
  let links: Array<{ ifname: string; addr_info?: Array<{ local: string }> }> = [];
  try {
    links = JSON.parse(addrs.stdout);
  } catch {
    /* empty */
  }
  for (const vip of vips) {
    const bare = vip.split('/')[0];
    const holder = links.find((l) => (l.addr_info ?? []).some((a) => a.local === bare));
    if (!holder)
      out.push({
        ok: false,
        message: `the VIP ${bare} is not on this host: packets for it will be dropped (run 'ulvs realserver setup --mode ${mode} --vip ${bare}')`,
      });
    else if (holder.ifname !== 'lo' && holder.ifname !== 'tunl0')
      out.push({
        ok: false,
        message: `the VIP ${bare} is on ${holder.ifname}, an interface that answers ARP: this host will steal the VIP's traffic from the director (put it on ${dev})`,
      });
    else out.push({ ok: true, message: `the VIP ${bare} is on ${holder.ifname}` });
  }
  for (const [key, want] of await wantedSysctls(mode, dev)) {
    const have = readSysctl(key);
    if (have === undefined) continue;
    const name = key.split('.').slice(-1)[0];
    const scope = key.split('.')[3];
    const ok = name === 'rp_filter' ? have === '0' : Number(have) >= Number(want);
    if (ok) continue;
    if (name === 'arp_ignore')
      out.push({
        ok: false,
        message: `arp_ignore is ${have} on ${scope}: this host will answer ARP for the VIP and steal traffic (set net.ipv4.conf.${scope}.arp_ignore=1)`,
      });
    else if (name === 'arp_announce')
      out.push({
        ok: false,
        message: `arp_announce is ${have} on ${scope}: this host may send ARP requests with the VIP as source and poison neighbours' caches (set ${key}=2)`,
      });
    else out.push({ ok: false, message: `rp_filter is ${have} on ${scope}: decapsulated packets from clients will be dropped as martians (set ${key}=0)` });
  }
  if (mode === 'tun') {
    if (tunl0) out.push({ ok: true, message: 'the kernel decapsulates IPIP (tunl0)' });
    else if (decapRunning) out.push({ ok: true, message: 'the IPIP decapsulator (ulvs realserver decap) is running' });
    else
      out.push({
        ok: false,
        message:
          "this kernel has no ipip module and no userspace decapsulator is running: IPIP packets from the director will be answered with ICMP protocol-unreachable (run 'ulvs realserver decap')",
      });
  }
  if (out.every((f) => f.ok)) out.push({ ok: true, message: `this host is ready to be a ${mode.toUpperCase()} real server` });
  return out;
}
