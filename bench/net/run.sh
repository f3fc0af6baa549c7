#!/usr/bin/env bash
# The "net" benchmark suite (HTTP hello world vs nginx under wrk, 10,000 idle connections);
# called by bench/run.sh with BENCH_ROOT, BENCH_BUILD, BENCH_OUT, LUNATIC (and optionally
# BENCH_QUICK=1) in the environment. Writes $BENCH_OUT/report.md and $BENCH_OUT/budgets.tsv;
# exits non-zero only when the benchmark is broken.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/net.py"
