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

Beside spawn, the report counts the minor page faults of each spawn run (getrusage of the whole OS
process) and times a native anchor, pagetouch.c: the first write to each of N fresh pages. A page's
first touch is the part of a spawn no runtime code can make cheaper, so faults per process times
the cost of one touch, over the worker count, is a floor for the spawn number on this machine.

The guests time themselves (clock_gettime / erlang:monotonic_time) and print one line
`procs: mode=... n=... ns=... checked=...`; this script checks every count. A crash, a hang
(timeout), a wrong count or a wrong sum fails the suite; a missed budget is only reported.

`procs.py --smoke` runs only the lunatic guests at tiny sizes and checks their counts (the CTest
`bench_processes_smoke`); it writes no report.
"""

from __future__ import annotations

import collections
import math
import os
import queue
import re
import resource
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "## Processes: spawn, idle memory, yield, instance per request (vs Erlang/OTP)"

BUDGET_SPAWN_US = 2.0
BUDGET_IDLE_KIB = 16.0
BUDGET_YIELD_NS = 50.0
BUDGET_REQUEST_US = 3.0
ANCHOR_SPAWN_US = 4.1  # design notes: Erlang/OTP spawn on this kind of machine
NAN = float("nan")


def sizes(smoke: bool) -> dict:
    if smoke:
        d = {"spawn": 1000, "idle": 1000, "yield_procs": 100, "yield_rounds": 100, "request": 1000,
             "pages": 1000}
    elif bl.QUICK:
        d = {"spawn": 10000, "idle": 10000, "yield_procs": 1000, "yield_rounds": 100,
             "request": 10000, "pages": 10000}
    else:
        d = {"spawn": 1000000, "idle": 1000000, "yield_procs": 1000, "yield_rounds": 10000,
             "request": 100000, "pages": 200000}
    d["spawn"] = bl.env_int("BENCH_PROCS_SPAWN_N", d["spawn"])
    d["idle"] = bl.env_int("BENCH_PROCS_IDLE_N", d["idle"])
    d["yield_procs"] = bl.env_int("BENCH_PROCS_YIELD_PROCS", d["yield_procs"])
    d["yield_rounds"] = bl.env_int("BENCH_PROCS_YIELD_ROUNDS", d["yield_rounds"])
    d["request"] = bl.env_int("BENCH_PROCS_REQUEST_N", d["request"])
    d["pages"] = bl.env_int("BENCH_PROCS_PAGES", d["pages"])
    return d


# ---------------------------------------------------------------------------------------------
# Building

def build_guests(out: Path) -> dict:
    waiter_wasm, waiter_wat = out / "waiter.wasm", HERE / "waiter.wat"
    return {"procs": bl.build_guest(HERE / "procs.c", out / "procs.wasm"),
            "waiter": bl.rebuild_if_stale(waiter_wasm, [waiter_wat],
                                          ["wat2wasm", waiter_wat, "-o", waiter_wasm]),
            "pagetouch": bl.build_native(HERE / "pagetouch.c", out / "pagetouch")}


# ---------------------------------------------------------------------------------------------
# Running and checking

def check_counts(fields: dict, mode: str, n: int, argv) -> None:
    if fields.get("n") != n or fields.get("checked") != n:
        raise bl.BenchError(f"`{shlex.join(argv)}`: {mode}: expected n={n} checked={n}, got {fields}")
    if mode == "request":
        expected = 3 * n * (n - 1) // 2 + n  # sum of (i + 2i + 1) for i < n
        if fields.get("total") != expected:
            raise bl.BenchError(f"`{shlex.join(argv)}`: request: total {fields.get('total')}, "
                                f"expected {expected}")


# lunatic logs a process that traps or is killed on stderr. None of the benchmark's processes
# should: one such line means the run is broken, and it is stopped at once instead of waiting
# for replies that will never come (a failed spawned process cannot answer).
FAIL_LINE = re.compile(r"^lunatic: process \d+ (failed|was killed)")


def children_usage() -> tuple[float, int]:
    """CPU seconds (user + system) and minor page faults of this script's children that have
    ended: a child's own share is the difference across its run (children run one at a time)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime, ru.ru_minflt


