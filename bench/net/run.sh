#!/usr/bin/env bash
# The "net" benchmark suite (HTTP hello world vs nginx under wrk, 10,000 idle connections).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/net.py"
