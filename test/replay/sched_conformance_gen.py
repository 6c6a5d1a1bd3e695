#!/usr/bin/python3
"""Builds test/fixtures/replay-sched/{sched.rules,syns.pcap,expected.json} for
test/replay/sched-conformance.test.ts: many clients' TCP SYNs to DR services of every deterministic
scheduler, and for each SYN the real server the Linux kernel's IPVS would pick.

The expected real servers come from Python models of the kernel C code, written independently of
ulvs's src/sched (never imported or consulted):
  rr, wrr   test/sched/kernel_model.py (ip_vs_rr.c / ip_vs_wrr.c on a struct list_head model)
  lc, wlc, sed, nq   ip_vs_lc.c / ip_vs_wlc.c / ip_vs_sed.c / ip_vs_nq.c below, with
            ip_vs_dest_conn_overhead() = activeconns << 8 | inactconns and tcp_state_active_table
            (ip_vs_proto_tcp.c, since "ipvs: count pre-established TCP states as active"): a SYN
            leaves its connection in SYN_RECV, which counts as active, before the next SYN is scheduled
  sh, dh    ip_vs_sh.c / ip_vs_dh.c: hash_32() (GOLDEN_RATIO_32), 256 buckets filled in list order
            (sh: weight buckets per dest), sh-port adds the source port before hashing
  mh        ip_vs_mh.c: M = 4093, hsiphash (SipHash-1-3 on 64-bit, lib/siphash.c) with the fixed
            keys, permutation offset/skip, turns = (last_weight / gcd) >> rshift, populate()
  -p/-M     ip_vs_sched_persist() (ip_vs_core.c): one template per (client & netmask, VIP, port);
            the scheduler runs only for a client network without a template
Destinations are kept in kernel list order: list_add_rcu() puts each added real server at the head,
so the list is the reverse of the -a order.
Run: /usr/bin/python3 test/replay/sched_conformance_gen.py [OUTDIR] [--expected-only]
(--expected-only writes sched.rules and expected.json without scapy: the test uses it to check that
the committed expectations are what these models compute.)
"""
import json
import os
import sys
from math import gcd

HERE = os.path.dirname(os.path.abspath(__file__))
ARGS = [a for a in sys.argv[1:] if not a.startswith('--')]
EXPECTED_ONLY = '--expected-only' in sys.argv[1:]
OUT = ARGS[0] if ARGS else os.path.join(HERE, '..', 'fixtures', 'replay-sched')
os.makedirs(OUT, exist_ok=True)

ROUTER, DIRECTOR = '02:00:00:00:00:01', '02:00:00:00:00:02'
RS = {f'10.0.0.{n}': f'02:00:00:00:00:{n:02x}' for n in (11, 12, 13, 14)}
A, B, C, D = '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14'
M32 = 0xFFFFFFFF


def ip_u32(s):
    a, b, c, d = (int(x) for x in s.split('.'))
    return (a << 24) | (b << 16) | (c << 8) | d


def u32_ip(v):
    return '.'.join(str((v >> s) & 255) for s in (24, 16, 8, 0))


# --- rr / wrr: reuse the independent list_head model (everything but its trace printing) -------
def load_kernel_model():
    path = os.path.join(HERE, '..', 'sched', 'kernel_model.py')
    src = open(path).read()
    src = src[:src.rindex('\nprint(')]
    ns = {}
    exec(compile(src, path, 'exec'), ns)
    return ns


KM = load_kernel_model()


class ListSched:
    """A service's destination list (kernel order) with a per-packet pick(client_ip, client_port, vip)."""

    def __init__(self, adds):
        # adds: [(address, weight)] in -a order; kernel list = reversed
        self.adds = adds
        self.dests = [{'addr': a, 'weight': w, 'active': 0, 'inactive': 0} for a, w in reversed(adds)]

    def connected(self, d):
        """The new connection's SYN puts it in SYN_RECV: counted as active (tcp_state_active_table)."""
        if d is not None:
            d['active'] += 1


