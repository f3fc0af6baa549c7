#!/usr/bin/env python3
"""Processes suite: what one lunatic process costs, side by side with Erlang/OTP doing the same
work in the same run.

  spawn    spawn N processes that block in receive; microseconds per spawn = wall time of the
           spawn loop / N. Then each gets a stop message and replies; the N replies are counted.
  idle     N idle processes alive at once; resident memory per process = (VmRSS with all alive -
           VmRSS before spawning) / N, from /proc/<pid>/status of the lunatic process (read by this
           script) and of the beam.smp process (read by the VM itself). Two lunatic guests: the C
           one (procs.c, the budget) and a hand-written WAT one (waiter.wat: one page, no data).
  yield    P processes each call sched_yield (erlang:yield/0) K times; ns per yield = wall / (P*K).
  request  N times in sequence: spawn a process that adds its two i64 parameters and sends the sum
           back; wait for the reply and check it. Microseconds per request.

The guests time themselves (clock_gettime / erlang:monotonic_time) and print one line
`procs: mode=... n=... ns=... checked=...`; this script checks every count. A crash, a hang
(timeout), a wrong count or a wrong sum fails the suite; a missed budget is only reported.

`procs.py --smoke` runs only the lunatic guests at tiny sizes and checks their counts (the CTest
`bench_processes_smoke`); it writes no report.
"""

from __future__ import annotations

import argparse
import os
import queue
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
SDK_INCLUDE = bl.ROOT / "sdk" / "cpp" / "include"

BUDGET_SPAWN_US = 2.0
BUDGET_IDLE_KIB = 16.0
BUDGET_YIELD_NS = 50.0
BUDGET_REQUEST_US = 3.0
ANCHOR_SPAWN_US = 4.1  # design notes: Erlang/OTP spawn on this kind of machine

LINE = re.compile(r"^procs: mode=(\w+)((?: \w+=-?\d+)*)\s*$", re.M)


def env_int(name: str, default: int) -> int:
    v = os.environ.get(name)
    return int(v) if v else default


def sizes(smoke: bool) -> dict:
    if smoke:
        d = {"spawn": 1000, "idle": 1000, "yield_procs": 100, "yield_rounds": 100, "request": 1000}
    elif bl.QUICK:
        d = {"spawn": 10000, "idle": 10000, "yield_procs": 1000, "yield_rounds": 100,
             "request": 10000}
    else:
        d = {"spawn": 1000000, "idle": 1000000, "yield_procs": 1000, "yield_rounds": 10000,
             "request": 100000}
    d["spawn"] = env_int("BENCH_PROCS_SPAWN_N", d["spawn"])
    d["idle"] = env_int("BENCH_PROCS_IDLE_N", d["idle"])
    d["yield_procs"] = env_int("BENCH_PROCS_YIELD_PROCS", d["yield_procs"])
    d["yield_rounds"] = env_int("BENCH_PROCS_YIELD_ROUNDS", d["yield_rounds"])
    d["request"] = env_int("BENCH_PROCS_REQUEST_N", d["request"])
    return d


# ---------------------------------------------------------------------------------------------
# Building

def build_guests(out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    procs_wasm = out / "procs.wasm"
    if not bl.up_to_date(procs_wasm, [HERE / "procs.c", SDK_INCLUDE / "lunatic" / "abi.h"]):
        bl.check_run([*bl.WASM_CC, "-Wall", "-Wextra", f"-I{SDK_INCLUDE}", "-o", str(procs_wasm),
                      str(HERE / "procs.c")])
    waiter_wasm = out / "waiter.wasm"
    if not bl.up_to_date(waiter_wasm, [HERE / "waiter.wat"]):
        bl.check_run(["wat2wasm", str(HERE / "waiter.wat"), "-o", str(waiter_wasm)])
    return {"procs": procs_wasm, "waiter": waiter_wasm}


def build_erlang(out: Path) -> Path:
    beam = out / "procs.beam"
    if not bl.up_to_date(beam, [HERE / "procs.erl"]):
        bl.check_run(["erlc", "-o", str(out), str(HERE / "procs.erl")])
    return beam


# ---------------------------------------------------------------------------------------------
# Running and checking

def parse(res: bl.Result, mode: str) -> dict:
    if res.timed_out or res.rc != 0:
        raise bl.BenchError(res.describe())
    m = LINE.search(res.stdout)
    if not m:
        raise bl.BenchError(f"`{shlex.join(res.argv)}`: no `procs: mode=...` line in stdout "
                            f"{res.stdout.strip()[-200:]!r}")
    if m.group(1) != mode:
        raise bl.BenchError(f"`{shlex.join(res.argv)}`: reported mode {m.group(1)}, expected {mode}")
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}


