#!/usr/bin/env bash
# The "sqlite" benchmark suite (inserts and point selects through the C++ SDK, vs native C).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/sqlite.py"