def wrr_model(adds):
    """ip_vs_wrr: init_svc at -A (empty list), then dest_changed after each -a."""
    svc = KM['Svc']()
    sched = KM['WRR'](svc)
    for a, w in adds:
        svc.add(KM['Node'](a, w))
        sched.changed()
    return sched


def rr_model(adds):
    """ip_vs_rr: init_svc points at the list head; add_dest does nothing."""
    svc = KM['Svc']()
    sched = KM['RR'](svc)
    for a, w in adds:
        svc.add(KM['Node'](a, w))
    return sched


class RRLike(ListSched):
    def __init__(self, adds, kind):
        super().__init__(adds)
        self.sched = rr_model(adds) if kind == 'rr' else wrr_model(adds)

    def pick(self, cip, cport, vip):
        n = self.sched.schedule()
        return None if n is None else n.name


# --- least-connection family --------------------------------------------------------------------
def conn_overhead(d):  # ip_vs_dest_conn_overhead
    return (d['active'] << 8) + d['inactive']


class LC(ListSched):  # ip_vs_lc_schedule
    def pick(self, cip, cport, vip):
        least, loh = None, 0
        for d in self.dests:
            if d['weight'] == 0:
                continue
            doh = conn_overhead(d)
            if least is None or doh < loh:
                least, loh = d, doh
        return least and least['addr']


class WeightedLeast(ListSched):
    """ip_vs_wlc_schedule / ip_vs_sed_schedule: first available dest, then strict '>' on
    loh * weight(dest) > doh * weight(least) over the rest of the list."""

    def overhead(self, d):
        raise NotImplementedError

    def pick(self, cip, cport, vip):
        it = iter(self.dests)
        least = None
        for d in it:
            if d['weight'] > 0:
                least = d
                break
        if least is None:
            return None
        loh = self.overhead(least)
        for d in it:
            doh = self.overhead(d)
            if loh * d['weight'] > doh * least['weight']:
                least, loh = d, doh
        return least['addr']


class WLC(WeightedLeast):
    def overhead(self, d):
        return conn_overhead(d)


class SED(WeightedLeast):
    def overhead(self, d):  # ip_vs_sed_dest_overhead: active connections only
        return d['active'] + 1


class NQ(ListSched):  # ip_vs_nq_schedule
    def pick(self, cip, cport, vip):
        least, loh = None, 0
        for d in self.dests:
            if d['weight'] == 0:
                continue
            doh = d['active'] + 1
            if d['active'] == 0:
                return d['addr']
            if least is None or loh * d['weight'] > doh * least['weight']:
                least, loh = d, doh
        return least and least['addr']


# --- hashing schedulers ---------------------------------------------------------------------------
def hash_32(v, bits):  # include/linux/hash.h: (val * GOLDEN_RATIO_32) >> (32 - bits)
    return ((v * 0x61C88647) & M32) >> (32 - bits)


class SH(ListSched):
    def __init__(self, adds, port=False):
        super().__init__(adds)
        self.port = port
        # ip_vs_sh_reassign: walk the list, a dest keeps the cursor until it filled `weight` buckets
        self.buckets, i, cnt = [], 0, 0
        for _ in range(256):
            d = self.dests[i]
            self.buckets.append(d)
            cnt += 1
            if cnt >= d['weight']:
                i, cnt = (i + 1) % len(self.dests), 0

    def pick(self, cip, cport, vip):
        port = cport if self.port else 0
        d = self.buckets[hash_32((port + ip_u32(cip)) & M32, 8) & 255]
        return d['addr'] if d['weight'] > 0 else None


class DH(ListSched):
    def __init__(self, adds):
        super().__init__(adds)
        self.buckets = [self.dests[i % len(self.dests)] for i in range(256)]  # ip_vs_dh_reassign

    def pick(self, cip, cport, vip):
        d = self.buckets[hash_32(ip_u32(vip), 8)]
        return d['addr'] if d['weight'] > 0 else None


def rotl64(x, b):
    return ((x << b) | (x >> (64 - b))) & 0xFFFFFFFFFFFFFFFF


