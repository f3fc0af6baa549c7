"""Shared helpers for the benchmark suites (python3 standard library only).

Every suite is driven by bench/run.sh, which exports:
  BENCH_ROOT   the source tree (the repository root)
  BENCH_BUILD  the build directory (holds the `lunatic` binary)
  BENCH_OUT    this suite's output directory, <build>/bench/<suite>
  LUNATIC      the lunatic binary
  BENCH_QUICK  "1" for a fast smoke run (small sizes, fewer repetitions)

A suite writes into BENCH_OUT:
  report.md    its markdown section (without the BEGIN/END markers; run.sh adds them)
  budgets.tsv  one line per budget: what <TAB> measured <TAB> budget <TAB> anchor <TAB> PASS|MISS|INFO
and exits non-zero only when the benchmark itself is broken (crash, wrong checksum, missing tool),
never because a budget was missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from shutil import which
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

ROOT = Path(os.environ.get("BENCH_ROOT", Path(__file__).resolve().parents[2]))
BUILD = Path(os.environ.get("BENCH_BUILD", ROOT / "build"))
OUT = Path(os.environ.get("BENCH_OUT", BUILD / "bench"))
LUNATIC = os.environ.get("LUNATIC", str(BUILD / "lunatic"))
QUICK = os.environ.get("BENCH_QUICK", "0") == "1"
CORES = os.cpu_count() or 1

NODE_RUNNER = ROOT / "bench" / "compute" / "node_wasi_runner.mjs"
# --no-warnings hides node 20's "WASI is an experimental feature" line on stderr.
NODE_CMD = ["node", "--no-warnings", "--experimental-wasi-unstable-preview1", str(NODE_RUNNER)]

WASM_CC = ["clang", "--target=wasm32-wasi", "-O2", "-Wl,--stack-first"]
SDK_INCLUDE = ROOT / "sdk" / "cpp" / "include"
SDK_ABI_H = SDK_INCLUDE / "lunatic" / "abi.h"  # the raw imports, all the C guests use
NATIVE_CC = ["gcc", "-O2"]


class BenchError(Exception):
    """The benchmark is broken (crash, checksum mismatch, missing tool): the suite fails."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    """A number set in the environment (BENCH_..._N and the like); unset or empty: the default."""
    v = os.environ.get(name)
    return int(v) if v else default


T = TypeVar("T")


class Failures:
    """The benchmarks that broke in a suite that goes on with the others: each is logged when it
    breaks and listed in the report, and any one of them fails the suite."""

    def __init__(self, suite: str):
        self.suite = suite
        self.errors: list[str] = []

    def add(self, what: str, error: object) -> None:
        self.errors.append(f"{what}: {error}")
        log(f"{self.suite}: FAIL {what}: {error}")

    def attempt(self, what: str, fn: Callable[[], T]) -> T | None:
        """fn(), or None when it raised a BenchError (then added here)."""
        try:
            return fn()
        except BenchError as e:
            self.add(what, e)
            return None

    def markdown(self) -> list[str]:
        """The report's list of failures; nothing when nothing broke."""
        if not self.errors:
            return []
        return ["", "**Failures (the suite failed):**", ""] + [f"- {cell(e)}" for e in self.errors]

    def log_again(self) -> None:
        """Repeats every failure at the end of the log, where a reader of a long log looks."""
        for e in self.errors:
            log(f"{self.suite}: ERROR {e}")

    def exit_status(self) -> int:
        return 1 if self.errors else 0

    def smoke_exit_status(self) -> int:
        """The end of a smoke run (a CTest test): its failures on stderr, and its exit status."""
        for e in self.errors:
            log(f"FAILED: {e}")
        return self.exit_status()


class Result:
    def __init__(self, argv: Sequence[str], rc: int, stdout: str, stderr: str, wall_s: float,
                 timed_out: bool = False):
        self.argv = list(argv)
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.wall_s = wall_s
        self.timed_out = timed_out

    def describe(self) -> str:
        what = "timed out" if self.timed_out else f"exit code {self.rc}"
        tail = (self.stderr.strip().splitlines() or [""])[-5:]
        return f"`{shlex.join(self.argv)}`: {what}; stderr tail: {' | '.join(tail)}"

    def checked(self) -> Result:
        """This result, or a BenchError when the command failed or timed out."""
        if self.rc != 0 or self.timed_out:
            raise BenchError(self.describe())
        return self


