#!/usr/bin/env python3
"""Load suite: a second `lunatic run` of a module starts from the artifact cache, and loading the
cached module takes at most 1 ms (DESIGN.md budget).

Uses `lunatic run --timings app.wasm`, which prints one stderr line
  lunatic-timings: {"cache": "hit"|"miss"|"file", "compile_ms": .., "load_ms": .., "instantiate_ms": ..,
                    "run_ms": .., "total_ms": ..}
Then hyperfine measures the wall time of the whole `lunatic run hello.wasm` command against node
running the same module (and the native program as the floor).
"""

from __future__ import annotations

import json
import os
import shlex
import tempfile
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "## Load: cached module load and `lunatic run` start-up"
LOAD_BUDGET_MS = 1.0


def timed_run(lunatic: str, wasm: Path, expect: str, env: dict | None = None) -> dict:
    r = bl.check_run([lunatic, "run", "--timings", str(wasm)], timeout=900, env=env)
    if expect not in r.stdout:
        raise bl.BenchError(f"`lunatic run {wasm.name}`: expected {expect!r} on stdout, got "
                            f"{r.stdout.strip()[:200]!r}")
    t = bl.parse_timings(r.stderr)
    if t is None:
        raise bl.BenchError(f"`lunatic run --timings {wasm.name}` printed no valid "
                            f"`{bl.TIMINGS_PREFIX} {{json}}` line on stderr "
                            f"(stderr: {r.stderr.strip()[:300]!r})")
    for key in ("cache", "load_ms"):
        if key not in t:
            raise bl.BenchError(f"timings line lacks {key!r}: {t}")
    t["wall_ms"] = r.wall_s * 1000
    return t