def siphash(k0, k1, data, c_rounds, d_rounds):
    """Generic SipHash-c-d over bytes (lib/siphash.c PREAMBLE / SIPROUND / POSTAMBLE); returns the
    64-bit v0^v1^v2^v3."""
    mask = 0xFFFFFFFFFFFFFFFF
    v = [0x736f6d6570736575 ^ k0, 0x646f72616e646f6d ^ k1, 0x6c7967656e657261 ^ k0, 0x7465646279746573 ^ k1]

    def rnd():
        v[0] = (v[0] + v[1]) & mask; v[1] = rotl64(v[1], 13); v[1] ^= v[0]; v[0] = rotl64(v[0], 32)
        v[2] = (v[2] + v[3]) & mask; v[3] = rotl64(v[3], 16); v[3] ^= v[2]
        v[0] = (v[0] + v[3]) & mask; v[3] = rotl64(v[3], 21); v[3] ^= v[0]
        v[2] = (v[2] + v[1]) & mask; v[1] = rotl64(v[1], 17); v[1] ^= v[2]; v[2] = rotl64(v[2], 32)

    n = len(data) - len(data) % 8
    for o in range(0, n, 8):
        m = int.from_bytes(data[o:o + 8], 'little')
        v[3] ^= m
        for _ in range(c_rounds):
            rnd()
        v[0] ^= m
    b = (len(data) << 56) | int.from_bytes(data[n:], 'little')
    v[3] ^= b
    for _ in range(c_rounds):
        rnd()
    v[0] ^= b
    v[2] ^= 0xff
    for _ in range(d_rounds):
        rnd()
    return v[0] ^ v[1] ^ v[2] ^ v[3]


# The published SipHash-2-4 test vector checks the core before it is trusted.
assert siphash(0x0706050403020100, 0x0f0e0d0c0b0a0908, bytes(range(15)), 2, 4) == 0xa129ca6149be45e5

MH_M = 4093  # primes[CONFIG_IP_VS_MH_TAB_INDEX(12) - 8]
MH_TAB_BITS = 6  # CONFIG_IP_VS_MH_TAB_INDEX / 2
MH_HASH1 = (2654435761, 2654435761)
MH_HASH2 = (2654446892, 2654446892)


def mh_hashkey(addr, port, key, offset=0):
    """ip_vs_mh_hashkey: hsiphash(&v, 4) with v = offset + port + addr (u32); 64-bit hsiphash is
    SipHash-1-3 truncated to u32."""
    v = (offset + port + ip_u32(addr)) & M32
    return siphash(key[0], key[1], v.to_bytes(4, 'little'), 1, 3) & M32


