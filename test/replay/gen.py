#!/usr/bin/python3
"""Builds the replay scenario with scapy: test/replay/data/scenario.{rules,pcap,expected.json}.

One rules file with a DR service (two real servers, rr), a NAT service, a TUN service (v4 and v6)
and a quiesced service; one pcap of client and real-server packets; for each input packet the
expected verdict/reason and the exact frame the director must transmit (built by scapy from
scratch, checksums computed by scapy). Addresses are documentation ranges, never on a network.
Run: /usr/bin/python3 test/replay/gen.py
"""
import json
import os
import sys
from scapy.all import Ether, IP, IPv6, TCP, UDP, ICMP, Raw, IPerror, UDPerror, ICMPv6PacketTooBig, wrpcap

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'packets'))
from hop import dec  # noqa: E402  (shared with test/fixtures/packets/gen.py)

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data')
os.makedirs(HERE, exist_ok=True)

ROUTER, DIR, PLACEHOLDER = '02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:00'
RS = {'10.0.0.11': '02:00:00:00:00:11', '10.0.0.12': '02:00:00:00:00:12', '10.0.0.13': '02:00:00:00:00:13',
      '10.0.0.21': '02:00:00:00:00:21', '2001:db8:1::21': '02:00:00:00:00:22'}
C1, C2, C6 = '198.51.100.10', '198.51.100.20', '2001:db8:c::10'
VIP_DR, VIP_NAT, VIP_TUN, VIP_TUN6, VIP_Q = '192.0.2.1', '192.0.2.2', '192.0.2.3', '2001:db8::3', '192.0.2.4'
LOCAL4, LOCAL6 = '192.0.2.254', '2001:db8::fe'

RULES = f"""# replay scenario: DR (rr over two), NAT, TUN v4/v6, a quiesced service
-A -t {VIP_DR}:80 -s rr
-a -t {VIP_DR}:80 -r 10.0.0.11:80 -g -w 1
-a -t {VIP_DR}:80 -r 10.0.0.12:80 -g -w 1
-A -t {VIP_NAT}:80 -s rr
-a -t {VIP_NAT}:80 -r 10.0.0.13:8080 -m -w 1
-A -u {VIP_NAT}:53 -s rr
-a -u {VIP_NAT}:53 -r 10.0.0.13:5353 -m -w 1
-A -t {VIP_TUN}:80 -s rr
-a -t {VIP_TUN}:80 -r 10.0.0.21:80 -i -w 1
-A -t [{VIP_TUN6}]:80 -s rr
-a -t [{VIP_TUN6}]:80 -r [2001:db8:1::21]:80 -i -w 1
-A -t {VIP_Q}:80 -s rr
-a -t {VIP_Q}:80 -r 10.0.0.11:80 -g -w 0
"""

frames, expected = [], []
t = [1_700_000_000.0]


def rebuild(p):
    return p.__class__(bytes(p))


def add(pkt, verdict, out=None, reason=None, to=None):
    pkt = rebuild(pkt)
    pkt.time = t[0]
    t[0] += 1.0
    frames.append(pkt)
    expected.append({'verdict': verdict, 'reason': reason, 'to': to,
                     'out': None if out is None else bytes(out).hex()})


def eth_in():
    return Ether(src=ROUTER, dst=DIR)


def to_rs(ip):
    return Ether(src=DIR, dst=RS.get(ip, PLACEHOLDER))


def ip4(src, dst, **kw):
    kw.setdefault('ttl', 63)
    kw.setdefault('id', 100)
    return IP(src=src, dst=dst, **kw)


def tcp(sp, dp, flags, **kw):
    return TCP(sport=sp, dport=dp, flags=flags, seq=kw.pop('seq', 1000), ack=kw.pop('ack', 0), window=64240, **kw)


