#!/usr/bin/env bash
# `make demo`: runs the bundled example, cold (compiled now) and then warm (from the cache).
set -euo pipefail
build=${1:-build}
sandbox=$(mktemp -d)
cache=$(mktemp -d)
trap 'rm -rf "$sandbox" "$cache"' EXIT

echo "== lunatic run examples/hello (cold: wasm -> C -> native, then cached)"
XDG_CACHE_HOME="$cache" "$build/lunatic" run --timings --dir "$sandbox:/sandbox" \
  --env GREETING_NAME=demo "$build/examples/hello.wasm" first second
echo
echo "== the same again: the artifact comes from the cache"
XDG_CACHE_HOME="$cache" "$build/lunatic" run --timings --dir "$sandbox:/sandbox" \
  --env GREETING_NAME=demo "$build/examples/hello.wasm" first second
echo
echo "== a trap kills the process, not the runtime"
printf '(module (func (export "_start") (call $crash)) (func $crash unreachable))' > "$sandbox/crash.wat"
wat2wasm "$sandbox/crash.wat" -o "$sandbox/crash.wasm"
set +e
XDG_CACHE_HOME="$cache" "$build/lunatic" "$sandbox/crash.wasm"
echo "exit code: $? (134 means the guest trapped)"
