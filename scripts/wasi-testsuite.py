#!/usr/bin/env python3
"""Runs the official WASI test suite (WebAssembly/wasi-testsuite, prebuilt wasm32-wasip1 tests)
against `lunatic run`. Python 3 standard library only.

    python3 scripts/wasi-testsuite.py [--lunatic build/lunatic] [-j N] CHECKOUT [CHECKOUT...]

CHECKOUT is a checkout of the suite's prebuilt tree (the `prod/testsuite-base` branch), or any
directory below it that holds tests: every directory under it with `*.wasm` files and a
`manifest.json` whose version is wasm32-wasip1 (or no manifest, the older layout) is a suite.
See docs/wasi-testsuite.md.

Each test is `<name>.wasm` with an optional `<name>.json`:
  args      list of arguments                 -> lunatic run <test.wasm> ARGS...
  env       {K: V}                            -> --env K=V
  root      directory mapped as the guest's /  -> --dir <copy>:/          (current format)
  dirs      directories, same name in guest   -> --dir <copy>:<name>      (older format)
  exit_code expected exit code (default 0)
  stdout    expected start of stdout, stderr likewise (the official runner reads exactly that
            many characters from the stream and compares them)
Directories are copied into a fresh temporary directory first, since tests write into them (the
official runner maps the checkout's directory itself and deletes `*.cleanup` files afterwards;
a copy leaves the checkout untouched and lets tests run in parallel). Stdin is an empty pipe.
Tests in the newer "operations" format are run when they only use run/read/wait operations.
By default the runs use a fresh temporary artifact cache (XDG_CACHE_HOME), so every test module is
compiled by the binary under test; --cache-dir keeps one between runs.

Prints one line per test and finally exactly `N passed, N failed, N skipped`; exits 1 if any test
failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Tests for things the runtime deliberately does not do. Key: "<suite>/<test>", where <suite> is
# the language directory (c, rust, assemblyscript). Every entry needs its reason.
SKIP: dict[str, str] = {
}


@dataclass
class Test:
    suite: str            # c, rust, assemblyscript (the language directory)
    name: str             # file name without .wasm
    wasm: Path
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    dirs: list[tuple[Path, str]] = field(default_factory=list)  # (host dir, guest name)
    exit_code: int = 0
    stdout: str | None = None
    stderr: str | None = None
    unsupported: str | None = None  # a config this runner cannot express

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.name}"


@dataclass
class Outcome:
    test: Test
    status: str           # PASS, FAIL, SKIP
    detail: str = ""
    seconds: float = 0.0
    argv: list[str] = field(default_factory=list)
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""


def suite_name(wasm_dir: Path) -> str:
    """The language directory: tests/<lang>/testsuite[/wasm32-wasip1]."""
    parts = wasm_dir.resolve().parts
    if "testsuite" in parts:
        i = len(parts) - 1 - parts[::-1].index("testsuite")
        if i > 0:
            return parts[i - 1]
    return wasm_dir.name


def find_suites(root: Path) -> list[Path]:
    found = []
    for d in sorted({p.parent for p in root.rglob("*.wasm")}):
        manifest = d / "manifest.json"
        version = None
        if manifest.exists():
            try:
                version = json.loads(manifest.read_text()).get("version")
            except (json.JSONDecodeError, OSError):
                version = None
        if version not in (None, "wasm32-wasip1"):
            continue  # wasm32-wasip3 components are not preview1 modules
        if not manifest.exists() and d.name.startswith("wasm32-wasip") and d.name != "wasm32-wasip1":
            continue
        if any(part.endswith(".dir") for part in d.relative_to(root).parts):
            continue  # fixture directories that happen to contain .wasm files
        found.append(d)
    return found


def load_test(wasm: Path) -> Test:
    t = Test(suite=suite_name(wasm.parent), name=wasm.stem, wasm=wasm)
    cfg_file = wasm.with_suffix(".json")
    if not cfg_file.exists():
        return t
    cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    if any(k in cfg for k in ("operations", "proposals", "servers", "world")):
        if cfg.get("proposals") or cfg.get("servers") or \
                cfg.get("world", "wasi:cli/command") != "wasi:cli/command":
            t.unsupported = (f"needs proposals {cfg.get('proposals')} / servers / world "
                             f"{cfg.get('world')} beyond the preview1 command world")
            return t
        ops = cfg.get("operations") or [{"type": "run"}, {"type": "wait"}]
        runs = 0
        for op in ops:
            ty = op.get("type")
            if ty == "run":
                runs += 1
                apply_run(t, wasm, op)
            elif ty == "read":
                if op.get("id", "stdout") == "stdout":
                    t.stdout = (t.stdout or "") + op.get("payload", "")
                elif op.get("id") == "stderr":
                    t.stderr = (t.stderr or "") + op.get("payload", "")
                else:
                    t.unsupported = f"reads stream {op.get('id')!r}"
            elif ty == "wait":
                t.exit_code = int(op.get("exit_code", 0))
            else:
                t.unsupported = f"uses the {ty!r} operation (stdin writes, sockets or HTTP)"
        if runs != 1:
            t.unsupported = t.unsupported or f"{runs} run operations"
        return t
    apply_run(t, wasm, cfg)
    t.exit_code = int(cfg.get("exit_code", 0))
    t.stdout = cfg.get("stdout")
    t.stderr = cfg.get("stderr")
    return t


def apply_run(t: Test, wasm: Path, cfg: dict) -> None:
    t.args = [str(a) for a in cfg.get("args", [])]
    t.env = {str(k): str(v) for k, v in cfg.get("env", {}).items()}
    if cfg.get("root"):
        t.dirs.append((wasm.parent / cfg["root"], "/"))
    for d in cfg.get("dirs", []):
        t.dirs.append((wasm.parent / d, d))


def normalize(data: bytes) -> str:
    # The official runner reads the streams in text mode (universal newlines).
    return data.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def run_test(t: Test, lunatic: str, timeout: float, dir_format: str, extra: list[str],
             env: dict[str, str]) -> Outcome:
    if t.key in SKIP:
        return Outcome(t, "SKIP", SKIP[t.key])
    if t.unsupported:
        return Outcome(t, "SKIP", f"runner cannot express this test: {t.unsupported}")
    with tempfile.TemporaryDirectory(prefix=f"wasi-{t.suite}-{t.name}-") as tmp:
        argv = [lunatic, "run", *extra]
        for k, v in t.env.items():
            argv += ["--env", f"{k}={v}"]
        for i, (host, guest) in enumerate(t.dirs):
            copy = Path(tmp) / f"dir{i}" / host.name
            shutil.copytree(host, copy, symlinks=True)
            argv += ["--dir", dir_format.format(host=copy, guest=guest)]
        argv += [str(t.wasm), *t.args]
        t0 = time.monotonic()
        try:
            p = subprocess.run(argv, input=b"", capture_output=True, timeout=timeout, cwd=tmp,
                               env=env)
        except subprocess.TimeoutExpired as e:
            return Outcome(t, "FAIL", f"timed out after {timeout:g} s", time.monotonic() - t0, argv,
                           None, normalize(e.stdout or b""), normalize(e.stderr or b""))
        except OSError as e:
            return Outcome(t, "FAIL", f"could not start: {e}", 0.0, argv)
        secs = time.monotonic() - t0
        out, err = normalize(p.stdout), normalize(p.stderr)
        problems = []
        if p.returncode != t.exit_code:
            problems.append(f"exit code {p.returncode}, expected {t.exit_code}")
        if t.stdout is not None and not out.startswith(t.stdout):
            problems.append(f"stdout {out[:200]!r}, expected {t.stdout!r}")
        if t.stderr is not None and not err.startswith(t.stderr):
            problems.append(f"stderr {err[:200]!r}, expected {t.stderr!r}")
        return Outcome(t, "FAIL" if problems else "PASS", "; ".join(problems), secs, argv,
                       p.returncode, out, err)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", nargs="+", type=Path,
                    help="wasi-testsuite checkout (prebuilt tree) or a directory of tests in it")
    ap.add_argument("--lunatic", default=os.environ.get("LUNATIC", "build/lunatic"),
                    help="the lunatic binary (default: build/lunatic or $LUNATIC)")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--timeout", type=float, default=180.0,
                    help="seconds per test, including the first run's compile (default 180)")
    ap.add_argument("--filter", default="", help="regex on <suite>/<test>; only matching tests run")
    ap.add_argument("--dir-format", default="{host}:{guest}",
                    help="how a directory is passed to --dir (default '{host}:{guest}')")
    ap.add_argument("--runtime-arg", action="append", default=[],
                    help="extra argument for `lunatic run` before the module (repeatable)")
    ap.add_argument("--cache-dir", type=Path,
                    help="artifact cache to use (XDG_CACHE_HOME for lunatic); default: a fresh "
                         "temporary one, so that every module is compiled by this binary")
    ap.add_argument("--json", type=Path, help="write every outcome to this JSON file")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="show the command line, stdout and stderr of failed tests")
    a = ap.parse_args()

    lunatic = shutil.which(a.lunatic) or a.lunatic
    if not (os.path.isfile(lunatic) and os.access(lunatic, os.X_OK)):
        print(f"wasi-testsuite: lunatic binary {a.lunatic} not found", file=sys.stderr)
        return 2
    lunatic = str(Path(lunatic).resolve())

    tests: list[Test] = []
    for root in a.checkout:
        if not root.is_dir():
            print(f"wasi-testsuite: {root} is not a directory", file=sys.stderr)
            return 2
        for suite in find_suites(root):
            tests += [load_test(w) for w in sorted(suite.glob("*.wasm"))]
    if a.filter:
        rx = re.compile(a.filter)
        tests = [t for t in tests if rx.search(t.key)]
    if not tests:
        print("wasi-testsuite: no wasm32-wasip1 tests found (look for tests/*/testsuite/wasm32-wasip1/"
              "*.wasm in the prod/testsuite-base tree)", file=sys.stderr)
        return 2

    cache_tmp = None
    if a.cache_dir:
        a.cache_dir.mkdir(parents=True, exist_ok=True)
        cache = str(a.cache_dir.resolve())
    else:
        cache_tmp = tempfile.TemporaryDirectory(prefix="wasi-testsuite-cache-")
        cache = cache_tmp.name
    env = dict(os.environ, XDG_CACHE_HOME=cache)

    outcomes: list[Outcome] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [pool.submit(run_test, t, lunatic, a.timeout, a.dir_format, a.runtime_arg, env)
                   for t in tests]
        for f in concurrent.futures.as_completed(futures):
            o = f.result()
            outcomes.append(o)
            line = f"{o.status} {o.test.key}"
            if o.status != "SKIP":
                line += f" ({o.seconds:.2f} s)"
            if o.detail:
                line += f": {o.detail}"
            print(line, flush=True)
            if a.verbose and o.status == "FAIL":
                print(f"    $ {shlex.join(o.argv)}")
                for label, text in (("stdout", o.stdout), ("stderr", o.stderr)):
                    for l in text.strip().splitlines()[:20]:
                        print(f"    {label}: {l}")

    if cache_tmp:
        cache_tmp.cleanup()
    outcomes.sort(key=lambda o: o.test.key)
    counts = {s: sum(1 for o in outcomes if o.status == s) for s in ("PASS", "FAIL", "SKIP")}
    if a.json:
        a.json.write_text(json.dumps([{
            "suite": o.test.suite, "test": o.test.name, "status": o.status, "detail": o.detail,
            "seconds": round(o.seconds, 3), "argv": o.argv, "exit_code": o.exit_code,
            "stdout": o.stdout[-2000:], "stderr": o.stderr[-2000:]} for o in outcomes], indent=2))
    by_suite: dict[str, list[int]] = {}
    for o in outcomes:
        c = by_suite.setdefault(o.test.suite, [0, 0, 0])
        c[("PASS", "FAIL", "SKIP").index(o.status)] += 1
    for s, (p, f, k) in sorted(by_suite.items()):
        print(f"  {s}: {p} passed, {f} failed, {k} skipped")
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
