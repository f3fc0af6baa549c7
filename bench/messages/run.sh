#!/usr/bin/env bash
# The "messages" benchmark suite (ping-pong, ring, skynet, each beside Erlang/OTP); called by
# bench/run.sh with BENCH_ROOT, BENCH_BUILD, BENCH_OUT, LUNATIC (and optionally BENCH_QUICK=1) in
# the environment. Writes $BENCH_OUT/report.md and $BENCH_OUT/budgets.tsv; exits non-zero only
# when the benchmark is broken.
set -euo pipefail
exec python3 "$(dirname "${BASH_SOURCE[0]}")/msgs.py"
