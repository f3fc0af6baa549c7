#!/usr/bin/env python3
"""Metrics suite: what the runtime's metrics cost (issue 26: ping-pong and ring within 3% with
metrics on). The guest is the messages suite's (`bench/messages/msgs.c`); each benchmark runs

  off  plain `lunatic run`
  on   `lunatic run --prometheus-http 127.0.0.1:0`, its endpoint scraped at once and then every
       second by a scraper in this script, until the run ends

in interleaved rounds (off then on, then on then off, ...), since this machine's speed drifts
more between minutes than the cost measured: the ratio of a round's on to its off, and its
median over the rounds. The sizes are larger than the messages suite's so that every `on` run
lasts about a second or more and is scraped more than once. Besides the guest's own time, the
lunatic process's CPU time (user + system, the endpoint's threads included) is compared, which
other work on the machine disturbs less.

BENCH_METRICS_BASELINE=/path/to/lunatic adds a third engine, `base`: another build (main's,
say) run without metrics in the same interleaving, to show that the counting on the hot paths,
which runs whether or not anyone scrapes, costs nothing measurable either.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
MSGS_C = HERE.parent / "messages" / "msgs.c"
TITLE = "## Metrics: the cost of the runtime's metrics (ping-pong, ring)"

BUDGET_RATIO = 1.03  # issue 26: metrics on (scraped every second) within 3% of off
SCRAPE_EVERY_S = 1.0
ANNOUNCED = re.compile(r"Prometheus metrics at (http://\S+/metrics)")


def sizes() -> dict:
    if bl.QUICK:
        return {"pingpong": 200000, "ring": (1000, 200), "pairs": 2}
    return {"pingpong": 3000000, "ring": (1000, 5000),
            "pairs": bl.env_int("BENCH_METRICS_PAIRS", 15)}


def cases(sz: dict) -> dict:
    p, laps = sz["ring"]
    return {"pingpong": (["pingpong", sz["pingpong"], 8], sz["pingpong"]),
            "ring": (["ring", p, laps], laps)}


class Run:
    """One `lunatic run`, with its CPU time (user + system, from wait4) and, when `scraped`,
    its endpoint scraped at once and then every second until it ends: each scrape must return a
    body with the runtime's counters."""

    def __init__(self, argv: list[str], timeout: float, scraped: bool):
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, errors="replace")
        self.scrapes = 0
        self.bad_scrapes: list[str] = []
        stderr_lines: list[str] = []
        url: list[str] = []
        url_ready = threading.Event()
        ended = threading.Event()

        def read_stderr() -> None:
            for line in proc.stderr:
                stderr_lines.append(line)
                m = ANNOUNCED.search(line)
                if m and not url:
                    url.append(m.group(1))
                    url_ready.set()
            url_ready.set()

        def scrape() -> None:
            url_ready.wait()
            next_at = time.monotonic()
            while url and not ended.is_set():
                try:
                    with urllib.request.urlopen(url[0], timeout=5) as r:
                        body = r.read().decode()
                    if "lunatic_process_messages_send_total" in body:
                        self.scrapes += 1
                    else:
                        self.bad_scrapes.append("no runtime counters in the body")
                except OSError as e:
                    # The endpoint closes as the runtime exits, a moment before wait4 says so.
                    if not ended.wait(2.0):
                        self.bad_scrapes.append(str(e))
                next_at += SCRAPE_EVERY_S
                ended.wait(max(0.0, next_at - time.monotonic()))

        threads = [threading.Thread(target=read_stderr)]
        if scraped:
            threads.append(threading.Thread(target=scrape))
        for t in threads:
            t.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        stdout = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        killer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        ended.set()
        for t in threads:
            t.join()
        self.cpu_s = usage.ru_utime + usage.ru_stime
        self.result = bl.Result(argv, proc.returncode, stdout, "".join(stderr_lines),
                                time.monotonic() - t0, timed_out=proc.returncode == -9)


