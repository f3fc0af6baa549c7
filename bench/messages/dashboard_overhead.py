#!/usr/bin/python3
"""What the live dashboard costs the ring (issue 26: "the dashboard open in a browser during the
ring: within 5%"), and what slice timing costs ping-pong.

Interleaved in one run, so that the machine's drift hits every variant alike:

  off        lunatic run msgs.wasm ...                      (no dashboard)
  timing     lunatic run --dashboard 127.0.0.1:0 msgs.wasm  (slice timing on, nobody looking)
  browser    the same, with the page open in headless Chromium, polling once a second

The ring is long (P processes, LAPS laps, several seconds) so that the page, loaded as soon as
the runtime prints its address, is open for nearly all of it. Each sample is the guest's own
timing of its measured part (`msgs: ... ns=...`). Prints a markdown table: the median of each
variant and its ratio to `off`.

  /usr/bin/python3 bench/messages/dashboard_overhead.py --lunatic build/lunatic \\
      --wasm build/bench/messages/msgs.wasm [--rounds 5] [--ring 1000 5000] [--pingpong 1000000]

Needs Debian's chromium, chromium-driver and python3-selenium (hence /usr/bin/python3).
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile
import threading
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

RESULT = re.compile(r"msgs: mode=\S+ n=\d+ ns=(\d+) checked=(\d+)")


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,900", "--user-data-dir=" + profile):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def run(args, variant, guest_args, driver):
    argv = [args.lunatic, "run", "--workers", str(args.workers), "--max-processes", "4000000"]
    if variant != "off":
        argv += ["--dashboard", "127.0.0.1:0"]
    argv += [args.wasm] + [str(a) for a in guest_args]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ, XDG_CACHE_HOME=args.cache))
    opened = threading.Event()

    def read_stderr():  # and open the page as soon as its address is printed
        for line in iter(process.stderr.readline, ""):
            found = re.search(r"dashboard at (http://\S+)", line)
            if found and variant == "browser" and not opened.is_set():
                driver.get(found.group(1))
                opened.set()
    threading.Thread(target=read_stderr, daemon=True).start()
    out = process.stdout.read()
    process.wait(timeout=900)
    found = RESULT.search(out)
    if process.returncode != 0 or not found:
        raise SystemExit("%s failed (%s): %s" % (" ".join(argv), process.returncode, out))
    if variant == "browser":
        if not opened.wait(5):
            raise SystemExit("the page was never opened")
        # The page's own polls during the run: it was open and live.
        polls = driver.execute_script(
            "return performance.getEntriesByType('resource')"
            ".filter(e => e.name.endsWith('/api/snapshot')).length")
        driver.get("about:blank")
        return int(found.group(1)), polls
    return int(found.group(1)), None


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lunatic", required=True)
    parser.add_argument("--wasm", required=True, help="bench/messages/msgs.c built")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--ring", type=int, nargs=2, default=[1000, 5000], metavar=("P", "LAPS"))
    parser.add_argument("--pingpong", type=int, default=1000000)
    args = parser.parse_args()
    scratch = tempfile.mkdtemp(prefix="lunatic-dashboard-bench-")
    args.cache = os.path.join(scratch, "cache")
    driver = browser(os.path.join(scratch, "profile"))
    cases = {"ring": (["ring"] + args.ring, ("off", "timing", "browser")),
             "pingpong": (["pingpong", args.pingpong, 8], ("off", "timing"))}
    samples = {(case, v): [] for case, (_, variants) in cases.items() for v in variants}
    polls = []
    try:
        run(args, "off", ["pingpong", 1000, 8], driver)  # compiles msgs.wasm into the cache
        for round_ in range(args.rounds):
            for case, (guest_args, variants) in cases.items():
                # Rotate the order each round: no variant always runs first.
                order = variants[round_ % len(variants):] + variants[:round_ % len(variants)]
                for variant in order:
                    ns, seen = run(args, variant, guest_args, driver)
                    samples[(case, variant)].append(ns)
                    if seen is not None:
                        polls.append(seen)
                    print("%s %s: %.1f ms" % (case, variant, ns / 1e6), flush=True)
    finally:
        driver.quit()
    print()
    print("| benchmark | variant | median | vs off | samples (ms) |")
    print("| --- | --- | --- | --- | --- |")
    for case, (guest_args, variants) in cases.items():
        base = statistics.median(samples[(case, "off")])
        for variant in variants:
            values = samples[(case, variant)]
            median = statistics.median(values)
            print("| %s %s | %s | %.1f ms | %+.1f%% | %s |" % (
                case, " ".join(str(a) for a in guest_args[1:]), variant, median / 1e6,
                (median / base - 1) * 100, ", ".join("%.0f" % (v / 1e6) for v in values)))
    print()
    print("page polls of /api/snapshot during each browser run: %s" % polls)


if __name__ == "__main__":
    main()