# --- DR: rr over [10.0.0.12, 10.0.0.11] (kernel list order = reverse of adding)
syn1 = eth_in() / ip4(C1, VIP_DR) / tcp(40001, 80, 'S')
add(syn1, 'transmit', to_rs('10.0.0.12') / dec(rebuild(syn1)[IP]), to='10.0.0.12')
syn2 = eth_in() / ip4(C2, VIP_DR) / tcp(40002, 80, 'S')
add(syn2, 'transmit', to_rs('10.0.0.11') / dec(rebuild(syn2)[IP]), to='10.0.0.11')
ack1 = eth_in() / ip4(C1, VIP_DR) / tcp(40001, 80, 'A', seq=1001, ack=5001) / Raw(b'GET / HTTP/1.0\r\n\r\n')
add(ack1, 'transmit', to_rs('10.0.0.12') / dec(rebuild(ack1)[IP]), to='10.0.0.12')
# A non-SYN packet without a connection goes to the local stack (not transmitted).
add(eth_in() / ip4(C2, VIP_DR) / tcp(40009, 80, 'A', seq=5, ack=6), 'accept', reason='no-connection')
# Not ours at all.
add(eth_in() / ip4(C1, '192.0.2.99') / tcp(40001, 22, 'S'), 'accept', reason='no-service')

# --- NAT: client -> VIP:80 -> 10.0.0.13:8080, and the replies back
nsyn = eth_in() / ip4(C1, VIP_NAT, flags='DF') / tcp(41000, 80, 'S', options=[('MSS', 1460)])
add(nsyn, 'transmit', to_rs('10.0.0.13') / rebuild(ip4(C1, '10.0.0.13', flags='DF', ttl=62) / tcp(41000, 8080, 'S', options=[('MSS', 1460)])), to='10.0.0.13')
synack = Ether(src=RS['10.0.0.13'], dst=DIR) / ip4('10.0.0.13', C1, ttl=64, flags='DF') / tcp(8080, 41000, 'SA', seq=7000, ack=1001)
add(synack, 'transmit', Ether(src=DIR, dst=PLACEHOLDER) / rebuild(ip4(VIP_NAT, C1, ttl=63, flags='DF') / tcp(80, 41000, 'SA', seq=7000, ack=1001)), to='client side')
nack = eth_in() / ip4(C1, VIP_NAT, flags='DF') / tcp(41000, 80, 'A', seq=1001, ack=7001)
add(nack, 'transmit', to_rs('10.0.0.13') / rebuild(ip4(C1, '10.0.0.13', flags='DF', ttl=62) / tcp(41000, 8080, 'A', seq=1001, ack=7001)), to='10.0.0.13')
# UDP NAT both ways.
q = eth_in() / ip4(C2, VIP_NAT) / UDP(sport=42000, dport=53) / Raw(b'\x12\x34query')
add(q, 'transmit', to_rs('10.0.0.13') / rebuild(ip4(C2, '10.0.0.13', ttl=62) / UDP(sport=42000, dport=5353) / Raw(b'\x12\x34query')), to='10.0.0.13')
a = Ether(src=RS['10.0.0.13'], dst=DIR) / ip4('10.0.0.13', C2, ttl=64) / UDP(sport=5353, dport=42000) / Raw(b'\x12\x34answer')
add(a, 'transmit', Ether(src=DIR, dst=PLACEHOLDER) / rebuild(ip4(VIP_NAT, C2, ttl=63) / UDP(sport=53, dport=42000) / Raw(b'\x12\x34answer')), to='client side')
# ICMP error from the client side about the reply VIP:53 -> C2: relayed to the real server, translated.
quote = IPerror(src=VIP_NAT, dst=C2, proto=17, ttl=60, id=3) / UDPerror(sport=53, dport=42000, len=16, chksum=0x5555) / Raw(b'\x12\x34an')
err = eth_in() / ip4('203.0.113.1', VIP_NAT, ttl=250) / ICMP(type=3, code=3) / quote
xq = IPerror(src='10.0.0.13', dst=C2, proto=17, ttl=60, id=3) / UDPerror(sport=5353, dport=42000, len=16, chksum=0x5555) / Raw(b'\x12\x34an')
add(err, 'transmit', to_rs('10.0.0.13') / rebuild(ip4('203.0.113.1', '10.0.0.13', ttl=249) / ICMP(type=3, code=3) / xq), to='10.0.0.13')
# ICMP error from the real server about C2 -> 10.0.0.13:5353: translated and sent to the client.
# NOTE: the kernel's ip_forward would also decrement the TTL here (64 -> 63); the pipeline does not yet.
quote2 = IPerror(src=C2, dst='10.0.0.13', proto=17, ttl=62, id=4) / UDPerror(sport=42000, dport=5353, len=15, chksum=0x6666) / Raw(b'\x12\x34q')
err2 = Ether(src=RS['10.0.0.13'], dst=DIR) / ip4('10.0.0.13', C2, ttl=64) / ICMP(type=3, code=3) / quote2
xq2 = IPerror(src=C2, dst=VIP_NAT, proto=17, ttl=62, id=4) / UDPerror(sport=42000, dport=53, len=15, chksum=0x6666) / Raw(b'\x12\x34q')
add(err2, 'transmit', Ether(src=DIR, dst=PLACEHOLDER) / rebuild(ip4(VIP_NAT, C2, ttl=64) / ICMP(type=3, code=3) / xq2), to='client side')

