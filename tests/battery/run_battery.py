#!/usr/bin/env python3
"""Runs the hostile-guest battery: every case of battery_cases.py as its own `lunatic run`.

    run_battery.py --lunatic PATH --build-dir DIR [-v] [--only REGEX] [--list]

For each case the runner makes a fresh host directory ROOT:

    ROOT/canary.txt          a random token: no guest may read, write, move or list it
    ROOT/ROOT_MARKER         a name that shows up in any listing of ROOT
    ROOT/outside/secret2.txt another token
    ROOT/box/                the directory cases grant with --dir {box}:box (inside.txt,
                             sub/inside2.txt, and symlinks that point out: link_out -> ..,
                             abs_link -> ROOT, link_file -> ../canary.txt, link_chain -> link_out,
                             sub/up_link -> ../../canary.txt)

and runs the runtime there (cwd ROOT) with a wall-clock watchdog, stdin an open pipe that never
gets data, stdout/stderr drained as they come, VmHWM polled from /proc, and the runner as the
child subreaper (so compilers the runtime leaves behind come back to it). Every case checks:

  - the runtime did not die by a signal, and its exit code is the case's;
  - no sanitizer report on stderr; stderr within the case's size (64 KiB unless the case says);
    no stderr line longer than the case's bound (the runtime cuts its messages to 2 KiB);
  - it ended within its time limit; its peak RSS (VmHWM) stayed under the case's bound;
  - nothing outside ROOT/box changed (every path's type, size, mode, mtime, link target and
    content), the tokens appear in no output and in no file of the box, nothing was made at
    the absolute paths guests try, and the secret environment variable never reached a guest;
  - no process the runtime started outlived it;
  - the case's own expectations: regular expressions on stdout/stderr, bounds on `key=N`
    values the guest prints (kill_ms, bystander max_late_ms, ...), and how soon the runtime
    exited after a given line ("main returns").

Prints one line per case (PASS/FAIL name, reason, duration) and exits 1 if any case failed.
"""
import argparse
import ctypes
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import battery_cases  # noqa: E402

SANITIZER_PATTERNS = [
    r"AddressSanitizer", r"LeakSanitizer", r"UndefinedBehaviorSanitizer", r"ThreadSanitizer",
    r"MemorySanitizer", r"runtime error:", r"^==\d+==ERROR", r"^SUMMARY: \w+Sanitizer",
]
# Absolute paths the guests try to create outside any preopen.
FORBIDDEN_PATHS = ["/tmp/lunatic_battery_evil.txt"]
HEAD_KEEP = 1 << 20
TAIL_KEEP = 64 << 10
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except OSError:
        return False


class Stream:
    """Drains a pipe: keeps its head and tail, counts bytes, tracks the longest line and when
    given patterns first appeared."""

    def __init__(self, pipe, watch=()):
        self.pipe = pipe
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.longest = 0
        self.current = 0
        self.watch = [(w, re.compile(w.encode(), re.M)) for w in watch]
        self.seen_at = {}
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        fd = self.pipe.fileno()
        while True:
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            now = time.monotonic()
            self.total += len(chunk)
            if len(self.head) < HEAD_KEEP:
                self.head += chunk[: HEAD_KEEP - len(self.head)]
            self.tail += chunk
            if len(self.tail) > TAIL_KEEP:
                del self.tail[: len(self.tail) - TAIL_KEEP]
            start = 0
            while True:
                nl = chunk.find(b"\n", start)
                if nl < 0:
                    self.current += len(chunk) - start
                    break
                self.current += nl - start
                self.longest = max(self.longest, self.current)
                self.current = 0
                start = nl + 1
            self.longest = max(self.longest, self.current)
            for name, rx in self.watch:
                if name not in self.seen_at and rx.search(bytes(self.head) + bytes(self.tail[-4096:])):
                    self.seen_at[name] = now

    def text(self):
        if self.total <= len(self.head):
            return self.head.decode("utf-8", "replace")
        return (self.head.decode("utf-8", "replace") + "\n[...]\n" +
                self.tail.decode("utf-8", "replace"))


