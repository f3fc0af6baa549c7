#!/usr/bin/env bash
# `make cluster-demo`: a cluster on this machine, as one would run it on several.
#   - etcd (Debian's etcd-server) on loopback, in a temporary data directory: the membership;
#   - a CA and a certificate per node, made with openssl (a production cluster has its own);
#   - three nodes: beta and gamma serve, alpha runs examples/cluster_work, which spreads its
#     work over all three.
# Everything it starts is stopped, and everything it made removed, when it ends.
#
#   bash scripts/cluster.sh [build-dir]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
lunatic="$build/lunatic"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Waits until `file` has a line matching `pattern` (up to 30 s).
wait_for() {
  local file=$1 pattern=$2
  for _ in $(seq 300); do
    grep -qE "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "cluster.sh: gave up waiting for '$pattern' in $file:" >&2
  cat "$file" >&2
  return 1
}

client=$(free_port)
peer=$(free_port)
echo "== etcd on 127.0.0.1:$client (data in $work/etcd)"
etcd --name demo --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
  --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
  --initial-cluster "demo=http://127.0.0.1:$peer" >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for "$work/etcd.log" "ready to serve client requests"

echo "== a CA and a certificate for each node (CN = the node's name)"
cd "$work"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj "/CN=lunatic demo CA" -keyout ca.key -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" 2>/dev/null
for node in alpha beta gamma; do
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$node" \
    -keyout "$node.key" -out "$node.csr" 2>/dev/null
  printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$node" >"$node.ext"
  openssl x509 -req -in "$node.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile "$node.ext" -out "$node.pem" 2>/dev/null
done

node_args() {
  echo --cluster "etcd://127.0.0.1:$client" --name "$1" --cert "$1.pem" --key "$1.key" --ca ca.pem
}
for node in beta gamma; do
  echo "== node $node"
  # shellcheck disable=SC2046
  "$lunatic" node $(node_args $node) --tag role=worker >"$node.log" 2>&1 &
  pids+=($!)
  wait_for "$node.log" "is node [0-9]+ at"
  grep -E "is node" "$node.log"
done
echo "== node alpha runs examples/cluster_work"
# shellcheck disable=SC2046
"$lunatic" node $(node_args alpha) --wasm "$build/examples/cluster_work.wasm"
echo "== what the workers printed"
cat beta.log gamma.log
