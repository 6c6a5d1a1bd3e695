#!/bin/sh
# One command for the live benchmark: build, then run on the lab topology (root needed).
set -e
cd "$(dirname "$0")/../.."
npx tsc -p tsconfig.build.json >/dev/null || true
exec node bench/live/run.mjs "$@"