def hwm_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def orphans():
    """Live processes whose parent is this runner, other than the ones it is waiting for."""
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        close = stat.rfind(")")
        fields = stat[close + 2:].split()
        if len(fields) >= 2 and fields[1] == me:
            if fields[0] == "Z":
                try:
                    os.waitpid(int(entry), os.WNOHANG)
                except ChildProcessError:
                    pass
                continue
            found.append((int(entry), stat[stat.find("(") + 1: close]))
    return found


# ---- the host directory around the box ----

def make_root(base, token, token2):
    root = tempfile.mkdtemp(prefix="case-", dir=base)
    box = os.path.join(root, "box")
    os.makedirs(os.path.join(box, "sub"))
    os.makedirs(os.path.join(root, "outside"))
    with open(os.path.join(root, "canary.txt"), "w") as f:
        f.write(token + "\n")
    with open(os.path.join(root, "ROOT_MARKER"), "w") as f:
        f.write("root\n")
    with open(os.path.join(root, "outside", "secret2.txt"), "w") as f:
        f.write(token2 + "\n")
    with open(os.path.join(box, "inside.txt"), "w") as f:
        f.write("inside\n")
    with open(os.path.join(box, "sub", "inside2.txt"), "w") as f:
        f.write("in2\n")
    os.symlink("..", os.path.join(box, "link_out"))
    os.symlink(root, os.path.join(box, "abs_link"))
    os.symlink("../canary.txt", os.path.join(box, "link_file"))
    os.symlink("link_out", os.path.join(box, "link_chain"))
    os.symlink("../../canary.txt", os.path.join(box, "sub", "up_link"))
    # The root's own timestamps must not move because the runner made the box.
    return root, box


def snapshot(root, skip):
    """Everything under root except `skip`: type, mode, size, mtime, link target, content."""
    state = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        if os.path.abspath(dirpath) == os.path.abspath(skip):
            dirnames[:] = []
            continue
        dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != skip]
        for name in [""] + dirnames + filenames:
            path = os.path.join(dirpath, name) if name else dirpath
            if path == skip:
                # The box itself: its inode and mode, not its contents' timestamps.
                st = os.lstat(path)
                state[path] = ("boxdir", st.st_ino, st.st_mode)
                continue
            st = os.lstat(path)
            entry = [st.st_mode, st.st_size, st.st_mtime_ns, st.st_ino]
            if os.path.islink(path):
                entry.append(os.readlink(path))
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    entry.append(hashlib.sha256(f.read()).hexdigest())
            state[path] = tuple(entry)
    return state


def box_leaks(box, tokens):
    """Files in the box whose content holds a token (a guest that copied a secret in)."""
    found = []
    for dirpath, _, filenames in os.walk(box, followlinks=False):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    while True:
                        block = f.read(1 << 22)
                        if not block:
                            break
                        if any(t.encode() in block for t in tokens):
                            found.append(os.path.relpath(path, box))
                            break
            except OSError:
                pass
    return found


def line_of(text, match):
    """The whole line a match starts in."""
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.start())
    return text[start: end if end >= 0 else len(text)]


# ---- one case ----

