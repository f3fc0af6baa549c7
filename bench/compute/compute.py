#!/usr/bin/env python3
"""Compute suite: C kernels natively (gcc -O2), under `lunatic run` and under node 20's WASI.

Best (minimum) of N runs per kernel and engine, runs interleaved across engines so that machine
noise hits all of them alike. Every run's checksum must equal the native one: a mismatch, a crash
or a missing output line fails the suite (exit 1). A missed budget is only reported.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "## Compute: C kernels, native vs lunatic vs node"
KERNEL_DIR = HERE / "kernels"

# name -> problem size for the quick smoke mode (the full mode uses each program's default,
# tuned for 0.3-1 s natively on a 2-core EPYC VM).
KERNELS = {
    "fib": 30,
    "nbody": 200000,
    "matmul": 200,
    "sieve": 1000000,
    "sha256": 8,
    "quicksort": 500000,
    "mandelbrot": 300,
    "hashmap": 1000000,
}

BUDGET = 1.25        # DESIGN.md: compute vs native gcc -O2, preemption on
NODE_ANCHOR = 1.35   # DESIGN.md: V8 (node 20) on this kind of machine

LINE = re.compile(r"^kernel=(\S+) ns=(\d+) check=(\S+)\s*$", re.M)


def parse(res: bl.Result, kernel: str) -> tuple[int, str]:
    m = bl.result_line(res, LINE, "kernel=... ns=... check=...")
    if m.group(1) != kernel:
        raise bl.BenchError(f"`{' '.join(res.argv)}`: reported kernel {m.group(1)}, expected {kernel}")
    return int(m.group(2)), m.group(3)


def main() -> int:
    bl.need_tools("gcc", "clang", "node")
    lunatic = bl.need_lunatic()
    runs = bl.env_int("BENCH_COMPUTE_RUNS", 2 if bl.QUICK else 5)
    only = os.environ.get("BENCH_KERNELS", "").split()
    kernels = [k for k in KERNELS if not only or k in only]
    header = KERNEL_DIR / "bench.h"

    engines = {}
    for k in kernels:
        src = KERNEL_DIR / f"{k}.c"
        native = bl.build_native(src, bl.OUT / "native" / k, [header])
        wasm = bl.build_wasm(src, bl.OUT / "wasm" / f"{k}.wasm", [header])
        extra = [str(KERNELS[k])] if bl.QUICK else []
        engines[k] = {
            "native": [str(native), *extra],
            "lunatic": [lunatic, "run", str(wasm), *extra],
            "node": [*bl.NODE_CMD, str(wasm), *extra],
        }

    failures = bl.Failures("compute")
    results: dict[str, dict] = {k: {"native": [], "lunatic": [], "node": [], "check": None,
                                    "warm": None, "failed": None} for k in kernels}

    # Reference checksum (native) and lunatic warm-up: the first `lunatic run` of a module
    # compiles it into the artifact cache; that run is not timed.
    for k in kernels:
        r = results[k]
        try:
            _, r["check"] = parse(bl.run(engines[k]["native"], timeout=120), k)
            argv = engines[k]["lunatic"]
            warm = bl.run([argv[0], "run", "--timings", *argv[2:]], timeout=900)
            timings = bl.parse_timings(warm.stderr)
            if timings is None and warm.rc != 0:
                warm = bl.run(argv, timeout=900)  # runtime without --timings
            _, check = parse(warm, k)
            if check != r["check"]:
                raise bl.BenchError(f"lunatic checksum {check} != native {r['check']}")
            r["warm"] = {"wall_s": round(warm.wall_s, 3), "timings": timings}
            bl.log(f"compute: {k}: warm-up done in {warm.wall_s:.1f} s "
                   f"(cache {timings.get('cache') if timings else '?'})")
        except bl.BenchError as e:
            r["failed"] = str(e)
            failures.add(k, e)

    for rep in range(runs):
        for k in kernels:
            r = results[k]
            if r["failed"]:
                continue
            for engine in ("native", "lunatic", "node"):
                try:
                    ns, check = parse(bl.run(engines[k][engine], timeout=300), k)
                    if check != r["check"]:
                        raise bl.BenchError(f"{engine} checksum {check} != native {r['check']}")
                    r[engine].append(ns)
                except bl.BenchError as e:
                    r["failed"] = f"{engine}: {e}"
                    failures.add(f"{k}: {engine}", e)
                    break
        bl.log(f"compute: round {rep + 1}/{runs} done")

    bl.write_json("results.json", {"runs": runs, "quick": bl.QUICK, "kernels": results})

    # Report.
    rows = []
    lr, nr = [], []
    for k in kernels:
        r = results[k]
        warm = r["warm"] or {}
        t = warm.get("timings") or {}
        cold = (f"{t['compile_ms'] / 1000:.1f}" if t.get("cache") == "miss" and "compile_ms" in t
                else ("cached" if t.get("cache") in ("hit", "file") else "n/a"))
        if r["failed"] or not all(r[e] for e in ("native", "lunatic", "node")):
            rows.append([k, "FAILED", "", "", "", "", cold, bl.cell(r["failed"])])
            continue
        n, lu, no = min(r["native"]), min(r["lunatic"]), min(r["node"])
        lr.append(lu / n)
        nr.append(no / n)
        rows.append([k, bl.fmt(n / 1e6, 1), bl.fmt(lu / 1e6, 1), bl.fmt(no / 1e6, 1),
                     f"{lu / n:.2f}x", f"{no / n:.2f}x", cold, f"`{r['check'][:40]}`"])
    gl, gn = bl.geomean(lr), bl.geomean(nr)
    complete = len(lr) == len(kernels)
    rows.append(["**geomean**", "", "", "", f"**{bl.fmt(gl)}x**", f"**{bl.fmt(gn)}x**", "", ""])

    vl = bl.verdict(gl, BUDGET) if complete else "MISS"
    budgets = [
        ["compute vs native gcc -O2, preemption on (lunatic, geomean of "
         f"{len(lr)} kernels{'' if complete else f', {len(kernels) - len(lr)} FAILED'})",
         f"{bl.fmt(gl)}x", f"<= {BUDGET}x",
         f"V8 (node 20) {NODE_ANCHOR}x", vl],
        ["compute vs native gcc -O2 (node 20, same run, for reference)", f"{bl.fmt(gn)}x", "-",
         f"{NODE_ANCHOR}x published", "INFO"],
    ]
    bl.write_budgets(budgets)

    mode = bl.run_kind(f"best of {runs} runs per kernel and engine")
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {mode}; runs interleaved across engines; "
        "preemption on (the runtime's default)._",
        "",
        "Each kernel times only its own loop with `clock_gettime(CLOCK_MONOTONIC)` and prints "
        "`kernel=<name> ns=<ns> check=<checksum>`; the checksum of every run on every engine must "
        "equal the native one. Times in ms (lower is better); ratios are engine / native.",
        "",
        bl.md_table(["kernel", "native ms", "lunatic ms", "node ms", "lunatic / native",
                     "node / native", "lunatic cold compile s", "checksum"], rows,
                    align="lrrrrrrl"),
        "",
        bl.budget_table(budgets),
        "",
        "Engines:",
        "",
        "- native: `gcc -O2 k.c -lm`",
        "- wasm: `clang --target=wasm32-wasi -O2 -Wl,--stack-first k.c` (wasi-libc), run as "
        "`build/lunatic run k.wasm` after one untimed warm-up run that fills the artifact cache, "
        "and as `node --experimental-wasi-unstable-preview1 bench/compute/node_wasi_runner.mjs k.wasm`.",
        "- \"lunatic cold compile\" is `compile_ms` of the warm-up run when it missed the cache "
        "(\"cached\" when an earlier run had already compiled the module).",
        "- The wasm is built without `-msimd128`; gcc 12 at `-O2` vectorizes only a little of the "
        "native code (SLP: parts of sha256's message schedule and of nbody). node runs with V8's fast API calls off (see "
        "bench/README.md: node 20's WASI crashes at random after `memory.grow` otherwise); this "
        "only affects the few WASI calls.",
    ]
    md += failures.markdown()
    bl.write_report("\n".join(md))
    failures.log_again()
    bl.log(f"compute: geomean lunatic {bl.fmt(gl)}x, node {bl.fmt(gn)}x native")
    return failures.exit_status()


if __name__ == "__main__":
    sys.exit(bl.run_suite("compute", TITLE, main))