def check_counts(fields: dict, mode: str, n: int, argv) -> None:
    if fields.get("n") != n or fields.get("checked") != n:
        raise bl.BenchError(f"`{shlex.join(argv)}`: {mode}: expected n={n} checked={n}, got {fields}")
    if mode == "request":
        expected = 3 * n * (n - 1) // 2 + n  # sum of (i + 2i + 1) for i < n
        if fields.get("total") != expected:
            raise bl.BenchError(f"`{shlex.join(argv)}`: request: total {fields.get('total')}, "
                                f"expected {expected}")


def run_mode(argv: list[str], mode: str, n: int, timeout: float) -> dict:
    res = bl.run(argv, timeout=timeout)
    fields = parse(res, mode)
    check_counts(fields, mode, n, argv)
    fields["wall_s"] = round(res.wall_s, 3)
    return fields


def proc_status_kb(pid: int) -> dict:
    out = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(rest.split()[0])
    return out


class LineReader:
    """Reads a child's stdout lines on a thread, so that waits can time out."""

    def __init__(self, stream):
        self.q: queue.Queue = queue.Queue()
        self.lines: list[str] = []
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream):
        for line in stream:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def expect(self, prefix: str, deadline: float) -> str:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise bl.BenchError(f"timed out waiting for a line starting with {prefix!r}")
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                raise bl.BenchError(f"the guest ended before printing {prefix!r} "
                                    f"(stdout so far: {' | '.join(self.lines[-5:])!r})")
            self.lines.append(line)
            if line.startswith(prefix):
                return line


def idle_lunatic(argv: list[str], n: int, timeout: float, stderr_path: Path) -> dict:
    """The idle protocol of procs.wasm idle / waiter.wasm; this script reads the VmRSS."""
    deadline = time.monotonic() + timeout
    with open(stderr_path, "w+", encoding="utf-8", errors="replace") as err:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                             text=True, errors="replace")
        try:
            lines = LineReader(p.stdout)
            lines.expect("baseline", deadline)
            # The pid must be the runtime itself, not a wrapper script around it.
            exe = os.path.realpath(f"/proc/{p.pid}/exe")
            if os.path.basename(exe) != os.path.basename(os.path.realpath(argv[0])):
                raise bl.BenchError(f"measuring pid {p.pid} would read {exe}, not {argv[0]}")
            base = proc_status_kb(p.pid)
            t0 = time.monotonic()
            p.stdin.write(f"{n}\n")
            p.stdin.flush()
            ready = lines.expect("ready", deadline)
            t1 = time.monotonic()
            all1 = proc_status_kb(p.pid)
            time.sleep(0.2)
            all2 = proc_status_kb(p.pid)
            if ready.split()[1:] != [str(n)]:
                raise bl.BenchError(f"expected 'ready {n}', got {ready!r}")
            p.stdin.write("stop\n")
            p.stdin.flush()
            done = lines.expect("done", deadline)
            if done.split()[1:] != [str(n)]:
                raise bl.BenchError(f"expected 'done {n}', got {done!r}")
            p.stdin.close()
            rc = p.wait(timeout=max(1.0, deadline - time.monotonic()))
        except (bl.BenchError, subprocess.TimeoutExpired, OSError) as e:
            p.kill()
            p.wait()
            err.seek(0)
            tail = " | ".join(err.read().strip().splitlines()[-5:])
            raise bl.BenchError(f"`{shlex.join(argv)}`: {e}; exit {p.returncode}; stderr tail: {tail}")
        if rc != 0:
            err.seek(0)
            tail = " | ".join(err.read().strip().splitlines()[-5:])
            raise bl.BenchError(f"`{shlex.join(argv)}`: exit code {rc}; stderr tail: {tail}")
    rss_all = max(all1["VmRSS"], all2["VmRSS"])
    return {"n": n, "rss_base_kb": base["VmRSS"], "rss_all_kb": rss_all, "hwm_kb": all2["VmHWM"],
            "threads": all2.get("Threads"), "spawn_until_ready_s": round(t1 - t0, 3),
            "bytes_per_process": (rss_all - base["VmRSS"]) * 1024 / n}


