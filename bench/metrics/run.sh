#!/usr/bin/env bash
# The "metrics" benchmark suite: ping-pong and ring with the runtime's metrics off and on
# (the Prometheus endpoint scraped every second), interleaved.
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/metrics.py"