class Suite:
    def __init__(self):
        self.lunatic = bl.need_lunatic()
        self.baseline = os.environ.get("BENCH_METRICS_BASELINE", "")
        if self.baseline and not os.access(self.baseline, os.X_OK):
            raise bl.BenchError(f"BENCH_METRICS_BASELINE={self.baseline} is not an executable")
        self.workers = bl.env_int("BENCH_MSGS_WORKERS", bl.CORES)
        self.wasm = bl.build_guest(MSGS_C, bl.OUT / "msgs.wasm")
        self.failures = bl.Failures("metrics")
        self.scrape_counts: dict[str, list[int]] = {}

    def argv(self, engine: str, args: list) -> list[str]:
        binary = self.baseline if engine == "base" else self.lunatic
        flags = ["--prometheus-http", "127.0.0.1:0"] if engine == "on" else []
        return [binary, "run", "--workers", str(self.workers), *flags, str(self.wasm),
                *map(str, args)]

    def run(self, engine: str, name: str, args: list, expected: int) -> dict:
        argv = self.argv(engine, args)
        run = Run(argv, timeout=900, scraped=engine == "on")
        if run.bad_scrapes:
            raise bl.BenchError(f"`{' '.join(argv)}`: scrapes failed: {run.bad_scrapes[:3]}")
        if engine == "on":
            if run.scrapes == 0:
                raise bl.BenchError(f"`{' '.join(argv)}`: the endpoint was never scraped")
            self.scrape_counts.setdefault(name, []).append(run.scrapes)
        fields = bl.mode_fields(run.result, "msgs", args[0])
        if fields.get("checked") != expected:
            raise bl.BenchError(f"`{' '.join(argv)}`: checked={fields.get('checked')}, "
                                f"expected {expected}")
        fields["cpu_s"] = run.cpu_s
        return fields


def per_unit(name: str, f: dict) -> float:
    return f["ns"] / f["n"] if name == "pingpong" else f["ns"] / 1e6  # ns per round trip; ms


