#!/bin/sh
# Builds the C reference forwarders of the live benchmark into bench/live/c/bin/.
set -e
cd "$(dirname "$0")"
mkdir -p bin
cc -O2 -Wall -o bin/afp-fwd afp-fwd.c
cc -O2 -Wall -o bin/nfq-fwd nfq-fwd.c -lnetfilter_queue -lmnl
echo "built bench/live/c/bin/afp-fwd bench/live/c/bin/nfq-fwd"
