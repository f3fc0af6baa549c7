#!/usr/bin/env bash
# `make demo`: the supervision example tells its story (a supervision tree, a worker that traps,
# its restart, the restart intensity, a fan-out over 10,000 processes, the run's own figures),
# then the first example shows the artifact cache.
set -euo pipefail
build=${1:-build}
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT

echo "== lunatic run examples/supervision (compiled to native code on first use, then cached)"
echo "   (lines starting 'lunatic:' on stderr are the runtime's own log of each failure)"
echo
XDG_CACHE_HOME="$cache" "$build/lunatic" run --timings "$build/examples/supervision.wasm"
echo
echo "== the same module again: the native artifact comes from the cache"
XDG_CACHE_HOME="$cache" "$build/lunatic" run --timings "$build/examples/supervision.wasm" 2>&1 \
  | grep -E "lunatic-timings|time taken"