def main() -> int:
    s = Suite()
    sz = sizes()
    table = cases(sz)
    engines = ["off", "on"] + (["base"] if s.baseline else [])
    window = bl.LoadWindow()
    # The first run of a module compiles it into the artifact cache (each build has its own).
    for engine in engines:
        if engine != "on":
            s.failures.attempt(f"{engine} warm-up",
                               lambda: s.run(engine, "pingpong", ["pingpong", 10, 8], 10))
    samples: dict = {}  # (name, engine, measure) -> values; measure "time" or "cpu"
    ratios: dict = {}  # (name, other engine, measure) -> per-round ratio to the round's off
    for rnd in range(sz["pairs"]):
        for name, (args, expected) in table.items():
            # Each engine goes first as often as it goes last.
            order = engines if rnd % 2 == 0 else engines[::-1]
            got = {}
            for engine in order:
                f = s.failures.attempt(f"{engine} {name}",
                                       lambda: s.run(engine, name, args, expected))
                if f:
                    got[engine] = {"time": per_unit(name, f), "cpu": f["cpu_s"]}
                    for measure, value in got[engine].items():
                        samples.setdefault((name, engine, measure), []).append(value)
            for other in engines[1:]:
                if "off" in got and other in got:
                    for measure in ("time", "cpu"):
                        ratios.setdefault((name, other, measure), []).append(
                            got[other][measure] / got["off"][measure])
            bl.log(f"metrics: round {rnd + 1}/{sz['pairs']} {name}: "
                   + ", ".join(f"{e} {v['time']:.1f} ({v['cpu']:.2f} s CPU)"
                               for e, v in got.items()))
    window.close()
    bl.write_json("results.json", {
        "sizes": sz, "workers": s.workers, "baseline": s.baseline, "errors": s.failures.errors,
        "scrapes": s.scrape_counts,
        "samples": [{"bench": n, "engine": e, "measure": m, "values": v}
                    for (n, e, m), v in samples.items()],
        "ratios": [{"bench": n, "engine": e, "measure": m, "values": v}
                   for (n, e, m), v in ratios.items()],
        **window.as_json()})

    nan = float("nan")

    def stat(name: str, engine: str, measure: str, f) -> float:
        xs = samples.get((name, engine, measure), [])
        return f(xs) if xs else nan

    def ratio_row(name: str, other: str, measure: str, what: str, budget: bool) -> list[str]:
        rs = sorted(ratios.get((name, other, measure), []))
        r = bl.median(rs) if rs else nan
        quartiles = (f"middle half {rs[len(rs) // 4]:.3f}-{rs[(3 * len(rs)) // 4]:.3f}"
                     if len(rs) >= 4 else "too few rounds for quartiles")
        unit = "s CPU" if measure == "cpu" else "ns" if name == "pingpong" else "ms"
        digits = 2 if measure == "cpu" else 1
        best_other, best_off = stat(name, other, measure, min), stat(name, "off", measure, min)
        return [f"{what} ({len(rs)} interleaved rounds; median of the per-round ratios, "
                f"{quartiles}; best {bl.fmt(best_other, digits)} {unit} against "
                f"{bl.fmt(best_off, digits)} {unit})",
                "n/a" if r != r else f"{r:.3f}x",
                f"<= {BUDGET_RATIO:.2f}x" if budget else "-", "this build, metrics off",
                bl.verdict(r, BUDGET_RATIO) if budget else "INFO"]

    p, laps = sz["ring"]
    labels = {"pingpong": f"ping-pong, 8-byte messages, {sz['pingpong']:,} round trips",
              "ring": f"ring of {p:,} processes, {laps:,} laps"}
    budgets = [ratio_row(n, "on", "time", f"{labels[n]}: metrics on / off", True) for n in table]
    budgets += [ratio_row(n, "on", "cpu", f"{labels[n]}: metrics on / off, CPU time", False)
                for n in table]
    if s.baseline:
        budgets += [ratio_row(n, "base", m, f"{labels[n]}: main's build / this build, both "
                              f"off{', CPU time' if m == 'cpu' else ''}", False)
                    for m in ("time", "cpu") for n in table]
    bl.write_budgets(budgets)

    detail = []
    for (name, engine, measure), xs in sorted(samples.items()):
        unit = ("s CPU" if measure == "cpu" else "ns per round trip" if name == "pingpong"
                else "ms")
        digits = 2 if measure == "cpu" else 1
        scrapes = s.scrape_counts.get(name, []) if engine == "on" else []
        detail.append([f"{name} {engine}", str(len(xs)), bl.fmt(min(xs), digits),
                       bl.fmt(bl.median(xs), digits), unit,
                       f"{min(scrapes)}-{max(scrapes)}" if scrapes else "-"])
    run_kind = bl.run_kind(f"{sz['pairs']} interleaved rounds")
    base_text = (f"; `base` is `{s.baseline}`, run without metrics in the same rounds"
                 if s.baseline else "")
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {run_kind}; "
        f"`--workers {s.workers}`{base_text}; {window.load_text()}; {window.elapsed_text()}._",
        "",
        bl.budget_table(budgets),
        "",
        "Every timed sample (each a fresh `lunatic run`):",
        "",
        bl.md_table(["benchmark and engine", "runs", "best", "median", "unit", "scrapes per run"],
                    detail, align="lrrrlr"),
        "",
        "How it is measured: the guest is the messages suite's (`bench/messages/msgs.c`), which "
        "times only its measured part. **off** is a plain `lunatic run`; **on** adds "
        "`--prometheus-http 127.0.0.1:0`, and this suite's scraper (`bench/metrics/metrics.py`) "
        "reads the address from the runtime's stderr, GETs `/metrics` at once and then every "
        "second until the run ends, checking each answer. Each round runs every engine once, "
        "in alternating order; the ratio is the median over the rounds of on / off within a "
        "round, so the machine's drift between rounds cancels. The CPU time is the lunatic "
        "process's user + system time (`wait4`), its endpoint's threads included.",
    ]
    md += s.failures.markdown()
    bl.write_report("\n".join(md))
    return s.failures.exit_status()


if __name__ == "__main__":
    sys.exit(bl.run_suite("metrics", TITLE, main))