def run(argv: Sequence[str], timeout: float = 600, cwd: str | Path | None = None,
        env: dict | None = None) -> Result:
    t0 = time.monotonic()
    try:
        p = subprocess.run(list(argv), stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, cwd=cwd, env=env, errors="replace")
        return Result(argv, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return Result(argv, -1, out, err, time.monotonic() - t0, timed_out=True)


def check_run(argv: Sequence[str], timeout: float = 600, **kw) -> Result:
    return run(argv, timeout=timeout, **kw).checked()


def result_line(res: Result, pattern: re.Pattern, shape: str) -> re.Match:
    """Where `pattern` matches the stdout of a run that succeeded; a failed run, or no line of
    that shape (e.g. `kernel=... ns=...`, for the message), is a BenchError."""
    m = pattern.search(res.checked().stdout)
    if not m:
        raise BenchError(f"`{shlex.join(res.argv)}`: no `{shape}` line in stdout "
                         f"{res.stdout.strip()[-200:]!r}")
    return m


def mode_fields(res: Result, prefix: str, mode: str) -> dict[str, int]:
    """The numbers of the `<prefix>: mode=<mode> key=value ...` line that the processes and
    messages guests (and their Erlang anchors) print."""
    line = re.compile(rf"^{prefix}: mode=(\w+)((?: \w+=-?\d+)*)\s*$", re.M)
    m = result_line(res, line, f"{prefix}: mode=...")
    if m.group(1) != mode:
        raise BenchError(f"`{shlex.join(res.argv)}`: reported mode {m.group(1)}, expected {mode}")
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}


def need_tools(*names: str) -> None:
    for name in names:
        if which(name) is None:
            raise BenchError(f"required tool `{name}` is not on PATH (make bench installs it)")


def need_lunatic() -> str:
    if not (os.path.isfile(LUNATIC) and os.access(LUNATIC, os.X_OK)):
        raise BenchError(f"lunatic binary not found at {LUNATIC} (run `make build` first)")
    return LUNATIC


def up_to_date(target: Path, sources: Iterable[Path]) -> bool:
    if not target.exists():
        return False
    t = target.stat().st_mtime
    return all(Path(s).stat().st_mtime <= t for s in sources)


def rebuild_if_stale(out: Path, sources: Iterable[Path], argv: Sequence[object]) -> Path:
    """Runs the build command `argv`, which writes `out`, unless `out` is newer than every source."""
    if not up_to_date(out, sources):
        out.parent.mkdir(parents=True, exist_ok=True)
        check_run([str(a) for a in argv])
    return out


def build_native(src: Path, out: Path, deps: Iterable[Path] = ()) -> Path:
    return rebuild_if_stale(out, [src, *deps], [*NATIVE_CC, "-o", out, src, "-lm"])


def build_wasm(src: Path, out: Path, deps: Iterable[Path] = ()) -> Path:
    return rebuild_if_stale(out, [src, *deps], [*WASM_CC, "-o", out, src])


def build_guest(src: Path, out: Path, compiler: Sequence[str] = WASM_CC,
                headers: Iterable[Path] = (SDK_ABI_H,)) -> Path:
    """A guest calling the lunatic imports through the SDK's headers, with warnings on."""
    return rebuild_if_stale(out, [src, *headers],
                            [*compiler, "-Wall", "-Wextra", f"-I{SDK_INCLUDE}", "-o", out, src])


def build_erlang(src: Path, out_dir: Path) -> Path:
    """The .beam of an Erlang anchor, in out_dir (which `erl -pa` then gets)."""
    return rebuild_if_stale(out_dir / f"{src.stem}.beam", [src], ["erlc", "-o", out_dir, src])


def erl_argv(module: str, beam_dir: Path, args: Iterable[object], max_processes: int,
             schedulers: int | None = None) -> list[str]:
    """`erl` running module:main(args), with room for max_processes (+P) and, when given, that
    many schedulers (+S n:n)."""
    pin = ["+S", f"{schedulers}:{schedulers}"] if schedulers else []
    return ["erl", "-noshell", "+P", str(max_processes), *pin, "-pa", str(beam_dir), "-run", module,
            "main", *map(str, args)]


