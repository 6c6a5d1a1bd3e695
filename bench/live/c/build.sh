#!/bin/sh
# Builds the C tools of the live benchmark into bench/live/c/bin/: the reference forwarders (AF_PACKET, AF_XDP,
# NFQUEUE), the 64-byte UDP generator and the UDP round-trip latency probe.
set -e
cd "$(dirname "$0")"
mkdir -p bin
cc -O2 -Wall -pthread -o bin/afp-fwd afp-fwd.c
cc -O2 -Wall -o bin/xdp-fwd xdp-fwd.c
cc -O2 -Wall -pthread -o bin/nfq-fwd nfq-fwd.c -lnetfilter_queue -lmnl
cc -O2 -Wall -o bin/udp-gen udp-gen.c
cc -O2 -Wall -o bin/udp-ping udp-ping.c
echo "built bench/live/c/bin/afp-fwd xdp-fwd nfq-fwd udp-gen udp-ping"
