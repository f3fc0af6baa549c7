#!/usr/bin/env python3
"""Assembles docs/benchmarks.md from the suites' report.md and budgets.tsv files.

The report has one section per suite between markers

    <!-- BEGIN SUITE: <name> -->
    ...
    <!-- END SUITE: <name> -->

Suites that did not run this time keep their section from the existing report, so a suite can
be re-run alone (`bash bench/run.sh build ring`) without losing the others. Each section ends
with a `<!-- budgets: [...] -->` comment holding its budget rows as JSON, from which the summary
table at the top is rebuilt.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import time
from pathlib import Path

SECTION = re.compile(r"<!-- BEGIN SUITE: (\S+) -->\n(.*?)<!-- END SUITE: \1 -->", re.S)
BUDGETS = re.compile(r"<!-- budgets: (.*?) -->")


def sh(argv: list[str], cwd: str | None = None) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=cwd)
        return (p.stdout or p.stderr).strip() if p.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        return ""


def first_line(s: str) -> str:
    return s.splitlines()[0] if s else "not found"


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def mem_total() -> str:
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def lunatic_commit(root: str) -> str:
    rev = sh(["git", "rev-parse", "--short", "HEAD"], cwd=root)
    if not rev:
        return "no commit yet"
    dirty = sh(["git", "status", "--porcelain", "--untracked-files=no", "--", "src"], cwd=root)
    return rev + ("+dirty (uncommitted changes in src/)" if dirty else "")


def md_escape(s: str) -> str:
    return s.replace("|", "\\|")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--status", required=True)
    ap.add_argument("--order", default="")
    a = ap.parse_args()

    report = Path(a.report)
    old = report.read_text(encoding="utf-8") if report.exists() else ""
    sections = {m.group(1): m.group(2) for m in SECTION.finditer(old)}
    old_order = [m.group(1) for m in SECTION.finditer(old)]

    ran = []
    for line in Path(a.status).read_text(encoding="utf-8").splitlines():
        name, rc, secs = line.split("\t")
        ran.append(name)
        out = Path(a.build) / "bench" / name
        body_file, budget_file = out / "report.md", out / "budgets.tsv"
        body = body_file.read_text(encoding="utf-8").rstrip() + "\n" if body_file.exists() else \
            f"## {name}\n\nThe suite wrote no report.\n"
        if rc != "0":
            tail = ""
            log = out / "log.txt"
            if log.exists():
                tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
            body += (f"\n**The suite FAILED (exit {rc}).** Last lines of its log:\n\n```\n{tail}\n```\n")
        rows = []
        if budget_file.exists():
            for r in budget_file.read_text(encoding="utf-8").splitlines():
                if r.strip():
                    rows.append((r.split("\t") + [""] * 5)[:5])
        if rc != "0":
            rows.append([f"suite `{name}` ran without breaking", "no", "-", "-", "FAILED"])
        body += f"\n<!-- budgets: {json.dumps(rows)} -->\n"
        sections[name] = body

    order = [s for s in a.order.split() if s in sections]
    order += [s for s in old_order if s not in order]
    order += [s for s in sections if s not in order]

    summary = []
    for s in order:
        m = BUDGETS.search(sections[s])
        rows = json.loads(m.group(1)) if m else []
        kept = "" if s in ran else " (kept from an earlier run)"
        for r in rows:
            summary.append([f"{md_escape(r[0])}{kept}", md_escape(r[1]), md_escape(r[2]),
                            md_escape(r[3]), f"**{r[4]}**" if r[4] in ("MISS", "FAILED") else r[4]])

    root = a.root
    lunatic = str(Path(a.build) / "lunatic")
    tools = [
        ("gcc", first_line(sh(["gcc", "--version"]))),
        ("clang", first_line(sh(["clang", "--version"]))),
        ("node", first_line(sh(["node", "--version"]))),
        ("hyperfine", first_line(sh(["hyperfine", "--version"]))),
        ("erlang/OTP", sh(["erl", "-noshell", "-eval",
                          'io:format("~s", [erlang:system_info(otp_release)]), halt().']) or "not found"),
        ("wabt (wasm2c)", first_line(sh(["wasm2c", "--version"]))),
        ("lunatic", f"commit {lunatic_commit(root)}"
                    + (f", `{first_line(sh([lunatic, '--version']))}`" if os.access(lunatic, os.X_OK)
                       and sh([lunatic, "--version"]) else "")),
    ]
    head = [
        "# Benchmarks",
        "",
        "<!-- Generated by bench/run.sh (bench/lib/assemble.py). Edit the scripts, not this file. -->",
        "",
        f"Last run: {time.strftime('%Y-%m-%d %H:%M %Z')}, suites run: {', '.join(ran) or 'none'}.",
        "",
        "## Machine and tools",
        "",
        f"- machine: {os.cpu_count()} cores (nproc {sh(['nproc']) or '?'}), {cpu_model()}, "
        f"{mem_total()} RAM, Linux {platform.release()}",
    ]
    loadavg = Path(a.build) / "bench" / "loadavg.txt"
    if loadavg.exists() and loadavg.read_text().strip():
        head.append(f"- load average (1, 5, 15 min) before the run: {loadavg.read_text().strip()}")
    head += [f"- {name}: {ver}" for name, ver in tools]
    head += [
        "",
        "## Budgets",
        "",
        "Budgets are those of the design notes (DESIGN.md, section \"Budgets\"). A MISS is reported, not hidden; "
        "the run fails only when a benchmark breaks (crash, wrong checksum).",
        "",
        "| what | measured | budget | anchor | verdict |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    head += ["| " + " | ".join(r) + " |" for r in summary] or ["| (no suite has run) | | | | |"]
    head += [
        "",
        "## How to reproduce",
        "",
        "`make bench` (installs nodejs, erlang-nox, hyperfine, builds, then runs "
        "`bash bench/run.sh build`). One suite: `bash bench/run.sh build compute`; smoke run: "
        "`BENCH_QUICK=1 bash bench/run.sh build`. Raw numbers: `build/bench/<suite>/results.json`.",
        "",
    ]
    body = []
    for s in order:
        body += [f"<!-- BEGIN SUITE: {s} -->", sections[s].rstrip("\n"), f"<!-- END SUITE: {s} -->", ""]
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("\n".join(head + body), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
