#!/usr/bin/env bash
# Runs one fuzz target for a bounded time: run_fuzzer.sh BINARY SECONDS WORK_DIR NAME SEED_DIR...
# LUNATIC_FUZZ_SECONDS in the environment overrides SECONDS. New inputs go to
# WORK_DIR/corpus/NAME (kept between runs); a crash, leak or hang is written to
# WORK_DIR/findings/NAME-* and fails the run. Seed directories that do not exist are skipped.
set -euo pipefail
binary=$1 seconds=${LUNATIC_FUZZ_SECONDS:-$2} work=$3 name=$4
shift 4
corpus=$work/corpus/$name
findings=$work/findings
mkdir -p "$corpus" "$findings"
seeds=()
for dir in "$@"; do [[ -d $dir ]] && seeds+=("$dir"); done
# -timeout: an input that takes 10 s is a hang. -rss_limit_mb: guard-mode memories reserve
# address space, not memory, but ASan's quarantine holds freed memory for a while.
exec "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$findings/$name-" "$corpus" "${seeds[@]}"