class Child:
    """A benchmark process whose stdout lines can be awaited with a deadline and whose stderr is
    watched for process failures."""

    def __init__(self, argv: list[str], stdin: bool = False):
        self.argv = argv
        self.t0 = time.monotonic()
        self.cpu0, self.minflt0 = children_usage()
        self.cpu_s = float("nan")
        self.minflt = -1
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  errors="replace")
        self.q: queue.Queue = queue.Queue()
        self.out: list[str] = []
        self.err_tail: collections.deque = collections.deque(maxlen=8)
        self.fail_line: str | None = None
        self.fail_count = 0
        self.threads = [threading.Thread(target=self._pump_out, daemon=True),
                        threading.Thread(target=self._pump_err, daemon=True)]
        for t in self.threads:
            t.start()

    def _pump_out(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def _pump_err(self):
        for line in self.p.stderr:
            line = line.rstrip("\n")
            self.err_tail.append(line)
            if FAIL_LINE.match(line):
                self.fail_count += 1
                if self.fail_line is None:
                    self.fail_line = line
                    self.p.kill()

    def _broken(self, what: str) -> bl.BenchError:
        self.kill()
        if self.fail_line:
            what = (f"a process failed ({self.fail_count} such lines on stderr; stopped): "
                    f"{self.fail_line}")
        tail = " | ".join(list(self.err_tail)[-5:])
        return bl.BenchError(f"`{shlex.join(self.argv)}`: {what}; exit {self.p.returncode}; "
                             f"stderr tail: {tail}")

    def _next_line(self, deadline: float, waiting_for: str) -> str | None:
        """The guest's next stdout line (kept in self.out), or None at the end of stdout; a
        process failure on stderr or the deadline is an error."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._broken(f"timed out waiting for {waiting_for}")
            try:
                line = self.q.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.fail_line:
                    raise self._broken("")
                continue
            if line is not None:
                self.out.append(line)
            return line

    def expect(self, prefix: str, deadline: float) -> str:
        while True:
            line = self._next_line(deadline, f"a line starting with {prefix!r}")
            if line is None:
                raise self._broken(f"the guest ended before printing {prefix!r} (stdout so far: "
                                   f"{' | '.join(self.out[-5:])!r})")
            if line.startswith(prefix):
                return line

    def send(self, text: str) -> None:
        self.p.stdin.write(text)
        self.p.stdin.flush()

    def finish(self, deadline: float) -> bl.Result:
        """Waits for the exit (and the end of stdout); a process failure is an error."""
        while self._next_line(deadline, "the end of stdout") is not None:
            pass
        try:
            rc = self.p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise self._broken("timed out waiting for the exit") from None
        for t in self.threads:
            t.join(timeout=5)
        # CPU time (user + system) of the whole OS process, start-up included: on a busy machine
        # the wall times above grow, this much less.
        cpu_s, minflt = children_usage()
        self.cpu_s = cpu_s - self.cpu0
        self.minflt = minflt - self.minflt0
        if self.fail_line:
            raise self._broken("")
        return bl.Result(self.argv, rc, "\n".join(self.out) + "\n", "\n".join(self.err_tail),
                         time.monotonic() - self.t0)

    def kill(self) -> None:
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def run_mode(argv: list[str], mode: str, n: int, timeout: float) -> dict:
    c = Child(argv)
    res = c.finish(time.monotonic() + timeout)
    fields = bl.mode_fields(res, "procs", mode)
    check_counts(fields, mode, n, argv)
    fields["wall_s"] = round(res.wall_s, 3)
    fields["cpu_s"] = round(c.cpu_s, 3)
    fields["minflt"] = c.minflt
    return fields


def idle_lunatic(argv: list[str], n: int, timeout: float) -> dict:
    """The idle protocol of procs.wasm idle / waiter.wasm; this script reads the VmRSS."""
    deadline = time.monotonic() + timeout
    c = Child(argv, stdin=True)
    try:
        c.expect("baseline", deadline)
        # The pid must be the runtime itself, not a wrapper script around it.
        exe = os.path.realpath(f"/proc/{c.p.pid}/exe")
        if os.path.basename(exe) != os.path.basename(os.path.realpath(argv[0])):
            raise c._broken(f"measuring pid {c.p.pid} would read {exe}, not {argv[0]}")
        base = bl.proc_status(c.p.pid)
        t0 = time.monotonic()
        c.send(f"{n}\n")
        ready = c.expect("ready", deadline)
        t1 = time.monotonic()
        all1 = bl.proc_status(c.p.pid)
        time.sleep(0.2)
        all2 = bl.proc_status(c.p.pid)
        if ready.split()[1:] != [str(n)]:
            raise c._broken(f"expected 'ready {n}', got {ready!r}")
        c.send("stop\n")
        done = c.expect("done", deadline)
        if done.split()[1:] != [str(n)]:
            raise c._broken(f"expected 'done {n}', got {done!r}")
        c.p.stdin.close()
        res = c.finish(deadline)
    except (OSError, ValueError) as e:  # a write to a closed pipe, /proc gone: the child died
        raise c._broken(f"{type(e).__name__}: {e}") from None
    if res.rc != 0:
        raise c._broken(f"exit code {res.rc}")
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
        self.workers = bl.env_int("BENCH_PROCS_WORKERS", bl.CORES)
        self.extra_flags = shlex.split(os.environ.get("BENCH_PROCS_LUNATIC_FLAGS", ""))
        self.lflags = list(self.extra_flags)
        if self.has_workers:
            self.lflags = ["--workers", str(self.workers), *self.lflags]
        # As Erlang gets +P (its default is 262,144 processes), lunatic gets the same process
        # limit and no guest-memory limit (its default, the machine's RAM, counts what a
        # million processes' memories may grow to, not what they touch).
        if "--max-processes" in help_text:
            self.lflags = ["--max-processes", str(self.process_limit()), "--max-memory", "0",
                           *self.lflags]
        self.wasm = build_guests(out)
        self.failures = bl.Failures("processes")

    def lun(self, guest: str, *args) -> list[str]:
        return [self.lunatic, "run", *self.lflags, str(self.wasm[guest]), *map(str, args)]

    def process_limit(self) -> int:
        return max(self.sz["spawn"], self.sz["idle"]) * 2 + 100000

    def erl(self, *args) -> list[str]:
        # Erlang's schedulers are pinned when lunatic's workers are, or when asked to be.
        pinned = self.has_workers or os.environ.get("BENCH_PROCS_WORKERS")
        return bl.erl_argv("procs", self.out, args, self.process_limit(),
                           self.workers if pinned else None)


def smoke() -> int:
    s = Suite(bl.OUT, smoke=True)
    sz = s.sz
    checks = [
        ("spawn", s.lun("procs", "spawn", sz["spawn"]), sz["spawn"]),
        ("yield", s.lun("procs", "yield", sz["yield_procs"], sz["yield_rounds"]), sz["yield_procs"]),
        ("request", s.lun("procs", "request", sz["request"]), sz["request"]),
        ("pagetouch", [str(s.wasm["pagetouch"]), str(sz["pages"])], sz["pages"]),
    ]
    with bl.fresh_artifact_cache("lunatic-procs-smoke-"):
        for mode, argv, n in checks:
            f = s.failures.attempt(mode, lambda: run_mode(argv, mode, n, timeout=120))
            if f:
                print(f"ok: {shlex.join(argv)}: {f}")
        for guest in ("procs", "waiter"):
            argv = s.lun(guest, "idle") if guest == "procs" else s.lun(guest)
            f = s.failures.attempt(f"lunatic idle ({guest})",
                                   lambda: idle_lunatic(argv, sz["idle"], 120))
            if f:
                print(f"ok: {shlex.join(argv)} (idle protocol, n={sz['idle']}): {f}")
    return s.failures.smoke_exit_status()


# ---------------------------------------------------------------------------------------------
# A full run: measure (the raw numbers), summarize (the figures), render (the report)

Key = tuple[str, str, int]  # (engine, bench, n)

# The idle benchmarks of lunatic and the guest (and its arguments) each runs.
IDLE_GUESTS = {"idle C": ("procs", "idle"), "idle WAT": ("waiter",)}


@dataclass
class Plan:
    """What a full run measures, and how often."""
    sz: dict
    runs: int
    timeout: int
    # When lunatic cannot hold the full N of spawn or idle, it is measured again at this size, so
    # the report still shows what a process costs (the budget line stays a MISS: it is set at N).
    fallback: int

    @staticmethod
    def from_env(sz: dict) -> Plan:
        return Plan(sz, runs=bl.env_int("BENCH_PROCS_RUNS", 1 if bl.QUICK else 3),
                    timeout=bl.env_int("BENCH_PROCS_TIMEOUT", 900),
                    fallback=bl.env_int("BENCH_PROCS_FALLBACK_N", 10000))

    def with_fallback(self, n: int) -> list[int]:
        """N, then the fallback size where it is smaller (measured when lunatic failed at N)."""
        return [n, self.fallback] if 0 < self.fallback < n else [n]


class Samples:
    """The raw numbers of a full run: the fields each run reported, by (engine, bench, n); the keys
    whose run broke; whether lunatic ran at all; and the machine's load around the runs."""

    def __init__(self, failures: bl.Failures, lunatic_ok: bool, window: bl.LoadWindow):
        self.runs: dict[Key, list[dict]] = collections.defaultdict(list)
        self.broken: set[Key] = set()
        self.lunatic_ok = lunatic_ok
        self.failures = failures
        self.window = window

    def take(self, engine: str, bench: str, n: int, fn) -> None:
        """One more run of a benchmark, unless it broke before: a broken one is not run again."""
        key = (engine, bench, n)
        if key in self.broken or (engine == "lunatic" and not self.lunatic_ok):
            return
        f = self.failures.attempt(f"{engine} {bench}, N={n:,}", fn)
        if f is None:
            self.broken.add(key)
            return
        self.runs[key].append(f)
        bl.log(f"processes: {engine} {bench} N={n:,}: {f}")

    def lunatic_broke(self, bench: str, n: int) -> bool:
        return ("lunatic", bench, n) in self.broken


def measure(s: Suite, plan: Plan) -> Samples:
    """Runs every benchmark, lunatic beside Erlang, and keeps what each run reported."""
    window = bl.LoadWindow()
    samples = Samples(s.failures, warm_up(s, plan.timeout), window)
    measure_timed(s, plan, samples)
    measure_idle(s, plan, samples)
    window.close()
    return samples


def warm_up(s: Suite, timeout: int) -> bool:
    """The first `lunatic run` of a module compiles it into the artifact cache. Whether lunatic
    runs the guests at all."""
    s.failures.attempt("lunatic warm-up (procs.wasm)",
                       lambda: run_mode(s.lun("procs", "request", 10), "request", 10, timeout))
    s.failures.attempt("lunatic warm-up (waiter.wasm)",
                       lambda: idle_lunatic(s.lun("waiter"), 10, timeout))
    return not s.failures.errors


def measure_timed(s: Suite, plan: Plan, samples: Samples) -> None:
    """`runs` rounds; in each, lunatic then Erlang, every run a fresh OS process."""
    sz, timeout = plan.sz, plan.timeout
    n_sp, n_pg = sz["spawn"], sz["pages"]

    def both(bench: str, n: int, *more_args) -> None:
        samples.take("lunatic", bench, n,
                     lambda: run_mode(s.lun("procs", bench, n, *more_args), bench, n, timeout))
        samples.take("erlang", bench, n,
                     lambda: run_mode(s.erl(bench, n, *more_args), bench, n, timeout))

    for rep in range(plan.runs):
        for n in plan.with_fallback(n_sp):
            if n == n_sp or samples.lunatic_broke("spawn", n_sp):
                both("spawn", n)
        both("yield", sz["yield_procs"], sz["yield_rounds"])
        both("request", sz["request"])
        samples.take("native", "pagetouch", n_pg,
                     lambda: run_mode([str(s.wasm["pagetouch"]), str(n_pg)], "pagetouch", n_pg,
                                      timeout))
        bl.log(f"processes: round {rep + 1}/{plan.runs} done")


def measure_idle(s: Suite, plan: Plan, samples: Samples) -> None:
    """Idle memory: once per guest and size (memory does not vary run to run as time does)."""
    n_id, timeout = plan.sz["idle"], plan.timeout
    for n in plan.with_fallback(n_id):
        fell_back = n != n_id
        for bench, guest in IDLE_GUESTS.items():
            if not fell_back or samples.lunatic_broke(bench, n_id):
                samples.take("lunatic", bench, n, lambda: idle_lunatic(s.lun(*guest), n, timeout))
        if not fell_back or any(samples.lunatic_broke(b, n_id) for b in IDLE_GUESTS):
            samples.take("erlang", "idle", n, lambda: idle_erlang(s, n, timeout))


def idle_erlang(s: Suite, n: int, timeout: int) -> dict:
    """The Erlang anchor reads its own VmRSS and erlang:memory(processes); the same per-process
    figures as idle_lunatic's."""
    f = run_mode(s.erl("idle", n), "idle", n, timeout)
    f["bytes_per_process"] = (f["rss_all_kb"] - f["rss_base_kb"]) * 1024 / n
    f["mem_bytes_per_process"] = (f["mem_processes_all"] - f["mem_processes_base"]) / n
    return f


def max_map_count() -> str:
    return Path("/proc/sys/vm/max_map_count").read_text().strip()


def write_results(s: Suite, plan: Plan, samples: Samples) -> None:
    """Every raw sample, in results.json."""
    bl.write_json("results.json", {
        "sizes": plan.sz, "runs": plan.runs, "fallback_n": plan.fallback, "quick": bl.QUICK,
        "lunatic_flags": s.lflags, "workers_flag": s.has_workers,
        "samples": [{"engine": e, "bench": b, "n": n, "runs": v}
                    for (e, b, n), v in samples.runs.items()],
        "failed": [{"engine": e, "bench": b, "n": n} for (e, b, n) in sorted(samples.broken)],
        "errors": s.failures.errors, **samples.window.as_json(),
        "max_map_count": max_map_count()})


def per_unit(bench: str, f: dict, n: int, rounds: int) -> float:
    """One run's figure, in the unit its benchmark is reported in."""
    kind = bench.split()[0]  # "idle C" -> "idle"
    if kind == "yield":
        return f["ns"] / (n * rounds)                # ns per yield
    if kind == "teardown":
        return f["teardown_ns"] / n / 1000           # us per process
    if kind == "idle":
        return f["bytes_per_process"] / 1024         # KiB per process
    if kind == "running":
        # us per process from the first spawn until every process ran (idle runs): the runner's
        # clock for lunatic, the VM's own for Erlang
        return (f["spawn_until_ready_s"] * 1e6 if "spawn_until_ready_s" in f
                else f["ns"] / 1000) / n
    return f["ns"] / n / 1000                        # us per spawn, request or page touched


def derived_key(key: Key) -> Key | None:
    """The benchmark a run also measures: teardown in the spawn runs, spawn until all run in
    the idle runs."""
    engine, bench, n = key
    if bench == "spawn":
        return (engine, "teardown", n)
    if bench.startswith("idle"):
        return (engine, bench.replace("idle", "running"), n)
    return None


@dataclass
class Headline:
    """A budget's figures: lunatic's and Erlang's best at `n`, which is the full N or, when
    lunatic failed there, the fallback size (and the verdict is a MISS)."""
    lunatic: float
    erlang: float
    n: int
    full_n: int
    failed_at_full_n: bool
    verdict: str


@dataclass
class Summary:
    """The figures of a full run, in each benchmark's unit."""
    runs: dict[Key, list[dict]]     # the samples, with the derived benchmarks' keys added
    broken: set[Key]                # likewise
    lunatic_ok: bool
    fallback: int
    stats: dict[Key, tuple[float, float]] = field(default_factory=dict)  # best, median
    headlines: dict[str, Headline] = field(default_factory=dict)
    whole_run: dict[Key, tuple[float, float]] = field(default_factory=dict)  # wall s, CPU s
    # Minor faults per spawned process at the full N, median of the runs, and what they cost:
    # engine -> (faults, us of CPU at the price of a first touch, us of wall over the workers).
    faults: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    touch_us: tuple[float, float] = (NAN, NAN)  # a first write to a fresh page: best, median

    def stat(self, engine: str, bench: str, n: int) -> tuple[float, float]:
        return self.stats.get((engine, bench, n), (NAN, NAN))

    def best(self, engine: str, bench: str, n: int) -> float:
        return self.stat(engine, bench, n)[0]

    def lunatic_failed(self, bench: str, n: int) -> bool:
        return not self.lunatic_ok or ("lunatic", bench, n) in self.broken

    def sizes_for(self, bench: str, n: int) -> list[int]:
        """N, and the fallback size if lunatic failed at N."""
        if ("lunatic", bench, n) in self.broken and 0 < self.fallback < n:
            return [n, self.fallback]
        return [n]


# The timed benchmarks (as opposed to idle memory) and their units.
TIMED_UNITS = {"spawn": "us per spawn", "teardown": "us per process", "yield": "ns per yield",
               "request": "us per request"}

# The budgeted benchmarks: Erlang's benchmark beside each, the size it is set at, and the budget
# (None: shown for information).
HEADLINES = {
    "spawn": ("spawn", "spawn", BUDGET_SPAWN_US),
    "idle C": ("idle", "idle", BUDGET_IDLE_KIB),
    "idle WAT": ("idle", "idle", None),
    "yield": ("yield", "yield_procs", BUDGET_YIELD_NS),
    "request": ("request", "request", BUDGET_REQUEST_US),
}


def summarize(samples: Samples, plan: Plan, workers: int) -> Summary:
    """Turns the raw samples into the figures the report shows: best and median per unit, the
    budget verdicts and the page-fault floor of a spawn."""
    runs, broken = dict(samples.runs), set(samples.broken)
    for key, v in samples.runs.items():
        if also := derived_key(key):
            runs[also] = v
    for key in samples.broken:
        if also := derived_key(key):
            broken.add(also)
    sm = Summary(runs, broken, samples.lunatic_ok, plan.fallback)
    rounds = plan.sz["yield_rounds"]
    for (engine, bench, n), v in runs.items():
        xs = [per_unit(bench, f, n, rounds) for f in v]
        sm.stats[(engine, bench, n)] = (min(xs), bl.median(xs))
        if bench in TIMED_UNITS:
            sm.whole_run[(engine, bench, n)] = (bl.median([f["wall_s"] for f in v]),
                                                bl.median([f["cpu_s"] for f in v]))
    for bench, (erl_bench, size, budget) in HEADLINES.items():
        sm.headlines[bench] = headline(sm, bench, erl_bench, plan.sz[size], budget)
    sm.touch_us = sm.stat("native", "pagetouch", plan.sz["pages"])
    n_sp = plan.sz["spawn"]
    for engine in ("lunatic", "erlang"):
        v = runs.get((engine, "spawn", n_sp), [])
        if v:
            per = bl.median([f["minflt"] for f in v]) / n_sp
            sm.faults[engine] = (per, per * sm.touch_us[0], per * sm.touch_us[0] / workers)
    return sm


def headline(sm: Summary, bench: str, erl_bench: str, n: int, budget: float | None) -> Headline:
    """What a budget set at N is measured on: N, or the fallback size when lunatic failed at N."""
    m = sm.sizes_for(bench, n)[-1]
    lv, ev = sm.best("lunatic", bench, m), sm.best("erlang", erl_bench, m)
    failed = ("lunatic", bench, n) in sm.broken
    if not sm.lunatic_ok or failed:
        verdict = "MISS"
    else:
        verdict = "INFO" if budget is None else bl.verdict(lv, budget)
    return Headline(lv, ev, m, n, failed, verdict)


# ---------------------------------------------------------------------------------------------
# The report

HOW_MEASURED = [
    "How each is measured (guests: `bench/processes/procs.c`, `waiter.wat`; anchor: "
    "`procs.erl`):",
    "",
    "- **spawn**: the parent spawns N `waiter` processes (`lunatic::process::spawn`, no link, "
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
    "- **spawn until all run**: from the same idle runs (one each), the time from sending N to "
    "reading `ready N` (the runner's clock; Erlang's VM times its spawn loop and the N "
    "\"started\" messages itself) / N: spawning, and every process running up to its `receive`, "
    "which the spawn row's loop does not wait for.",
    "- **yield**: P processes report that they run, wait for a \"go\" message, call "
    "`sched_yield` (WASI) K times and reply; the time runs from the first \"go\" (sent once "
    "all P run) to the last reply. Erlang: `erlang:yield()`.",
    "- **request**: N times in sequence, spawn `adder(parent, a, b)`, which sends a + b back as "
    "an 8-byte message and returns; the parent checks every sum and the total. Erlang: "
    "`spawn(fun() -> Parent ! {sum, self(), A + B} end)` and a receive.",
    "- A line `lunatic: process N failed` (or `was killed`) on stderr stops a run at once and "
    "fails it: none of these processes should trap.",
]


def measured_cells(sm: Summary, bench: str, unit: str, digits: int = 2) -> tuple[str, str]:
    """A budget's measured cell and its lunatic / Erlang ratio."""
    h = sm.headlines[bench]
    if not sm.lunatic_ok:
        return "FAILED", "n/a"
    if h.failed_at_full_n:
        smaller = (f" ({bl.fmt(h.lunatic, digits)} {unit} at N={h.n:,})"
                   if h.n != h.full_n and not math.isnan(h.lunatic) else "")
        return (f"FAILED at N={h.full_n:,}{smaller}",
                f"{bl.fmt_ratio(h.lunatic, h.erlang)} at N={h.n:,}")
    return f"{bl.fmt(h.lunatic, digits)} {unit}", bl.fmt_ratio(h.lunatic, h.erlang)


def budget_rows(sm: Summary, plan: Plan) -> list[list[str]]:
    """The budget lines, for budgets.tsv and the report's budget table."""
    sz, best_of = plan.sz, bl.best_of(plan.runs)
    n_sp, n_id, n_rq, procs_ = sz["spawn"], sz["idle"], sz["request"], sz["yield_procs"]
    sp_cell, sp_r = measured_cells(sm, "spawn", "us")
    ic_cell, ic_r = measured_cells(sm, "idle C", "KiB")
    iw_cell, iw_r = measured_cells(sm, "idle WAT", "KiB")
    y_cell, y_r = measured_cells(sm, "yield", "ns", 1)
    r_cell, r_r = measured_cells(sm, "request", "us")
    erl_idle_kib = bl.fmt(sm.best("erlang", "idle", n_id))
    return [
        [f"spawn: {n_sp:,} processes that block in receive, wall of the spawn loop / N "
         f"({best_of}; lunatic / Erlang {sp_r})", sp_cell, f"<= {BUDGET_SPAWN_US:g} us",
         f"Erlang/OTP {bl.fmt(sm.best('erlang', 'spawn', n_sp))} us this run (design notes: "
         f"about {ANCHOR_SPAWN_US} us)", sm.headlines["spawn"].verdict],
        [f"idle: resident memory per idle process, C guest, {n_id:,} alive "
         f"(VmRSS delta / N; lunatic / Erlang {ic_r})", ic_cell, f"<= {BUDGET_IDLE_KIB:g} KiB",
         f"Erlang/OTP {erl_idle_kib} KiB (beam.smp VmRSS)", sm.headlines["idle C"].verdict],
        [f"idle: resident memory per idle process, minimal WAT guest (1 page, no data), "
         f"{n_id:,} alive (lunatic / Erlang {iw_r})", iw_cell, "-",
         f"Erlang/OTP {erl_idle_kib} KiB", "INFO"],
        [f"yield: {procs_:,} processes x {sz['yield_rounds']:,} sched_yield, wall / (P*K) "
         f"({best_of}; lunatic / Erlang {y_r})", y_cell, f"<= {BUDGET_YIELD_NS:g} ns",
         f"Erlang/OTP erlang:yield() {bl.fmt(sm.best('erlang', 'yield', procs_), 1)} ns",
         sm.headlines["yield"].verdict],
        [f"request: instance per request, {n_rq:,} sequential spawn + add + reply "
         f"({best_of}; lunatic / Erlang {r_r})", r_cell, f"<= {BUDGET_REQUEST_US:g} us",
         f"Erlang/OTP spawn + reply {bl.fmt(sm.best('erlang', 'request', n_rq))} us",
         sm.headlines["request"].verdict],
    ]


def comparison_rows(sm: Summary, plan: Plan) -> list[list[str]]:
    """The side-by-side table: one row per benchmark and size."""
    sz = plan.sz
    n_sp, n_id, procs_ = sz["spawn"], sz["idle"], sz["yield_procs"]
    rows = []

    def row(label: str, bench: str, n: int, erl_bench: str, budget: str, verdict: str,
            digits: int = 2) -> None:
        lv, ev = sm.best("lunatic", bench, n), sm.best("erlang", erl_bench, n)
        rows.append([label, f"{n:,}",
                     "FAILED" if sm.lunatic_failed(bench, n) else bl.fmt(lv, digits),
                     "FAILED" if ("erlang", erl_bench, n) in sm.broken else bl.fmt(ev, digits),
                     bl.fmt_ratio(lv, ev), budget, verdict])

    for n in sm.sizes_for("spawn", n_sp):
        row("spawn, us per spawn", "spawn", n, "spawn", f"<= {BUDGET_SPAWN_US:g}",
            sm.headlines["spawn"].verdict if n == n_sp else "-")
        row("spawn teardown (stop + reply), us per process", "teardown", n, "teardown", "-", "INFO")
    for guest in ("C", "WAT"):
        for n in sm.sizes_for(f"idle {guest}", n_id):
            row(f"spawn until all run (idle run), us per process, {guest} guest",
                f"running {guest}", n, "running", "-", "INFO")
    for bench, budget, verdict in (("idle C", f"<= {BUDGET_IDLE_KIB:g}",
                                    sm.headlines["idle C"].verdict),
                                   ("idle WAT", "-", "INFO")):
        for n in sm.sizes_for(bench, n_id):
            row(f"idle, KiB per process, {bench.split()[1]} guest", bench, n, "idle", budget,
                verdict if n == n_id else "-")
    row(f"yield, ns per yield ({procs_:,} x {sz['yield_rounds']:,})", "yield", procs_, "yield",
        f"<= {BUDGET_YIELD_NS:g}", sm.headlines["yield"].verdict, 1)
    row("request, us per request", "request", sz["request"], "request",
        f"<= {BUDGET_REQUEST_US:g}", sm.headlines["request"].verdict)
    return rows


def sample_rows(sm: Summary) -> list[list[str]]:
    """Every timed benchmark's runs: best, median and the whole OS process's wall and CPU time."""
    rows = []
    for (e, b, n), v in sorted(sm.runs.items()):
        if b in TIMED_UNITS:
            lo, med = sm.stat(e, b, n)
            wall, cpu = sm.whole_run[(e, b, n)]
            rows.append([f"{e} {b}", f"{n:,}", str(len(v)), bl.fmt(lo, 2), bl.fmt(med, 2),
                         bl.fmt(wall, 1), bl.fmt(cpu, 1), TIMED_UNITS[b]])
    return rows


IDLE_LABELS = {"idle C": "lunatic, C guest (procs.c)",
               "idle WAT": "lunatic, WAT guest (waiter.wat)",
               "idle": "Erlang/OTP (beam.smp)"}


def idle_rows(sm: Summary) -> list[list[str]]:
    """The memory each idle run read: baseline, all alive, per process, peak."""
    rows = []
    for (e, b, n), v in sorted(sm.runs.items()):
        if b.startswith("idle"):
            f = v[0]
            rows.append([IDLE_LABELS[b if e == "lunatic" else "idle"], f"{n:,}",
                         f"{f['rss_base_kb'] / 1024:.1f}", f"{f['rss_all_kb'] / 1024:.1f}",
                         f"{f['bytes_per_process'] / 1024:.2f}",
                         f"{f['hwm_kb'] / 1024:.1f}" if "hwm_kb" in f else "-"])
    return rows


def fault_section(sm: Summary, plan: Plan, workers: int) -> list[str]:
    """Page faults of the spawn runs, priced at this machine's cost of a first page touch."""
    touch_us, touch_med = sm.touch_us
    if not sm.faults or math.isnan(touch_us):
        return []
    n_sp, n_pg = plan.sz["spawn"], plan.sz["pages"]
    rows = [[e, f"{n_sp:,}", f"{per:.2f}", bl.fmt(cpu_us, 2), bl.fmt(wall_us, 2)]
            for e, (per, cpu_us, wall_us) in sm.faults.items()]
    return [
        f"Page faults of the spawn runs: minor faults of the whole OS process (start-up and "
        f"teardown included) / N, median of the runs, priced at this machine's cost of a first "
        f"write to a fresh 4 KiB page (native `pagetouch.c`, {n_pg:,} pages: best "
        f"{bl.fmt(touch_us, 2)} us, median {bl.fmt(touch_med, 2)} us per page):",
        "",
        bl.md_table(["engine", "N", "minor faults per process", "x first touch, us CPU",
                     f"over {workers} workers, us wall"], rows, align="lrrrr"),
        "",
        "A fault is kernel time that no runtime code can shorten; the last column is what the "
        "faults alone cost per spawn when every worker takes its share, so a spawn cannot be "
        "faster than that without touching fewer fresh pages.",
        "",
    ]


def workers_text(s: Suite) -> str:
    text = (f"`--workers {s.workers}` for lunatic, `+S {s.workers}:{s.workers}` for Erlang"
            if s.has_workers else
            f"lunatic's own worker count (this binary has no `--workers`), Erlang's default "
            f"schedulers ({os.cpu_count()} cores)")
    return text + (f"; extra flags `lunatic run {shlex.join(s.extra_flags)}`" if s.extra_flags
                   else "; lunatic's default memory mode")


def render(s: Suite, plan: Plan, sm: Summary, window: bl.LoadWindow,
           budgets: list[list[str]]) -> str:
    """The suite's markdown section."""
    best_of = bl.best_of(plan.runs)
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {bl.run_kind(best_of)}; lunatic and Erlang/OTP "
        f"interleaved in the same run; workers: {workers_text(s)}; {window.load_text()}; "
        f"vm.max_map_count {max_map_count()}; {window.elapsed_text()}._",
        "",
        "Lower is better; the ratio is lunatic / Erlang at the same N. The budget is on the lunatic "
        f"number at the full N; when lunatic fails there, it is measured again at N={plan.fallback:,} "
        "so that the cost per process still shows (and the budget line is a MISS).",
        "",
        bl.md_table(["benchmark", "N", "lunatic", "Erlang/OTP", "lunatic / Erlang", "budget", "verdict"],
                    comparison_rows(sm, plan), align="lrrrrrl"),
        "",
        f"Every timed sample ({best_of} per engine and size; each run is a fresh `lunatic run` or `erl`):",
        "",
        bl.md_table(["engine and benchmark", "N", "runs", "best", "median", "whole run: wall s",
                     "CPU s", "unit"], sample_rows(sm), align="lrrrrrrl"),
        "",
        "The last two columns are medians for the whole OS process (start-up, teardown and the "
        "other phases included): CPU time (user + system) grows much less than wall time when "
        "other work competes for the cores.",
        "",
        *fault_section(sm, plan, s.workers),
        "Idle memory: VmRSS of the lunatic process (read by this script from `/proc/<pid>/status`) "
        "and of the beam.smp process (read by the VM from the same file), MiB; per process = "
        "(all alive - baseline) / N:",
        "",
        bl.md_table(["guest", "N", "baseline MiB", "all alive MiB", "KiB per process",
                     "peak (VmHWM) MiB"], idle_rows(sm)),
        "",
    ]
    erl_mem = [f"{v[0]['mem_bytes_per_process'] / 1024:.2f} KiB at N={n:,}"
               for (e, b, n), v in sorted(sm.runs.items()) if e == "erlang" and b == "idle"]
    if erl_mem:
        md += ["Erlang's own count, `erlang:memory(processes)` delta / N: " + ", ".join(erl_mem)
               + " (the beam.smp VmRSS delta above is the anchor).", ""]
    md += [bl.budget_table(budgets), "", *HOW_MEASURED]
    if not sm.lunatic_ok:
        md += ["", "**lunatic could not run the guests** (see the failures below); the Erlang "
               "numbers are from this run."]
    return "\n".join(md + s.failures.markdown())


def main() -> int:
    bl.need_tools("clang", "wat2wasm", "erl", "erlc")
    s = Suite(bl.OUT, smoke=False)
    bl.build_erlang(HERE / "procs.erl", s.out)
    plan = Plan.from_env(s.sz)
    samples = measure(s, plan)
    write_results(s, plan, samples)
    summary = summarize(samples, plan, s.workers)
    budgets = budget_rows(summary, plan)
    bl.write_budgets(budgets)
    bl.write_report(render(s, plan, summary, samples.window, budgets))
    s.failures.log_again()
    return s.failures.exit_status()


if __name__ == "__main__":
    smoke_run = bl.smoke_requested(
        __doc__, "run only the lunatic guests at tiny sizes and check their counts")
    sys.exit(bl.run_suite("processes", TITLE, smoke if smoke_run else main, write=not smoke_run))
