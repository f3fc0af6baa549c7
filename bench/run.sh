#!/usr/bin/env bash
# Runs the benchmark suites and rewrites docs/benchmarks.md.
#
#   bash bench/run.sh <build-dir> [suite...]       (what `make bench` runs)
#
# A suite is a directory bench/<suite>/ with a run.sh. Suites run in the order of SUITE_ORDER
# below, then any other bench/*/run.sh in name order. Each suite gets, in its environment:
#   BENCH_ROOT   repository root        BENCH_BUILD  build directory (has ./lunatic)
#   BENCH_OUT    <build>/bench/<suite>  LUNATIC      the lunatic binary
#   BENCH_QUICK  1 for a smoke run with small sizes
# and writes BENCH_OUT/report.md (its markdown section) and BENCH_OUT/budgets.tsv (one line per
# budget: what, measured, budget, anchor, PASS|MISS|INFO). It exits non-zero only when the benchmark
# is broken (crash, checksum mismatch, missing tool), never for a missed budget.
#
# Options (environment):
#   BENCH_SUITES="compute load"  run only these (same as naming them as arguments); the sections of
#                                the other suites already in the report are kept as they are.
#   BENCH_QUICK=1                smoke run; the report goes to <build>/bench/benchmarks-quick.md,
#                                docs/benchmarks.md is left alone.
#   BENCH_REPORT=path            write the report there instead.
#   BENCH_CACHE_HOME=dir         artifact cache (XDG_CACHE_HOME) to use as it is; by default the
#                                suites use <build>/bench/cache, emptied when the binary changes.
#
# Exit status: 0 when every suite ran, 1 when any suite broke (the report is written either way).
set -uo pipefail

if [[ $# -lt 1 ]]; then
  echo "usage: bash bench/run.sh <build-dir> [suite...]" >&2
  exit 2
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "$1" 2>/dev/null && pwd) || { echo "bench: no build directory $1" >&2; exit 2; }
shift

# Known suites, in report order. New suites: add bench/<suite>/run.sh and list the name here.
SUITE_ORDER=(compute load processes messages metrics dashboard net cluster sqlite upgrade)

all_suites=()
for s in "${SUITE_ORDER[@]}"; do
  [[ -f "$ROOT/bench/$s/run.sh" ]] && all_suites+=("$s")
done
for d in "$ROOT"/bench/*/; do
  s=$(basename "$d")
  [[ -f "$d/run.sh" ]] || continue
  [[ " ${all_suites[*]} " == *" $s "* ]] || all_suites+=("$s")
done

requested=("$@")
if [[ ${#requested[@]} -eq 0 && -n "${BENCH_SUITES:-}" ]]; then
  read -r -a requested <<<"$BENCH_SUITES"
fi
if [[ ${#requested[@]} -eq 0 ]]; then
  suites=("${all_suites[@]}")
else
  suites=()
  for s in "${requested[@]}"; do
    if [[ ! -f "$ROOT/bench/$s/run.sh" ]]; then
      echo "bench: unknown suite '$s' (known: ${all_suites[*]})" >&2
      exit 2
    fi
    suites+=("$s")
  done
fi

export BENCH_ROOT="$ROOT" BENCH_BUILD="$BUILD" LUNATIC="${LUNATIC:-$BUILD/lunatic}"
export BENCH_QUICK="${BENCH_QUICK:-0}"
if [[ -n "${BENCH_REPORT:-}" ]]; then
  report="$BENCH_REPORT"
elif [[ "$BENCH_QUICK" == 1 ]]; then
  report="$BUILD/bench/benchmarks-quick.md"
else
  report="$ROOT/docs/benchmarks.md"
fi

if [[ ! -x "$LUNATIC" ]]; then
  echo "bench: $LUNATIC is missing; run 'make build' first" >&2
fi

mkdir -p "$BUILD/bench"

# The suites use their own artifact cache, <build>/bench/cache (XDG_CACHE_HOME), emptied whenever
# the lunatic binary changes: a benchmark must measure the code the current binary generates, and
# the runtime's cache key does not cover the runtime's own build (artifacts compiled by an older
# binary are reused as long as the engine ABI version is unchanged). BENCH_CACHE_HOME=dir uses
# that directory as it is instead.
if [[ -n "${BENCH_CACHE_HOME:-}" ]]; then
  export XDG_CACHE_HOME="$BENCH_CACHE_HOME"
else
  export XDG_CACHE_HOME="$BUILD/bench/cache"
  mkdir -p "$XDG_CACHE_HOME"
  stamp="$XDG_CACHE_HOME/lunatic-binary.sha256"
  sum=$(sha256sum "$LUNATIC" 2>/dev/null | cut -d' ' -f1)
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$sum" ]]; then
    rm -rf "$XDG_CACHE_HOME/lunatic"
    echo "$sum" >"$stamp"
  fi
fi

# Other work on the machine skews every number: the report shows the load average before the run.
cut -d' ' -f1-3 /proc/loadavg >"$BUILD/bench/loadavg.txt" 2>/dev/null || true
status_file="$BUILD/bench/status.tsv"
: >"$status_file"
failed=0
start_all=$(date +%s)
for s in "${suites[@]}"; do
  out="$BUILD/bench/$s"
  rm -rf "$out/report.md" "$out/budgets.tsv"
  mkdir -p "$out"
  echo "bench: == $s ==" >&2
  t0=$(date +%s)
  BENCH_OUT="$out" bash "$ROOT/bench/$s/run.sh" 2>&1 | tee "$out/log.txt" >&2
  rc=${PIPESTATUS[0]}
  t1=$(date +%s)
  printf '%s\t%s\t%s\n' "$s" "$rc" "$((t1 - t0))" >>"$status_file"
  if [[ $rc -ne 0 ]]; then
    echo "bench: suite $s FAILED (exit $rc); log: $out/log.txt" >&2
    failed=1
  else
    echo "bench: suite $s done in $((t1 - t0)) s" >&2
  fi
done

python3 "$ROOT/bench/lib/assemble.py" --root "$ROOT" --build "$BUILD" --report "$report" \
  --status "$status_file" --order "${all_suites[*]}" || failed=1
echo "bench: report written to $report ($(($(date +%s) - start_all)) s in all)" >&2
exit $failed
