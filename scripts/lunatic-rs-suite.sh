#!/usr/bin/env bash
# Runs the test suite of Lunatic's Rust guest crate (lunatic-rs 0.14: the `lunatic` and
# `lunatic-test` crates) with `cargo test`, Cargo's runner being this runtime's `lunatic`, as
# lunatic-rs's own CI runs it on Lunatic. Only Debian 12 packages are used: rustc and cargo 1.63,
# the wasm32-wasi standard library, and the crates Debian ships in /usr/share/cargo/registry.
#
#   scripts/lunatic-rs-suite.sh [--lunatic PATH] [--work DIR] [--timeout S] LUNATIC_RS_CHECKOUT
#
# The checkout is copied into the work folder (default: a new temporary one) and built there;
# nothing of it is changed in place, and none of it belongs in this repository. See
# docs/lunatic-rs-suite.md for what the local adjustments are and why.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lunatic="$here/../build/lunatic"
work=""
timeout_s=900
while [[ $# -gt 1 ]]; do
  case "$1" in
    --lunatic) lunatic=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    *) echo "usage: $0 [--lunatic PATH] [--work DIR] [--timeout S] LUNATIC_RS_CHECKOUT" >&2; exit 2 ;;
  esac
done
[[ $# -eq 1 && -f "$1/Cargo.toml" && -d "$1/lunatic-test" ]] || {
  echo "usage: $0 [--lunatic PATH] [--work DIR] [--timeout S] LUNATIC_RS_CHECKOUT" >&2
  echo "  (LUNATIC_RS_CHECKOUT: a work tree of lunatic-solutions/lunatic-rs 0.14)" >&2
  exit 2
}
checkout=$(cd "$1" && pwd)
lunatic=$(cd "$(dirname "$lunatic")" && pwd)/$(basename "$lunatic")
[[ -x "$lunatic" ]] || { echo "no lunatic binary at $lunatic (run make build)" >&2; exit 2; }
[[ -n "$work" ]] || work=$(mktemp -d /tmp/lunatic-rs-suite.XXXXXX)
mkdir -p "$work/logs"
logs=$work/logs

LUNATIC_RUST_DEPS=1 bash "$here/install-deps.sh"
[[ -d /usr/lib/rustlib/wasm32-wasi/lib ]] || { echo "Debian's wasm32-wasi Rust std is missing" >&2; exit 1; }

# A fresh copy to build in.
src=$work/lunatic-rs
rm -rf "$src"
mkdir -p "$src"
tar -C "$checkout" --exclude=./target --exclude=./.git -cf - . | tar -C "$src" -xf -
cd "$src"

# Local adjustments for Debian 12's crates, each checked to have applied.
must_change() {  # FILE SED-EXPRESSION: the file must differ afterwards
  local before
  before=$(sha256sum "$1")
  sed -i "$2" "$1"
  [[ $(sha256sum "$1") != "$before" ]] || { echo "adjustment '$2' did not apply to $1" >&2; exit 1; }
}
# criterion 0.4 (benches only; Debian has 0.3), protobuf 3 (Debian has 2) and
# lunatic-sqlite-api (not packaged) go, with the features, benches and test that need them.
python3 - <<'PY'
import re
text = open("Cargo.toml").read()
original = text
text = re.sub(r'^(criterion|protobuf|lunatic-sqlite-api) = .*\n', '', text, flags=re.M)
text = re.sub(r'^(protobuf_serializer|sqlite) = .*\n', '', text, flags=re.M)
text = re.sub(r'\[\[bench\]\]\nname = "\w+"\nharness = false\n+', '', text)
text = re.sub(r'\[\[test\]\]\nname = "sqlite"\n(.*\n)*?required-features = .*\n+', '', text)
if text == original:
    raise SystemExit("Cargo.toml: nothing to adjust; is this lunatic-rs 0.14?")
open("Cargo.toml", "w").write(text)
PY
rm -f tests/sqlite.rs
# convert_case (not packaged) gives way to heck at its one call site in lunatic-macros.
must_change lunatic-macros/Cargo.toml 's/^convert_case = .*/heck = "0.4"/'
must_change lunatic-macros/src/abstract_process.rs 's/^use convert_case::{Case, Casing};/use heck::ToUpperCamelCase;/'
must_change lunatic-macros/src/abstract_process.rs 's/\.to_case(Case::Pascal)/.to_upper_camel_case()/'
# tests/serializers.rs moves a TcpStream connected to google.com:80 into a process; this
# machine has no network, so it connects to a local HTTP server instead.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
must_change tests/serializers.rs "s/\"google.com:80\"/\"127.0.0.1:$port\"/g"

mkdir -p .cargo
cat > .cargo/config.toml <<EOF
[build]
target = "wasm32-wasi"

[target.wasm32-wasi]
runner = "$lunatic"

[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
EOF

# Debian's toolchain, not a rustup one earlier in PATH; a persistent artifact cache per work folder.
export PATH=/usr/bin:$PATH CARGO_HOME=$work/cargo-home XDG_CACHE_HOME=$work/cache
features=json_serializer,msgpack_serializer
echo "lunatic-rs-suite: building in $src (logs in $logs)"
cargo --version
if ! cargo test --workspace --features "$features" --no-run >"$logs/build.log" 2>&1; then
  tail -n 30 "$logs/build.log" >&2
  echo "lunatic-rs-suite: the build failed (see $logs/build.log)" >&2
  exit 1
fi

python3 -m http.server "$port" --bind 127.0.0.1 >"$logs/http-server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT

passed=0 failed=0 ignored=0 broken=0
run_target() {  # NAME CARGO-ARGS...: one test target, its counts added up
  local name=$1 log line
  shift
  log="$logs/$name.log"
  timeout "$timeout_s" cargo test "$@" --no-fail-fast >"$log" 2>&1 || true
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a '^test result:' | tail -n 1 || true)
  if [[ -z "$line" ]]; then
    broken=$((broken + 1))
    echo "BROKEN $name (no test result; see $log)"
    return
  fi
  local p f i
  p=$(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")
  f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
  i=$(sed -E 's/.* ([0-9]+) ignored.*/\1/' <<<"$line")
  passed=$((passed + p)) failed=$((failed + f)) ignored=$((ignored + i))
  printf '%-6s %-28s %s\n' "$([[ $f -eq 0 ]] && echo ok || echo FAILED)" "$name" "${line#test result: }"
}

run_target lunatic-lib -p lunatic --features "$features" --lib
for file in tests/*.rs; do
  name=$(basename "$file" .rs)
  run_target "lunatic-$name" -p lunatic --features "$features" --test "$name"
done
for file in lunatic-test/tests/*.rs; do
  name=$(basename "$file" .rs)
  run_target "lunatic-test-$name" -p lunatic-test --test "$name"
done

echo "lunatic-rs-suite: test targets that gave no result: $broken"
echo "$passed passed, $failed failed, $ignored skipped"
[[ $failed -eq 0 && $broken -eq 0 ]]
