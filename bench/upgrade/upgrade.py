#!/usr/bin/env python3
"""Upgrade suite: hot code upgrade (lunatic::upgrade) of many idle processes, and what it costs a
process that is not upgraded.

  module     N idle processes of one module (upgrade_v1.c), each holding 1 KiB of state, moved to
             version 2 (upgrade_v2.c) by one lunatic_upgrade_module call from main: its time / N.
             Version 2's load checks every word of the state; afterwards each process answers a
             stop with version 2's checksum of its state, and main counts the right answers.
  http       examples/hot_upgrade (HTTP keep-alive, one process per connection) under wrk -c100,
             moved from v1 to v2 by `lunatic upgrade` through the run's --upgrade-socket halfway
             through: wrk's socket errors and non-2xx responses (budget: none), and the answers
             after it (v2's).
  bystander  a process of a third module (bystander.c) sleeps 1 ms at a time and measures how late
             each wake-up comes: during the upgrade and, for reference, in two windows of
             REFERENCE_MS before it in the same run, one with the workers idle and one with every
             worker kept busy by processes that compute and yield (the timers' own delay when no
             worker is free, apart from anything the upgrade adds).

The guest times itself and prints one line `upgrade: mode=module n=... ns=... ...`; this script
checks the counts (every process moved, none failed or timed out, N right answers). A wrong count
fails the suite; a missed budget is only reported. Each run is a new `lunatic run`, and the
report gives the median of the runs and every run, since the machine's speed varies.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "## Upgrade: hot code upgrade of idle processes, and a bystander's pauses"
BUDGET_US = 20.0  # per process moved
BUDGET_PAUSE_MS = 5.0  # the bystander's latest wake-up during the upgrade
REFERENCE_MS = 100  # about the upgrade window of 10,000 processes
GUESTS = ("upgrade_v1", "upgrade_v2", "bystander")
WINDOWS = ("ref", "busy", "up")  # the bystander's: workers idle, workers busy, the upgrade
NAN = float("nan")
WRK_SECONDS = 3 if bl.QUICK else 8
WRK_UPGRADE_AT_S = 1 if bl.QUICK else 3  # into the wrk run


def build(out: Path) -> dict[str, Path]:
    headers = (bl.SDK_ABI_H, HERE / "upgrade_bench.h")
    return {g: bl.build_guest(HERE / f"{g}.c", out / f"{g}.wasm", headers=headers) for g in GUESTS}


class Suite:
    def __init__(self):
        self.lunatic = bl.need_lunatic()
        self.wasm = build(bl.OUT)
        self.n = bl.env_int("BENCH_UPGRADE_N", 500 if bl.QUICK else 10000)
        self.runs = bl.env_int("BENCH_UPGRADE_RUNS", 3 if bl.QUICK else 7)
        self.spinners = bl.CORES  # one per worker, the default worker count
        self.failures = bl.Failures("upgrade")

    def run(self, n: int) -> dict[str, int]:
        """One `lunatic run` of the module upgrade with n idle processes: the guest's fields."""
        w = self.wasm
        res = bl.run([self.lunatic, "run", "--dir", str(bl.OUT), str(w["upgrade_v1"]),
                      str(w["upgrade_v2"]), str(w["bystander"]), str(n), str(REFERENCE_MS),
                      str(self.spinners)],
                     timeout=300)
        return bl.mode_fields(res, "upgrade", "module")

    def check(self, run: int, f: dict[str, int]) -> None:
        """A run that lost or failed any process, or whose answers were wrong, broke the suite."""
        expected = {"status": 0, "moved": self.n, "failed": 0, "timed_out": 0, "checked": self.n}
        wrong = [f"{k}={f.get(k)} (expected {v})" for k, v in expected.items() if f.get(k) != v]
        if wrong:
            self.failures.add(f"run {run}", ", ".join(wrong))