def main() -> int:
    bl.need_tools("gcc", "clang", "node", "hyperfine")
    lunatic = bl.need_lunatic()
    samples = bl.env_int("BENCH_LOAD_RUNS", 5 if bl.QUICK else 20)
    out = bl.OUT
    out.mkdir(parents=True, exist_ok=True)

    hello_wasm = bl.build_wasm(HERE / "hello.c", out / "hello.wasm")
    hello_native = bl.build_native(HERE / "hello.c", out / "hello")
    nfuncs = 100 if bl.QUICK else 600
    big_c = out / f"big{nfuncs}.c"
    bl.rebuild_if_stale(big_c, [HERE / "gen_big.py"],
                        [sys.executable, HERE / "gen_big.py", big_c, nfuncs])
    big_wasm = bl.build_wasm(big_c, out / f"big{nfuncs}.wasm")
    big_expect = f"big: {nfuncs} functions"

    # 1. Cold, then warm: with an empty artifact cache (a temporary XDG_CACHE_HOME) the first run
    #    compiles, the second loads the artifact the first one stored.
    with tempfile.TemporaryDirectory(prefix="lunatic-bench-cache-") as cache:
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        cold = timed_run(lunatic, hello_wasm, "hello, world", env)
        second = timed_run(lunatic, hello_wasm, "hello, world", env)
    bl.log(f"load: cold run cache={cold['cache']}, second run cache={second['cache']}")

    # 2. Cached load time, hello and the big guest.
    guests = [("hello", hello_wasm, "hello, world"), (f"big ({nfuncs} functions)", big_wasm, big_expect)]
    stats = {}
    for label, wasm, expect in guests:
        warm = timed_run(lunatic, wasm, expect)  # fills the cache if needed
        runs = [timed_run(lunatic, wasm, expect) for _ in range(samples)]
        load = [float(t["load_ms"]) for t in runs]
        stats[label] = {
            "wasm": wasm.name, "wasm_kb": wasm.stat().st_size / 1024, "warm": warm, "runs": runs,
            "hits": sum(1 for t in runs if t["cache"] in ("hit", "file")),
            "load_median": bl.median(load), "load_max": max(load),
            "hash_median": bl.median([float(t.get("hash_ms", "nan")) for t in runs]),
            "inst_median": bl.median([float(t.get("instantiate_ms", "nan")) for t in runs]),
            "total_median": bl.median([float(t.get("total_ms", "nan")) for t in runs]),
            "wall_median": bl.median([t["wall_ms"] for t in runs]),
        }
        bl.log(f"load: {label}: load_ms median {stats[label]['load_median']:.3f} "
               f"max {stats[label]['load_max']:.3f} ({stats[label]['hits']}/{samples} hits)")

    # 3. Wall time of the whole command: native floor, lunatic, node.
    hf_json = out / "hyperfine-hello.json"
    cmds = {
        "native hello": shlex.join([str(hello_native)]),
        "lunatic run hello.wasm": shlex.join([lunatic, "run", str(hello_wasm)]),
        "node hello.wasm": shlex.join([*bl.NODE_CMD, str(hello_wasm)]),
    }
    hf_runs = "10" if bl.QUICK else "40"
    argv = ["hyperfine", "-N", "--style", "basic", "--warmup", "3", "--runs", hf_runs,
            "--export-json", str(hf_json)]
    for name, cmd in cmds.items():
        argv += ["-n", name, cmd]
    bl.check_run(argv, timeout=600)
    hf = {r["command"]: r for r in json.loads(hf_json.read_text())["results"]}
    lun_ms = hf["lunatic run hello.wasm"]["mean"] * 1000
    node_ms = hf["node hello.wasm"]["mean"] * 1000

    bl.write_json("results.json", {"cold": cold, "second": second, "guests": stats,
                                   "hyperfine": hf})

    # Report.
    def cache_row(label: str, t: dict) -> list:
        return [label, t["cache"], bl.fmt(float(t.get("compile_ms", float("nan"))), 1),
                bl.fmt(float(t.get("hash_ms", float("nan"))), 3), bl.fmt(float(t["load_ms"]), 3), bl.fmt(float(t.get("instantiate_ms", float("nan"))), 3),
                bl.fmt(float(t.get("total_ms", float("nan"))), 1)]

    starts_cached = second["cache"] in ("hit", "file") and all(
        s["hits"] == samples for s in stats.values())
    budgets = [[f"second run starts from the cache ({cold['cache']} then {second['cache']}; "
                + ", ".join(f"{s['hits']}/{samples} hits {k.split()[0]}" for k, s in stats.items())
                + ")", "yes" if starts_cached else "no", "always", "-",
                "PASS" if starts_cached else "MISS"]]
    for label, s in stats.items():
        # The verdict is on the median: the max of a few dozen process starts mostly measures
        # whatever else the machine was doing; it is shown next to it.
        budgets.append([f"cached module load, {label}, {s['wasm_kb']:.0f} KB wasm "
                        f"(median of {samples}; max {s['load_max']:.3f} ms)",
                        f"{s['load_median']:.3f} ms", f"<= {LOAD_BUDGET_MS:g} ms",
                        "Lucet: about the instantiation time",
                        bl.verdict(s["load_median"], LOAD_BUDGET_MS)])
    budgets.append(["`lunatic run hello.wasm` wall time vs node (mean)",
                    f"{lun_ms:.1f} ms vs {node_ms:.1f} ms ({lun_ms / node_ms:.2f}x)", "-", "-", "INFO"])
    bl.write_budgets(budgets)

    guest_rows = []
    for label, s in stats.items():
        guest_rows.append([label, f"{s['wasm_kb']:.0f}", f"{s['hits']}/{samples}",
                           bl.fmt(s["hash_median"], 3), f"{s['load_median']:.3f}",
                           f"{s['load_max']:.3f}",
                           bl.fmt(s["inst_median"], 3), bl.fmt(s["total_median"], 2),
                           bl.fmt(s["wall_median"], 1)])
    hf_rows = []
    for name in cmds:
        r = hf[name]
        hf_rows.append([f"`{name}`", f"{r['mean'] * 1000:.2f} ± {r['stddev'] * 1000:.2f}",
                        f"{r['min'] * 1000:.2f}", f"{r['median'] * 1000:.2f}",
                        f"{r['mean'] / hf['native hello']['mean']:.1f}x"])

    mode = "QUICK smoke run; " if bl.QUICK else ""
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {mode}numbers from `lunatic run --timings` "
        "(one `lunatic-timings: {json}` line on stderr)._",
        "",
        "hello.wasm run twice with an empty artifact cache (a fresh `XDG_CACHE_HOME`):",
        "",
        bl.md_table(["run", "cache", "compile ms", "hash ms", "load ms", "instantiate ms", "total ms"],
                    [cache_row("first", cold), cache_row("second", second)], align="llrrrrr"),
        "",
        f"Cached runs, {samples} runs per guest after one warm-up run (times in ms):",
        "",
        bl.md_table(["guest", "wasm KB", "cache hits", "hash median", "load median", "load max",
                     "instantiate median", "total median", "wall median"], guest_rows),
        "",
        f"Whole-command wall time, hyperfine (`-N`, 3 warm-up runs, {hf_runs} runs), ms:",
        "",
        bl.md_table(["command", "mean ± σ", "min", "median", "vs native"], hf_rows),
        "",
        bl.budget_table(budgets),
        "",
        "`hash_ms` is finding the C compiler and hashing the wasm into the cache key; "
        "`load_ms` is reading the cached artifact, checking its contract and loading its shared "
        "object; "
        "`total_ms` is the runtime's own measure of the whole run; wall is the parent's view of "
        "the process, start-up and exit included.",
    ]
    bl.write_report("\n".join(md))
    return 0


if __name__ == "__main__":
    sys.exit(bl.run_suite("load", TITLE, main, broke="The suite failed"))