# ---------------------------------------------------------------------------------------------
# The suite

class Suite:
    def __init__(self, out: Path, smoke: bool):
        self.out = out
        self.smoke = smoke
        self.sz = sizes(smoke)
        self.lunatic = bl.need_lunatic()
        help_text = bl.run([self.lunatic, "run", "--help"], timeout=30).stdout
        self.has_workers = "--workers" in help_text
        workers = os.environ.get("BENCH_PROCS_WORKERS")
        self.workers = int(workers) if workers else (os.cpu_count() or 1)
        self.lflags = shlex.split(os.environ.get("BENCH_PROCS_LUNATIC_FLAGS", ""))
        if self.has_workers:
            self.lflags = ["--workers", str(self.workers), *self.lflags]
        self.wasm = build_guests(out)
        self.errors: list[str] = []

    def lun(self, guest: str, *args) -> list[str]:
        return [self.lunatic, "run", *self.lflags, str(self.wasm[guest]), *map(str, args)]

    def erl(self, *args) -> list[str]:
        procs = max(self.sz["spawn"], self.sz["idle"]) * 2 + 100000
        pin = ["+S", f"{self.workers}:{self.workers}"] if self.has_workers or \
            os.environ.get("BENCH_PROCS_WORKERS") else []
        return ["erl", "-noshell", "+P", str(procs), *pin, "-pa", str(self.out), "-run", "procs",
                "main", *map(str, args)]

    def attempt(self, what: str, fn):
        try:
            return fn()
        except bl.BenchError as e:
            self.errors.append(f"{what}: {e}")
            bl.log(f"processes: FAIL {what}: {e}")
            return None


def smoke(out: Path) -> int:
    s = Suite(out, smoke=True)
    sz = s.sz
    cache = tempfile.TemporaryDirectory(prefix="lunatic-procs-smoke-")
    os.environ["XDG_CACHE_HOME"] = cache.name  # a fresh cache: the artifact of this binary
    checks = [
        ("spawn", s.lun("procs", "spawn", sz["spawn"]), sz["spawn"]),
        ("yield", s.lun("procs", "yield", sz["yield_procs"], sz["yield_rounds"]), sz["yield_procs"]),
        ("request", s.lun("procs", "request", sz["request"]), sz["request"]),
    ]
    for mode, argv, n in checks:
        f = s.attempt(f"lunatic {mode}", lambda: run_mode(argv, mode, n, timeout=120))
        if f:
            print(f"ok: {shlex.join(argv)}: {f}")
    for guest in ("procs", "waiter"):
        argv = s.lun(guest, "idle") if guest == "procs" else s.lun(guest)
        f = s.attempt(f"lunatic idle ({guest})",
                      lambda: idle_lunatic(argv, sz["idle"], 120, out / f"idle-{guest}.stderr"))
        if f:
            print(f"ok: {shlex.join(argv)} (idle protocol, n={sz['idle']}): {f}")
    cache.cleanup()
    for e in s.errors:
        print(f"FAILED: {e}", file=sys.stderr)
    return 1 if s.errors else 0


def us(ns: float, n: int) -> float:
    return ns / n / 1000


