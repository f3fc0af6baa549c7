#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the benchmarks need.
# Quiet when everything is already there; uses sudo when not root.
set -euo pipefail

packages=(
  build-essential cmake pkg-config python3
  wabt                                   # libwabt.a, headers, wat2wasm
  libboost-context-dev                   # fibers
  nettle-dev                             # sha256 for the artifact cache
  libssl-dev ca-certificates             # TLS (lunatic::networking), the system CA roots
  libcpp-httplib-dev                     # HTTP for the cluster store (etcd's gateway, control)
  libsqlite3-dev                         # lunatic::sqlite
  etcd-server                            # the cluster store (/usr/bin/etcd): tests, cluster-demo
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libmimalloc-dev                        # the lunatic executable's allocator
  clang lld wasi-libc libclang-rt-14-dev-wasm32   # C guests for wasm32-wasi
  libc++-14-dev-wasm32 libc++abi-14-dev-wasm32     # C++ guests (the SDK, the examples)
  libclang-rt-14-dev libfuzzer-14-dev             # make test-asan: clang's sanitizers, libFuzzer
  clang-format                                    # make test checks the tree's formatting
  openssl                                         # scripts/cluster.sh makes a CA and certificates
  prometheus                                      # the metrics tests scrape with it, and promtool
  chromium chromium-driver python3-selenium       # the dashboard's browser test
)
if [[ "${LUNATIC_BENCH_DEPS:-0}" == 1 ]]; then
  packages+=(nodejs erlang-nox hyperfine wrk nginx-light)
fi
# scripts/lunatic-rs-suite.sh: Debian's Rust 1.63 for wasm32-wasi and the crates lunatic-rs uses.
if [[ "${LUNATIC_RUST_DEPS:-0}" == 1 ]]; then
  packages+=(rustc cargo libstd-rust-dev-wasm32
             librust-thiserror-dev librust-rustversion-dev librust-paste-dev librust-serde-dev
             librust-serde-derive-dev librust-bincode-dev librust-serde-json-dev
             librust-rmp-serde-dev librust-serde-bytes-dev librust-syn-dev librust-quote-dev
             librust-proc-macro2-dev librust-darling-dev librust-heck-dev
             librust-strsim-dev)  # darling's default "suggestions" feature; only recommended
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