class MH(ListSched):
    def __init__(self, adds, port=False, rs_port=80):
        super().__init__(adds)
        self.port = port
        ws = [d['weight'] for d in self.dests]  # last_weight (all > 0 here)
        g = 0
        for w in ws:
            if w > 0:
                g = gcd(w, g) if g > 0 else w
        shift = max(0, (max(ws) // g).bit_length() - MH_TAB_BITS)  # fls(mw) - IP_VS_MH_TAB_BITS
        setup = []
        for d, w in zip(self.dests, ws):
            off = mh_hashkey(d['addr'], rs_port, MH_HASH1) % MH_M
            skip = mh_hashkey(d['addr'], rs_port, MH_HASH2) % (MH_M - 1) + 1
            setup.append({'perm': off, 'skip': skip, 'turns': ((w // g) >> shift) or (1 if w else 0)})
        table, used = [None] * MH_M, [False] * MH_M
        n = 0
        while n < MH_M:  # ip_vs_mh_populate
            i, dt = 0, 0
            while i < len(self.dests) and n < MH_M:
                s = setup[i]
                if s['turns'] < 1:
                    i += 1
                    continue
                c = s['perm']
                while used[c]:
                    s['perm'] += s['skip']
                    if s['perm'] >= MH_M:
                        s['perm'] -= MH_M
                    c = s['perm']
                used[c] = True
                table[c] = self.dests[i]
                n += 1
                dt += 1
                if dt >= s['turns']:
                    dt, i = 0, i + 1
        self.table = table

    def pick(self, cip, cport, vip):
        d = self.table[mh_hashkey(cip, cport if self.port else 0, MH_HASH1) % MH_M]
        return d['addr'] if d and d['weight'] > 0 else None


class Persistent:
    """ip_vs_sched_persist: template <proto, caddr & mask, 0, vaddr, vport>; schedule on a miss."""

    def __init__(self, inner, mask):
        self.inner, self.mask, self.templates = inner, mask, {}

    def pick(self, cip, cport, vip):
        net = ip_u32(cip) & self.mask
        if net not in self.templates:
            self.templates[net] = self.inner.pick(cip, cport, vip)
        return self.templates[net]

    def connected(self, addr):
        pass


# --- the scenario ---------------------------------------------------------------------------------
def lcg(seed):
    x = seed
    while True:
        x = (x * 1664525 + 1013904223) & M32
        yield x


rand = lcg(20260411)


def hash_clients(n, base):
    """n distinct client addresses spread over 198.18.0.0/15 (deterministic)."""
    seen, out = set(), []
    while len(out) < n:
        a = base | (next(rand) & 0x1FFFF)
        if (a & 255) in (0, 255) or a in seen:
            continue
        seen.add(a)
        out.append(u32_ip(a))
    return out


BASE = ip_u32('198.18.0.0')
services = []  # {name, vip, opts (ipvsadm -A options), adds [(rs, weight)], model, flows [(client, port)]}


def service(name, vip, opts, adds, model, flows):
    services.append({'name': name, 'vip': vip, 'opts': opts, 'adds': adds, 'model': model, 'flows': flows})


def seq_clients(k, n):
    return [(f'203.0.113.{1 + (i % 250)}', 10000 + 100 * k + i) for i in range(n)]


W123 = [(A, 1), (B, 2), (C, 3)]
service('rr', '192.0.2.10', '-s rr', [(A, 1), (B, 1), (C, 0), (D, 1)], None, seq_clients(0, 40))
service('wrr', '192.0.2.11', '-s wrr', W123, None, seq_clients(1, 60))
service('lc', '192.0.2.12', '-s lc', [(A, 1), (B, 5), (C, 0), (D, 2)], None, seq_clients(2, 40))
service('wlc', '192.0.2.13', '-s wlc', [(A, 1), (B, 2), (C, 3), (D, 2)], None, seq_clients(3, 80))
service('sed', '192.0.2.14', '-s sed', W123 + [(D, 6)], None, seq_clients(4, 60))
service('nq', '192.0.2.15', '-s nq', W123, None, seq_clients(5, 40))
hc = hash_clients(300, BASE)
service('sh', '192.0.2.20', '-s sh', [(A, 1), (B, 2), (C, 1), (D, 3)], None,
        [(c, 20000 + i) for i, c in enumerate(hc)] + [(c, 30000 + i) for i, c in enumerate(hc[:60])])
pc = hash_clients(80, BASE)
service('sh-port', '192.0.2.21', '-s sh -b sh-port', [(A, 1), (B, 2), (C, 1), (D, 3)], None,
        [(c, 1024 + 7 * i + j * 4099) for j in range(3) for i, c in enumerate(pc)])
mc = hash_clients(300, BASE)
service('mh', '192.0.2.22', '-s mh', [(A, 1), (B, 2), (C, 3), (D, 1)], None,
        [(c, 20000 + i) for i, c in enumerate(mc)] + [(c, 31000 + i) for i, c in enumerate(mc[:60])])
service('mh-port', '192.0.2.23', '-s mh -b mh-port', [(A, 1), (B, 1), (C, 1)], None,
        [(c, 1024 + 11 * i + j * 5003) for j in range(3) for i, c in enumerate(pc)])
for k in range(16):
    service(f'dh#{k}', f'192.0.2.{100 + k}', '-s dh', [(A, 1), (B, 1), (C, 1), (D, 1)], None,
            [(f'203.0.113.{200 + j}', 40000 + 10 * k + j) for j in range(4)])
# persistent: 30 client /24s, 6 clients each, arriving interleaved
pflows = []
order = [(n, h) for h in range(6) for n in range(30)]
for n, h in order:
    pflows.append((f'100.{64 + n // 8}.{(n % 8) * 17}.{1 + h * 37 + n % 5}', 50000 + n * 6 + h))
service('persistent', '192.0.2.30', '-s rr -p 300 -M 255.255.255.0', [(A, 1), (B, 1), (C, 1)], None, pflows)

for s in services:
    base = s['name'].split('#')[0]
    adds = s['adds']
    m = {'rr': lambda: RRLike(adds, 'rr'), 'wrr': lambda: RRLike(adds, 'wrr'), 'lc': lambda: LC(adds),
         'wlc': lambda: WLC(adds), 'sed': lambda: SED(adds), 'nq': lambda: NQ(adds),
         'sh': lambda: SH(adds), 'sh-port': lambda: SH(adds, port=True), 'mh': lambda: MH(adds),
         'mh-port': lambda: MH(adds, port=True), 'dh': lambda: DH(adds),
         'persistent': lambda: Persistent(RRLike(adds, 'rr'), 0xFFFFFF00)}[base]()
    s['model'] = m

# Interleave the services' SYNs (deterministically): scheduler state must be per service.
queues = [[(s, f) for f in s['flows']] for s in services]
heads = [0] * len(queues)
sequence = []
while any(h < len(q) for h, q in zip(heads, queues)):
    live = [i for i, (h, q) in enumerate(zip(heads, queues)) if h < len(q)]
    i = live[next(rand) % len(live)]
    sequence.append(queues[i][heads[i]])
    heads[i] += 1

rules = ['# ulvs replay scheduler conformance: DR services, real servers added in this order '
         '(kernel list order is the reverse)']
for s in services:
    rules.append(f"-A -t {s['vip']}:80 {s['opts']}")
    for a, w in s['adds']:
        rules.append(f"-a -t {s['vip']}:80 -r {a}:80 -g -w {w}")

if not EXPECTED_ONLY:
    from scapy.all import Ether, IP, TCP, wrpcap
frames, packets = [], []
t0 = 1_700_000_000.0
for n, (s, (cip, cport)) in enumerate(sequence):
    to = s['model'].pick(cip, cport, s['vip'])
    if isinstance(s['model'], ListSched):
        s['model'].connected(next((d for d in s['model'].dests if d['addr'] == to), None))
    packets.append({'case': s['name'].split('#')[0], 'vip': s['vip'], 'client': cip, 'cport': cport, 'to': to})
    if EXPECTED_ONLY:
        continue
    p = Ether(src=ROUTER, dst=DIRECTOR) / IP(src=cip, dst=s['vip'], ttl=61, id=n & 0xFFFF) / \
        TCP(sport=cport, dport=80, flags='S', seq=1000 + n, window=64240)
    p = Ether(bytes(p))
    p.time = t0 + n * 0.002  # 2 ms apart: the whole capture stays well inside SYN_RECV's 60 s
    frames.append(p)

if not EXPECTED_ONLY:
    wrpcap(os.path.join(OUT, 'syns.pcap'), frames)
with open(os.path.join(OUT, 'sched.rules'), 'w') as f:
    f.write('\n'.join(rules) + '\n')
summary = {}
for p in packets:
    c = summary.setdefault(p['case'], {})
    c[p['to'] or 'none'] = c.get(p['to'] or 'none', 0) + 1
with open(os.path.join(OUT, 'expected.json'), 'w') as f:
    json.dump({'directorMac': DIRECTOR, 'neigh': RS, 'summary': summary, 'packets': packets}, f, indent=0)
    f.write('\n')
print(f'{len(packets)} SYNs, {len(services)} services -> {OUT}', file=sys.stderr)