def wrk_during_upgrade(lunatic: str) -> dict:
    """The HTTP example under wrk, upgraded from v1 to v2 halfway: what wrk and the upgrade saw."""
    bl.need_tools("wrk")
    examples = Path(bl.BUILD) / "examples"
    v1, v2 = examples / "hot_upgrade_v1.wasm", examples / "hot_upgrade_v2.wasm"
    # Both compiled first: the upgrade then measures moving the processes, not a C compile.
    for wasm in (v1, v2):
        bl.check_run([lunatic, "compile", str(wasm)], timeout=600)
    with tempfile.TemporaryDirectory() as tmp:
        sock = str(Path(tmp) / "upgrade.sock")
        server = subprocess.Popen([lunatic, "run", "--upgrade-socket", sock, str(v1), "0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = server.stdout.readline() if server.stdout else ""
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", line)
            if not m:
                raise bl.BenchError(f"hot_upgrade_v1 did not start: {line!r}")
            url = f"http://127.0.0.1:{m.group(1)}/"
            upgrade: dict = {}

            def upgrade_halfway() -> None:
                time.sleep(WRK_UPGRADE_AT_S)
                t0 = time.monotonic()
                r = bl.run([lunatic, "upgrade", "--socket", sock, str(v2)], timeout=120)
                upgrade.update(rc=r.rc, out=r.stdout.strip(), err=r.stderr.strip()[-300:],
                               ms=(time.monotonic() - t0) * 1000)

            upgrader = threading.Thread(target=upgrade_halfway)
            upgrader.start()
            w = bl.run(["wrk", "-t2", "-c100", f"-d{WRK_SECONDS}s", url],
                       timeout=WRK_SECONDS + 120)
            upgrader.join()
            after = urllib.request.urlopen(url + "after", timeout=10).read().decode()
        finally:
            server.terminate()
            server.wait(timeout=30)
    if w.rc != 0:
        raise bl.BenchError(f"wrk failed: {w.stderr.strip()[-300:]}")
    requests = re.search(r"(\d+) requests in", w.stdout)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       w.stdout)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", w.stdout)
    moved = re.match(r"(\d+) upgraded", upgrade.get("out", ""))
    if upgrade.get("rc") != 0 or not moved:
        raise bl.BenchError(f"lunatic upgrade during wrk: {upgrade}")
    if not after.startswith("v2: "):
        raise bl.BenchError(f"after the upgrade the server answered {after!r}")
    return {"requests": int(requests.group(1)) if requests else 0,
            "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
            "socket_error_text": errors.group(0) if errors else "none",
            "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
            "moved": int(moved.group(1)), "upgrade_ms": upgrade["ms"], "after": after.strip()}


def ms(ns: float) -> float:
    return ns / 1e6


def mean_late_ms(f: dict[str, int], prefix: str) -> float:
    return ms(f[f"{prefix}_sum_ns"] / f[f"{prefix}_wakeups"]) if f[f"{prefix}_wakeups"] else NAN


def main() -> int:
    bl.need_tools("clang")
    s = Suite()
    window = bl.LoadWindow()
    # Warm-up: the first run compiles the three modules into the artifact cache.
    s.failures.attempt("warm-up", lambda: s.run(100))
    samples: list[dict[str, int]] = []
    for i in range(1, s.runs + 1):
        f = s.failures.attempt(f"run {i}", lambda: s.run(s.n))
        if f:
            s.check(i, f)
            samples.append(f)
        bl.log(f"upgrade: run {i}/{s.runs}: {f}")

    http = s.failures.attempt("http", lambda: wrk_during_upgrade(s.lunatic)) or {}
    bl.log(f"upgrade: http: {http}")

    window.close()
    bl.write_json("results.json", {"n": s.n, "runs": s.runs, "reference_ms": REFERENCE_MS,
                                   "spinners": s.spinners, "samples": samples, "http": http,
                                   "errors": s.failures.errors, **window.as_json()})

    per_us = [f["ns"] / s.n / 1000 for f in samples]
    total_ms = [ms(f["ns"]) for f in samples]
    worst = {w: [ms(f[f"{w}_max_ns"]) for f in samples] for w in WINDOWS}

    def spread(xs: list[float], digits: int) -> str:
        return f"from {bl.fmt(min(xs), digits)} to {bl.fmt(max(xs), digits)}" if xs else "no runs"

    def worst_row(what: str, w: str) -> list[str]:
        return [f"{what} (median of the runs' worst, {spread(worst[w], 2)} ms)",
                f"{bl.fmt(bl.median(worst[w]), 2)} ms"]

    per, pause = bl.median(per_us), bl.median(worst["up"])
    budgets = [
        [f"upgrade_module: {s.n:,} idle processes with 1 KiB of state each, version 1 to 2, time "
         f"per process (median of {len(samples)} runs, {spread(per_us, 2)} us; the whole upgrade "
         f"{bl.fmt(bl.median(total_ms), 1)} ms)",
         f"{bl.fmt(per, 2)} us", f"<= {BUDGET_US:.0f} us", "-", bl.verdict(per, BUDGET_US)],
        worst_row("a bystander's longest pause during that upgrade: its latest wake-up from a 1 ms "
                  "sleep", "up") + [f"<= {BUDGET_PAUSE_MS:.0f} ms", "-",
                                    bl.verdict(pause, BUDGET_PAUSE_MS)],
        worst_row(f"the same bystander, no upgrade, {REFERENCE_MS} ms with the workers idle",
                  "ref") + ["-", "-", "INFO"],
        worst_row(f"the same bystander, no upgrade, {REFERENCE_MS} ms with {s.spinners} processes "
                  "computing and yielding every 10 us", "busy") + ["-", "-", "INFO"],
    ]
    if http:
        lost = http["socket_errors"] + http["non_2xx"]
        budgets.append(
            [f"wrk -t2 -c100 {WRK_SECONDS} s against examples/hot_upgrade while `lunatic upgrade` "
             f"moves it from v1 to v2 ({http['moved']} processes, {bl.fmt(http['upgrade_ms'], 0)} "
             f"ms; {http['requests']:,} requests): socket errors and non-2xx responses",
             str(lost), "0", "-", "PASS" if lost == 0 else "MISS"])
    bl.write_budgets(budgets)

    def late(f: dict[str, int], w: str) -> str:
        return (f"{bl.fmt(ms(f[f'{w}_max_ns']), 2)} (mean {bl.fmt(mean_late_ms(f, w), 2)}; "
                f"{f[f'{w}_wakeups']} in {bl.fmt(ms(f[f'{w}_ns']), 0)} ms)")

    rows = [[str(i), bl.fmt(ms(f["ns"]), 1), bl.fmt(f["ns"] / s.n / 1000, 2),
             f"{f['moved']:,} / {f['failed']} / {f['timed_out']}", f"{f['checked']:,}",
             *(late(f, w) for w in WINDOWS)]
            for i, f in enumerate(samples, 1)]
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {bl.run_kind(f'{s.runs} runs')}, each a new `lunatic run` "
        f"(default workers: {bl.CORES} on this machine); {window.load_text()}; "
        f"{window.elapsed_text()}._",
        "",
        bl.budget_table(budgets),
        "",
        "Every run: the upgrade call, and the bystander's wake-ups in each window (latest and mean "
        "lateness in ms; wake-ups in the window):",
        "",
        bl.md_table(["run", "upgrade ms", "us per process", "moved / failed / timed out",
                     "right answers", "idle workers", "busy workers", "during the upgrade"],
                    rows),
        "",
        *([f"Under wrk: {http['requests']:,} requests, socket errors: {http['socket_error_text']}, "
           f"non-2xx: {http['non_2xx']}; `lunatic upgrade` moved {http['moved']} processes (each "
           f"connection's, the dispatcher, the stats server) in {bl.fmt(http['upgrade_ms'], 0)} "
           f"ms, {WRK_UPGRADE_AT_S} s into the run; afterwards the server answered "
           f"`{http['after']}`.", ""] if http else []),
        "How it is measured (guests `bench/upgrade/upgrade_v1.c`, `upgrade_v2.c`, `bystander.c`):",
        "",
        f"- main (version 1) compiles version 2 and a third module with "
        f"`lunatic_compile_module` from the files passed to it (`--dir`), spawns {s.n:,} idle "
        "processes of its own module and waits until each has filled its state, 256 words of a "
        "pattern of its index, and parked in a receive of any message (a message boundary).",
        "- It then times `lunatic_upgrade_module(-1 (its own module), version 2, no flags, ...)`, "
        "which moves every process but the caller: version 1's `lunatic_upgrade_save` hands the "
        "1 KiB over, version 2's `lunatic_upgrade_load` checks every word against the pattern "
        "(a mismatch refuses, which counts as a failed upgrade) and keeps its checksum.",
        "- Afterwards each process gets a stop message and answers with its version and checksum; "
        "main compares the checksum with its own of the same pattern. Moved, failed and timed out "
        "are what the call reported; right answers are version 2 answers with the right checksum.",
        "- The bystander runs code of the third module, which no upgrade touches. In each window "
        "it sleeps 1 ms (`lunatic::process::sleep_ms`) in a loop and takes each wake-up's "
        "lateness (now minus the sleep's end, monotonic clock); main opens a window only once "
        "the bystander is in its sleeps. Three windows per run, in this order: "
        f"{REFERENCE_MS} ms with the workers idle; {REFERENCE_MS} ms with {s.spinners} processes "
        "of the third module (one per worker) computing in pieces of 10 us and yielding between "
        "them, which tells the timers' own delay while every worker is busy from the upgrade's; "
        "and the upgrade call.",
    ]
    md += s.failures.markdown()
    bl.write_report("\n".join(md))
    return s.failures.exit_status()


if __name__ == "__main__":
    sys.exit(bl.run_suite("upgrade", TITLE, main))