# --- TUN v4 and v6
inner = rebuild(ip4(C1, VIP_TUN, flags='DF', tos=0x10) / tcp(43000, 80, 'S'))
add(eth_in() / inner, 'transmit', to_rs('10.0.0.21') / IP(src=LOCAL4, dst='10.0.0.21', proto=4, ttl=62, tos=0x10, flags='DF', id=0) / Raw(bytes(dec(inner))), to='10.0.0.21')
inner6 = rebuild(IPv6(src=C6, dst=VIP_TUN6, hlim=63) / tcp(43001, 80, 'S'))
add(eth_in() / inner6, 'transmit', to_rs('2001:db8:1::21') / IPv6(src=LOCAL6, dst='2001:db8:1::21', nh=41, hlim=62) / Raw(bytes(dec(inner6))), to='2001:db8:1::21')
# 1500-byte DF data on the TUN connection: ICMP frag-needed (MTU 1480) back to the client, dropped.
big = rebuild(ip4(C1, VIP_TUN, flags='DF') / tcp(43000, 80, 'PA', seq=1001, ack=1) / Raw(b'z' * 1460))
add(eth_in() / big, 'transmit', Ether(src=DIR, dst=ROUTER) / IP(src=VIP_TUN, dst=C1, ttl=64, id=0, tos=0xc0, proto=1) /
    ICMP(type=3, code=4, nexthopmtu=1480) / Raw(bytes(dec(big))[:548]), reason='tun-frag-needed', to='client side')
big6 = rebuild(IPv6(src=C6, dst=VIP_TUN6, hlim=63) / tcp(43001, 80, 'PA', seq=1001, ack=1) / Raw(b'y' * 1440))
add(eth_in() / big6, 'transmit', Ether(src=DIR, dst=ROUTER) / IPv6(src=VIP_TUN6, dst=C6, hlim=64) / ICMPv6PacketTooBig(mtu=1460) /
    Raw(bytes(dec(big6))[:1232]), reason='tun-frag-needed', to='client side')

# --- quiesced service (weight 0): ICMP port unreachable back to the client
qs = rebuild(ip4(C2, VIP_Q) / tcp(44000, 80, 'S'))
add(eth_in() / qs, 'transmit', Ether(src=DIR, dst=ROUTER) / IP(src=VIP_Q, dst=C2, ttl=64, id=0, tos=0xc0, proto=1) /
    ICMP(type=3, code=3) / Raw(bytes(qs)), reason='no-dest', to='client side')
# --- bad input: IPv4 header checksum wrong -> dropped
bad = bytearray(bytes(rebuild(eth_in() / ip4(C1, VIP_DR) / tcp(40001, 80, 'A'))))
bad[14 + 10] ^= 0xff
bp = Ether(bytes(bad))
bp.time = t[0]
t[0] += 1
frames.append(bp)
expected.append({'verdict': 'drop', 'reason': 'ipv4-bad-checksum', 'to': None, 'out': None})

with open(os.path.join(HERE, 'scenario.rules'), 'w') as f:
    f.write(RULES)
wrpcap(os.path.join(HERE, 'scenario.pcap'), frames)
with open(os.path.join(HERE, 'scenario.expected.json'), 'w') as f:
    json.dump({'neigh': RS, 'localIps': [LOCAL4, LOCAL6], 'mtu': 1500, 'packets': expected}, f, indent=1)
print(f'{len(frames)} packets')