def run_case(case, lunatic, guest_dir, work, cache, verbose):
    token = "CANARY-" + secrets.token_hex(12)
    token2 = "SECRET2-" + secrets.token_hex(12)
    env_secret = "ENVSECRET-" + secrets.token_hex(12)
    root, box = make_root(work, token, token2)
    subst = {"root": root, "box": box, "canary": os.path.join(root, "canary.txt")}
    flags = [f.format(**subst) for f in case.flags]
    args = [a.format(**subst) for a in case.args]
    wasm = os.path.join(guest_dir, case.guest + ".wasm")
    cmd = [lunatic, "run", *flags, wasm, *args]
    before = snapshot(root, box)
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = cache
    env["LUNATIC_BATTERY_SECRET"] = env_secret
    env.pop("LUNATIC_LOG", None)
    for path in FORBIDDEN_PATHS:
        if os.path.lexists(path):
            os.unlink(path)

    failures = []
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    watch = [case.exit_after[0]] if case.exit_after else []
    out = Stream(proc.stdout, watch)
    err = Stream(proc.stderr)
    peak = [0]
    done = threading.Event()
    timed_out = [False]

    def poll_rss():
        while not done.is_set():
            v = hwm_kib(proc.pid)
            if v:
                peak[0] = max(peak[0], v)
            done.wait(0.02)

    def watchdog():
        if not done.wait(case.timeout):
            timed_out[0] = True
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    threading.Thread(target=poll_rss, daemon=True).start()
    threading.Thread(target=watchdog, daemon=True).start()
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.monotonic()
    done.set()
    proc.returncode = os.waitstatus_to_exitcode(status)
    duration = ended - start

    # Whatever the runtime started and left behind.
    left = orphans()
    deadline = time.monotonic() + 1.5
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = orphans()
    if left:
        failures.append("processes outlived the runtime: " +
                        ", ".join(f"{pid} ({comm})" for pid, comm in left[:5]))
        for pid, _ in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)
        orphans()
    out.thread.join(3)
    err.thread.join(3)
    try:
        proc.stdin.close()
    except OSError:
        pass
    proc.stdout.close()
    proc.stderr.close()
    stdout, stderr = out.text(), err.text()

    # ---- the runtime itself ----
    if timed_out[0]:
        failures.append(f"timed out after {case.timeout:.0f} s (killed)")
    elif os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        failures.append(f"runtime died by signal {signal.Signals(sig).name}")
    elif case.exit is not None:
        code = os.WEXITSTATUS(status)
        allowed = case.exit if isinstance(case.exit, (tuple, list)) else (case.exit,)
        if code not in allowed:
            failures.append(f"exit code {code}, expected {case.exit}")
    for pat in SANITIZER_PATTERNS:
        if re.search(pat, stderr, re.M):
            failures.append(f"sanitizer report on stderr ({pat})")
            break
    if err.total > case.stderr_max:
        failures.append(f"stderr of {err.total} bytes, over {case.stderr_max}")
    if case.stderr_line_max and err.longest > case.stderr_line_max:
        failures.append(f"a stderr line of {err.longest} bytes, over {case.stderr_line_max}")
    # The runtime's own VmHWM as polled; a run too short to be polled falls back to the
    # rusage of the wait (which also covers any compilers it waited for).
    peak_kib = peak[0] if duration >= 0.1 and peak[0] else max(peak[0], usage.ru_maxrss)
    if peak_kib > case.rss_mb * 1024:
        failures.append(f"peak RSS {peak_kib // 1024} MiB, over {case.rss_mb} MiB")

    # ---- the host ----
    after = snapshot(root, box)
    if before != after:
        changed = sorted(set(before) ^ set(after)) or sorted(
            p for p in before if before[p] != after.get(p))
        failures.append("host changed outside the box: " + ", ".join(
            os.path.relpath(p, root) for p in changed[:5]))
    for t, what in ((token, "canary token"), (token2, "outside secret"), (env_secret, "host env secret")):
        if t in stdout or t in stderr:
            failures.append(f"the {what} appeared in the output")
    if "ROOT_MARKER" in stdout:
        failures.append("a listing of the directory around the box reached a guest (ROOT_MARKER)")
    leaked = box_leaks(box, (token, token2, env_secret))
    if leaked:
        failures.append("a secret was copied into the box: " + ", ".join(leaked[:3]))
    for path in FORBIDDEN_PATHS:
        if os.path.lexists(path):
            failures.append(f"a guest created {path}")
            os.unlink(path)

    # ---- the case's own expectations ----
    for pat in case.stdout_re:
        if not re.search(pat, stdout, re.M):
            failures.append(f"stdout lacks /{pat}/")
    for pat in case.stdout_not:
        m = re.search(pat, stdout, re.M)
        if m:
            failures.append(f"stdout has /{pat}/: {line_of(stdout, m)[:300]!r}")
    for pat in case.stderr_re:
        if not re.search(pat, stderr, re.M):
            failures.append(f"stderr lacks /{pat}/")
    for pat in case.stderr_not:
        m = re.search(pat, stderr, re.M)
        if m:
            failures.append(f"stderr has /{pat}/: {line_of(stderr, m)[:300]!r}")
    for pat, (lo, hi) in case.stderr_counts.items():
        n = len(re.findall(pat, stderr, re.M))
        if not lo <= n <= hi:
            failures.append(f"stderr has {n} matches of /{pat}/, expected {lo}..{hi}")
    metrics = dict(case.metrics)
    if case.bystander is not None:
        metrics["bystander max_late_ms"] = (0, case.bystander)
    observed = []
    for key, bound in metrics.items():
        lo, hi = bound if isinstance(bound, tuple) else (0, bound)
        values = [int(v) for v in re.findall(re.escape(key) + r"=(-?\d+)", stdout)]
        if not values:
            failures.append(f"no `{key}=N` in stdout")
            continue
        observed.append(f"{key}={max(values)}")
        bad = [v for v in values if not lo <= v <= hi]
        if bad:
            failures.append(f"{key}={bad[0]} (bound {lo}..{hi})")
    if case.exit_after:
        name, limit_ms = case.exit_after
        if name not in out.seen_at:
            failures.append(f"stdout never showed /{name}/")
        else:
            waited = (ended - out.seen_at[name]) * 1000
            observed.append(f"exit {waited:.0f} ms after /{name}/")
            if waited > limit_ms:
                failures.append(f"the runtime took {waited:.0f} ms to exit after /{name}/ "
                                f"(bound {limit_ms} ms)")

    if not verbose:
        shutil.rmtree(root, ignore_errors=True)
    return {
        "failures": failures, "observed": observed, "duration": duration, "stdout": stdout, "stderr": stderr,
        "rss_mib": peak_kib // 1024, "cmd": cmd, "root": root, "exit": proc.returncode,
        "stderr_bytes": err.total,
    }


