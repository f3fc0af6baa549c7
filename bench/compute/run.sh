#!/usr/bin/env bash
# The "compute" benchmark suite (C kernels natively, under lunatic and under node).
# bench/run.sh runs it; the environment it gets and the files it writes are described there.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/compute.py"