def main() -> int:
    for tool in ("clang", "wat2wasm", "erl", "erlc"):
        bl.need_tool(tool)
    out = bl.OUT
    s = Suite(out, smoke=False)
    sz = s.sz
    build_erlang(out)
    runs = env_int("BENCH_PROCS_RUNS", 1 if bl.QUICK else 3)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    t_start = time.monotonic()

    # Warm-up: the first `lunatic run` of a module compiles it into the artifact cache.
    s.attempt("lunatic warm-up (procs.wasm)",
              lambda: run_mode(s.lun("procs", "request", 10), "request", 10, timeout=900))
    s.attempt("lunatic warm-up (waiter.wasm)",
              lambda: idle_lunatic(s.lun("waiter"), 10, 900, out / "warmup.stderr"))
    lunatic_ok = not s.errors

    # Timed benchmarks: runs interleaved (lunatic, then Erlang), each run a fresh OS process.
    timed = {
        "spawn": ([s.lun("procs", "spawn", sz["spawn"]), s.erl("spawn", sz["spawn"])], sz["spawn"]),
        "yield": ([s.lun("procs", "yield", sz["yield_procs"], sz["yield_rounds"]),
                   s.erl("yield", sz["yield_procs"], sz["yield_rounds"])], sz["yield_procs"]),
        "request": ([s.lun("procs", "request", sz["request"]), s.erl("request", sz["request"])],
                    sz["request"]),
    }
    results: dict = {m: {"lunatic": [], "erlang": [], "argv": {"lunatic": v[0][0], "erlang": v[0][1]}}
                     for m, v in timed.items()}
    failed = {("lunatic", m): not lunatic_ok for m in timed} | {("erlang", m): False for m in timed}
    for rep in range(runs):
        for mode, (argvs, n) in timed.items():
            for engine, argv in zip(("lunatic", "erlang"), argvs):
                if failed[(engine, mode)]:
                    continue
                f = s.attempt(f"{engine} {mode}", lambda: run_mode(argv, mode, n, timeout=900))
                if f is None:
                    failed[(engine, mode)] = True
                else:
                    results[mode][engine].append(f)
                    bl.log(f"processes: {engine} {mode} run {rep + 1}/{runs}: {f}")

    # Idle memory: once per guest (memory does not vary run to run like time does).
    idle = {}
    if lunatic_ok:
        idle["lunatic C (procs.c)"] = s.attempt(
            "lunatic idle (procs.wasm)",
            lambda: idle_lunatic(s.lun("procs", "idle"), sz["idle"], 900, out / "idle-procs.stderr"))
        idle["lunatic WAT (waiter.wat)"] = s.attempt(
            "lunatic idle (waiter.wasm)",
            lambda: idle_lunatic(s.lun("waiter"), sz["idle"], 900, out / "idle-waiter.stderr"))

    def erl_idle():
        f = run_mode(s.erl("idle", sz["idle"]), "idle", sz["idle"], timeout=900)
        f["bytes_per_process"] = (f["rss_all_kb"] - f["rss_base_kb"]) * 1024 / sz["idle"]
        f["mem_bytes_per_process"] = (f["mem_processes_all"] - f["mem_processes_base"]) / sz["idle"]
        return f
    idle["Erlang/OTP"] = s.attempt("erlang idle", erl_idle)
    for k, v in idle.items():
        if v:
            bl.log(f"processes: idle {k}: {v['bytes_per_process'] / 1024:.2f} KiB per process ({v})")

    load_after = Path("/proc/loadavg").read_text().split()[:3]
    bl.write_json("results.json", {"sizes": sz, "runs": runs, "quick": bl.QUICK,
                                   "lunatic_flags": s.lflags, "workers_flag": s.has_workers,
                                   "timed": results, "idle": idle, "errors": s.errors,
                                   "loadavg_before": load_before, "loadavg_after": load_after})

    # ---- numbers ----
    def best(mode: str, engine: str, per) -> tuple[float, float]:
        xs = [per(f) for f in results[mode][engine]]
        return (min(xs), bl.median(xs)) if xs else (float("nan"), float("nan"))

    n_sp, n_rq = sz["spawn"], sz["request"]
    yields = sz["yield_procs"] * sz["yield_rounds"]
    per = {
        "spawn": lambda f: f["ns"] / n_sp / 1000,
        "yield": lambda f: f["ns"] / yields,
        "request": lambda f: f["ns"] / n_rq / 1000,
    }
    nums = {m: {e: best(m, e, per[m]) for e in ("lunatic", "erlang")} for m in per}
    teardown = {e: best("spawn", e, lambda f: f["teardown_ns"] / n_sp / 1000) for e in ("lunatic", "erlang")}

    def kib(key):
        v = idle.get(key)
        return v["bytes_per_process"] / 1024 if v else float("nan")
    idle_c, idle_wat, idle_erl = kib("lunatic C (procs.c)"), kib("lunatic WAT (waiter.wat)"), kib("Erlang/OTP")
    erl_mem = (idle["Erlang/OTP"]["mem_bytes_per_process"] / 1024 if idle.get("Erlang/OTP")
               else float("nan"))

    def ratio(a: float, b: float) -> str:
        return "n/a" if a != a or b != b or b == 0 else f"{a / b:.2f}x"

    fmt_n = lambda n: f"{n:,}"  # noqa: E731
    best_of = f"best of {runs}" if runs > 1 else "one run"
    sp_l, sp_e = nums["spawn"]["lunatic"][0], nums["spawn"]["erlang"][0]
    y_l, y_e = nums["yield"]["lunatic"][0], nums["yield"]["erlang"][0]
    r_l, r_e = nums["request"]["lunatic"][0], nums["request"]["erlang"][0]
    budgets = [
        [f"spawn: {fmt_n(n_sp)} processes that block in receive, wall of the spawn loop / N "
         f"({best_of}; lunatic / Erlang {ratio(sp_l, sp_e)})",
         f"{bl.fmt(sp_l)} us", f"<= {BUDGET_SPAWN_US:g} us",
         f"Erlang/OTP {bl.fmt(sp_e)} us this run (design notes: about {ANCHOR_SPAWN_US} us)",
         bl.verdict(sp_l, BUDGET_SPAWN_US)],
        [f"idle: resident memory per idle process, C guest, {fmt_n(sz['idle'])} alive "
         f"(VmRSS delta / N; lunatic / Erlang {ratio(idle_c, idle_erl)})",
         f"{bl.fmt(idle_c)} KiB", f"<= {BUDGET_IDLE_KIB:g} KiB",
         f"Erlang/OTP {bl.fmt(idle_erl)} KiB (beam.smp VmRSS)", bl.verdict(idle_c, BUDGET_IDLE_KIB)],
        [f"idle: resident memory per idle process, minimal WAT guest (1 page, no data), "
         f"{fmt_n(sz['idle'])} alive", f"{bl.fmt(idle_wat)} KiB", "-",
         f"Erlang/OTP {bl.fmt(idle_erl)} KiB", "INFO"],
        [f"yield: {fmt_n(sz['yield_procs'])} processes x {fmt_n(sz['yield_rounds'])} sched_yield, "
         f"wall / (P*K) ({best_of}; lunatic / Erlang {ratio(y_l, y_e)})",
         f"{bl.fmt(y_l, 1)} ns", f"<= {BUDGET_YIELD_NS:g} ns",
         f"Erlang/OTP erlang:yield() {bl.fmt(y_e, 1)} ns", bl.verdict(y_l, BUDGET_YIELD_NS)],
        [f"request: instance per request, {fmt_n(n_rq)} sequential spawn + add + reply "
         f"({best_of}; lunatic / Erlang {ratio(r_l, r_e)})",
         f"{bl.fmt(r_l)} us", f"<= {BUDGET_REQUEST_US:g} us",
         f"Erlang/OTP spawn + reply {bl.fmt(r_e)} us", bl.verdict(r_l, BUDGET_REQUEST_US)],
    ]
    bl.write_budgets(budgets)

    rows = [
        ["spawn, us per spawn", bl.fmt(sp_l), bl.fmt(sp_e), ratio(sp_l, sp_e),
         f"<= {BUDGET_SPAWN_US:g}", bl.verdict(sp_l, BUDGET_SPAWN_US)],
        ["idle, KiB per process (C guest)", bl.fmt(idle_c), bl.fmt(idle_erl), ratio(idle_c, idle_erl),
         f"<= {BUDGET_IDLE_KIB:g}", bl.verdict(idle_c, BUDGET_IDLE_KIB)],
        ["idle, KiB per process (WAT guest)", bl.fmt(idle_wat), bl.fmt(idle_erl),
         ratio(idle_wat, idle_erl), "-", "INFO"],
        ["yield, ns per yield", bl.fmt(y_l, 1), bl.fmt(y_e, 1), ratio(y_l, y_e),
         f"<= {BUDGET_YIELD_NS:g}", bl.verdict(y_l, BUDGET_YIELD_NS)],
        ["request, us per request", bl.fmt(r_l), bl.fmt(r_e), ratio(r_l, r_e),
         f"<= {BUDGET_REQUEST_US:g}", bl.verdict(r_l, BUDGET_REQUEST_US)],
    ]
    detail = [
        ["spawn (us per spawn)", fmt_n(n_sp), bl.fmt(nums["spawn"]["lunatic"][0]),
         bl.fmt(nums["spawn"]["lunatic"][1]), bl.fmt(nums["spawn"]["erlang"][0]),
         bl.fmt(nums["spawn"]["erlang"][1])],
        ["spawn teardown: stop message + reply (us per process)", fmt_n(n_sp),
         bl.fmt(teardown["lunatic"][0]), bl.fmt(teardown["lunatic"][1]),
         bl.fmt(teardown["erlang"][0]), bl.fmt(teardown["erlang"][1])],
        [f"yield (ns per yield), {fmt_n(sz['yield_procs'])} x {fmt_n(sz['yield_rounds'])}",
         fmt_n(yields), bl.fmt(nums["yield"]["lunatic"][0], 1), bl.fmt(nums["yield"]["lunatic"][1], 1),
         bl.fmt(nums["yield"]["erlang"][0], 1), bl.fmt(nums["yield"]["erlang"][1], 1)],
        ["request (us per request)", fmt_n(n_rq), bl.fmt(nums["request"]["lunatic"][0]),
         bl.fmt(nums["request"]["lunatic"][1]), bl.fmt(nums["request"]["erlang"][0]),
         bl.fmt(nums["request"]["erlang"][1])],
    ]
    idle_rows = []
    for k, v in idle.items():
        if not v:
            idle_rows.append([k, "FAILED", "", "", "", ""])
            continue
        idle_rows.append([k, fmt_n(v["n"]), f"{v['rss_base_kb'] / 1024:.1f}",
                          f"{v['rss_all_kb'] / 1024:.1f}", f"{v['bytes_per_process'] / 1024:.2f}",
                          f"{v['hwm_kb'] / 1024:.1f}" if "hwm_kb" in v else "-"])

    mode = "QUICK smoke run (small sizes; numbers are not meaningful)" if bl.QUICK else best_of
    workers = (f"`--workers {s.workers}` for lunatic, `+S {s.workers}:{s.workers}` for Erlang"
               if s.has_workers else
               f"lunatic's own worker count (this binary has no `--workers`), Erlang's default "
               f"schedulers ({os.cpu_count()} cores)")
    if s.lflags:
        workers += f"; `lunatic run {shlex.join(s.lflags)}`"
    md = [
        "## Processes: spawn, idle memory, yield, instance per request (vs Erlang/OTP)",
        "",
        f"_{time.strftime('%Y-%m-%d %H:%M %Z')}; {mode}; lunatic and Erlang/OTP "
        f"interleaved in the same run; workers: {workers}; load average before "
        f"{' '.join(load_before)}, after {' '.join(load_after)}; "
        f"{time.monotonic() - t_start:.0f} s._",
        "",
        "Lower is better; the ratio is lunatic / Erlang. The budget is on the lunatic number.",
        "",
        bl.md_table(["benchmark", "lunatic", "Erlang/OTP", "lunatic / Erlang", "budget", "verdict"],
                    rows, align="lrrrrl"),
        "",
        f"Times ({best_of} per engine; each run is a fresh `lunatic run` or `erl`):",
        "",
        bl.md_table(["benchmark", "N", "lunatic best", "lunatic median", "Erlang best",
                     "Erlang median"], detail),
        "",
        "Idle memory, VmRSS of the lunatic process (read by this script from "
        "`/proc/<pid>/status`) and of the beam.smp process (read by the VM from the same file), "
        "MiB; per process = (all alive - baseline) / N:",
        "",
        bl.md_table(["guest", "N", "baseline MiB", "all alive MiB", "KiB per process", "peak (VmHWM) MiB"],
                    idle_rows),
        "",
    ]
    if idle.get("Erlang/OTP"):
        md += [f"Erlang's own count, `erlang:memory(processes)` delta / N: {erl_mem:.2f} KiB per "
               "process (the beam.smp VmRSS delta above is the anchor).", ""]
    md += [
        bl.md_table(["budget", "measured", "budget", "anchor", "verdict"], budgets, align="lrrll"),
        "",
        "How each is measured (guests: `bench/processes/procs.c`, `waiter.wat`; anchor: "
        "`procs.erl`):",
        "",
        f"- **spawn**: the parent spawns N `waiter` processes (`lunatic::process::spawn`, no link, "
        "the same module and config; one i64 and one i32 parameter) that block in `receive`; the "
        "number is the wall time of the spawn loop / N. Then the parent sends each a message and "
        "counts the N replies (teardown row). Erlang: `spawn(fun() -> receive _ -> Parent ! done "
        "end end)`.",
        "- **idle**: the parent prints `baseline`, the runner reads VmRSS, the parent spawns N "
        "waiters and waits for a \"started\" message from each (so every one has run up to its "
        "`receive`), prints `ready N`; the runner reads VmRSS twice 0.2 s apart and keeps the "
        "larger. Both deltas include the parent's table of N pids (8 bytes per process in the "
        "guests, a list cell per process in Erlang). The C guest is "
        "`clang --target=wasm32-wasi -O2 -Wl,--stack-first` (2 pages of memory declared, 64 KiB "
        "stack first, wasi-libc data); the WAT guest declares one page and has no data segment.",
        "- **yield**: P processes wait for a \"go\" message, call `sched_yield` (WASI) K times "
        "and reply; the time runs from the first \"go\" to the last reply. Erlang: "
        "`erlang:yield()`.",
        "- **request**: N times in sequence, spawn `adder(parent, a, b)`, which sends a + b back as "
        "an 8-byte message and returns; the parent checks every sum and the total. Erlang: "
        "`spawn(fun() -> Parent ! {sum, self(), A + B} end)` and a receive.",
    ]
    if not lunatic_ok:
        md += ["", "**lunatic could not run the guests** (see the failures below); the Erlang "
               "numbers are from this run."]
    if s.errors:
        md += ["", "**Failures (the suite failed):**", ""] + [f"- {bl.cell(e)}" for e in s.errors]
    bl.write_report("\n".join(md))
    for e in s.errors:
        bl.log(f"processes: ERROR {e}")
    return 1 if s.errors else 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true",
                    help="run only the lunatic guests at tiny sizes and check their counts")
    a = ap.parse_args()
    try:
        if a.smoke:
            sys.exit(smoke(bl.OUT))
        sys.exit(main())
    except bl.BenchError as e:
        bl.log(f"processes: ERROR {e}")
        if not a.smoke:
            bl.write_report("## Processes: spawn, idle memory, yield, instance per request "
                            f"(vs Erlang/OTP)\n\n**The suite failed before measuring:** {bl.cell(str(e))}")
            bl.write_budgets([])
        sys.exit(1)