@contextlib.contextmanager
def fresh_artifact_cache(prefix: str) -> Iterator[str]:
    """An empty artifact cache (XDG_CACHE_HOME) for the runs inside: a smoke run checks the code
    this binary generates, not an artifact an older binary left in the shared cache."""
    old = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory(prefix=prefix) as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            yield cache
        finally:
            if old is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = old


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (KiB) and Threads of a live process, from /proc/<pid>/status."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                out[key] = int(rest.split()[0])
    return out


TIMINGS_PREFIX = "lunatic-timings:"


def parse_timings(stderr: str) -> dict | None:
    """The `lunatic run --timings` line: lunatic-timings: {json}."""
    for line in stderr.splitlines():
        if line.startswith(TIMINGS_PREFIX):
            try:
                return json.loads(line[len(TIMINGS_PREFIX):].strip())
            except json.JSONDecodeError:
                return None
    return None


def geomean(xs: Sequence[float]) -> float:
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def verdict(measured: float, budget: float) -> str:
    if math.isnan(measured):
        return "MISS"
    return "PASS" if measured <= budget else "MISS"


QUICK_NOTE = "QUICK smoke run (small sizes; numbers are not meaningful)"


def timestamp() -> str:
    """When a report was written, as the first line of every section shows it."""
    return time.strftime("%Y-%m-%d %H:%M %Z")


def best_of(runs: int) -> str:
    return f"best of {runs}" if runs > 1 else "one run"


def run_kind(full_run: str) -> str:
    """What a report's first line calls this run: a QUICK smoke run, or `full_run`."""
    return QUICK_NOTE if QUICK else full_run


def loadavg() -> list[str]:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg writes them."""
    return Path("/proc/loadavg").read_text().split()[:3]


class LoadWindow:
    """The load average before and after a suite's measurements, and how long they took: other
    work on the machine skews every number, so the report says how busy it was."""

    def __init__(self):
        self.before = loadavg()
        self.start = time.monotonic()
        self.after: list[str] = []

    def close(self) -> None:
        self.after = loadavg()

    def as_json(self) -> dict:
        return {"loadavg_before": self.before, "loadavg_after": self.after}

    def load_text(self) -> str:
        return f"load average before {' '.join(self.before)}, after {' '.join(self.after)}"

    def elapsed_text(self) -> str:
        return f"{time.monotonic() - self.start:.0f} s"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    rows = [[str(c) for c in r] for r in rows]
    align = align or ("l" + "r" * (len(headers) - 1))
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def budget_table(rows: Iterable[Sequence[object]]) -> str:
    """The markdown table of a suite's budget rows (the lines of its budgets.tsv)."""
    return md_table(["budget", "measured", "budget", "anchor", "verdict"], rows, align="lrrll")


def cell(s: str) -> str:
    """Free text (an error message) made safe for a markdown table cell."""
    return " ".join(str(s).split()).replace("|", "\\|").replace("`", "'")


def fmt(x: float, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def fmt_ratio(a: float, b: float) -> str:
    """a / b as "1.23x", or n/a when either is missing (NaN) or b is 0."""
    return "n/a" if math.isnan(a) or math.isnan(b) or b == 0 else f"{a / b:.2f}x"


def write_budgets(rows: Iterable[Sequence[str]]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "budgets.tsv", "w", encoding="utf-8") as f:
        for r in rows:
            f.write("\t".join(str(c).replace("\t", " ") for c in r) + "\n")


def write_report(text: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "report.md").write_text(text.rstrip() + "\n", encoding="utf-8")


def write_json(name: str, data: object) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def smoke_requested(doc: str, smoke_help: str) -> bool:
    """Parses the command line of a suite that has a smoke mode (its CTest test): --smoke only."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help=smoke_help)
    return ap.parse_args().smoke


def run_suite(suite: str, title: str, body: Callable[[], int], write: bool = True,
              broke: str = "The suite failed before measuring") -> int:
    """body()'s exit status. When a BenchError escapes it, the suite still leaves a report saying
    so and no budgets (unless write is False: smoke runs write neither), and fails."""
    try:
        return body()
    except BenchError as e:
        log(f"{suite}: ERROR {e}")
        if write:
            write_report(f"{title}\n\n**{broke}:** {cell(str(e))}")
            write_budgets([])
        return 1
