#!/usr/bin/env bash
# The "cluster" benchmark suite (two nodes on loopback, beside distributed Erlang/OTP).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/cluster.py"
