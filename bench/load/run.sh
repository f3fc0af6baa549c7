#!/usr/bin/env bash
# The "load" benchmark suite (cached module load and `lunatic run` start-up).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/load.py"