def warm_up(lunatic, guest_dir, cache, guests):
    """Runs each guest once (`nop`) so the cases do not pay for compiling the guest itself."""
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = cache
    start = time.monotonic()
    for g in guests:
        r = subprocess.run([lunatic, "run", os.path.join(guest_dir, g + ".wasm"), "nop"],
                           env=env, capture_output=True, timeout=600, stdin=subprocess.DEVNULL)
        if r.returncode != 0 or b"nop" not in r.stdout:
            print(f"warm-up of {g} failed: exit {r.returncode}: {r.stderr[:500]!r}")
            return False
    print(f"warm-up (guests compiled into the cache): {time.monotonic() - start:.1f} s")
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lunatic", required=True)
    ap.add_argument("--build-dir", required=True, help="the battery's build directory (guests/*.wasm)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print each case's command, stdout and stderr; keep its host directory")
    ap.add_argument("--only", help="run only the cases whose name matches this regex")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    opts = ap.parse_args()

    cases = battery_cases.CASES
    if opts.only:
        cases = [c for c in cases if re.search(opts.only, c.name)]
    if opts.list:
        for c in cases:
            print(f"{c.name:32} {c.category:8} {c.guest} {' '.join(c.args)}  {' '.join(c.flags)}")
        return 0
    if not cases:
        print("no case matches")
        return 2
    lunatic = os.path.abspath(opts.lunatic)
    build = os.path.abspath(opts.build_dir)
    guest_dir = os.path.join(build, "guests")
    cache = os.path.join(build, "battery-cache")
    work = os.path.join(build, "battery-work")
    os.makedirs(cache, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    if not become_subreaper():
        print("note: could not become the child subreaper; orphan checks are weaker")
    if not warm_up(lunatic, guest_dir, cache, sorted({c.guest for c in cases})):
        return 1

    failed = 0
    total_start = time.monotonic()
    for case in cases:
        r = run_case(case, lunatic, guest_dir, work, cache, opts.verbose)
        verdict = "PASS" if not r["failures"] else "FAIL"
        if r["failures"]:
            failed += 1
        reason = "; ".join(r["failures"]) if r["failures"] else "ok"
        if not r["failures"] and r["observed"]:
            reason += " (" + ", ".join(r["observed"]) + ")"
        print(f"{verdict} {case.name}: {reason} [{r['duration']:.2f} s, rss {r['rss_mib']} MiB, "
              f"exit {r['exit']}]", flush=True)
        if opts.verbose:
            print("  $ " + " ".join(r["cmd"]))
            print("  host dir kept: " + r["root"])
            for name in ("stdout", "stderr"):
                text = r[name]
                if len(text) > 6000:
                    text = text[:3000] + "\n[...]\n" + text[-3000:]
                print(f"  --- {name} ---")
                for line in text.splitlines():
                    print("  | " + line[:400])
    total = time.monotonic() - total_start
    print(f"{len(cases) - failed}/{len(cases)} cases passed, {failed} failed, {total:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
