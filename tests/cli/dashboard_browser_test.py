#!/usr/bin/python3
"""The dashboard in a real browser: headless Chromium (Debian's chromium and chromium-driver),
driven by Debian's python3-selenium, on `lunatic run --dashboard 127.0.0.1:0 dashboard.wasm`,
a guest whose children come and go (tests/guests/dashboard.c).

Checks that processes appear in and disappear from the page's DOM, that a row's node is kept
across polls, that clicking one shows its details, that the Kill button is absent and a kill
refused (403) without --dashboard-allow-kill, and that with it the button kills the process;
takes a screenshot and checks that it is a real picture. With a crowd of processes
(`dashboard.wasm crowd N`), checks that only the rows in view are in the DOM and that scrolling
brings the others. Run with /usr/bin/python3 (Debian's dist-packages hold selenium).

  dashboard_browser_test.py --lunatic BIN --guest dashboard.wasm --cache DIR
                            [--screenshot PNG [--settle SECONDS]]
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_until(what, predicate, timeout=15.0):
    """predicate()'s first truthy value within `timeout` seconds; a Failure naming `what` else."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Failure("timed out waiting for " + what)
        time.sleep(0.1)


class Runtime:
    """`lunatic run --dashboard 127.0.0.1:0 [--dashboard-allow-kill] GUEST`, its output read by
    threads; stopped (by its pid) when closed."""

    def __init__(self, lunatic, guest, cache, allow_kill, guest_args=()):
        argv = [lunatic, "run", "--log-level", "error", "--dashboard", "127.0.0.1:0"]
        if allow_kill:
            argv.append("--dashboard-allow-kill")
        argv.append(guest)
        argv.extend(guest_args)
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        env=env, text=True)
        self.out = []
        self.err = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            threading.Thread(target=lambda s=stream, l=lines: l.extend(iter(s.readline, "")),
                             daemon=True).start()
        self.url = wait_until("the dashboard's address on stderr", lambda: self._match(
            self.err, r"dashboard at (http://127\.0\.0\.1:[0-9]+/)"), timeout=120)
        self.keeper = wait_until("keeper's pid on stdout",
                                 lambda: self._match(self.out, r"^keeper ([0-9]+)$"), timeout=30)

    def _match(self, lines, pattern):
        check(self.process.poll() is None,
              "lunatic exited early:\n" + "".join(self.out) + "".join(self.err))
        for line in list(lines):
            found = re.search(pattern, line.strip())
            if found:
                return found.group(1)
        return None

    def said(self, pattern):
        """The first group of `pattern` in a line of stdout, waited for."""
        return wait_until(pattern + " on stdout", lambda: self._match(self.out, pattern),
                          timeout=30)

    def printed(self, text):
        return any(text in line for line in list(self.out))

    def close(self):
        self.process.kill()
        self.process.wait()


def post(url):
    """The status of a POST to url, with the header the dashboard's page sends."""
    request = urllib.request.Request(url, method="POST", headers={"X-Lunatic-Dashboard": "kill"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def get_status(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as error:
        return error.code


def browser(profile):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1400,900", "--user-data-dir=" + profile):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


# The page's rows come and go with processes and scrolling, so an element found a moment ago may
# be gone: reads go through scripts, clicks are retried on a fresh element.

def pids_in_page(driver):
    return set(driver.execute_script(
        "return [...document.querySelectorAll('#rows .proc')].map(r => r.dataset.pid)"))


def has_row(driver, pid):
    return pid in pids_in_page(driver)


def pid_named(driver, name):
    return driver.execute_script(
        "const r = [...document.querySelectorAll('#rows .proc')].find(r => "
        "[...r.querySelectorAll('.name')].some(n => n.textContent === arguments[0]));"
        "return r ? r.dataset.pid : null", name)


def click(driver, selector):
    """Clicks what `selector` finds, as a user would; False when nothing matches."""
    for _ in range(50):
        found = driver.find_elements(By.CSS_SELECTOR, selector)
        if not found:
            return False
        try:
            found[0].click()
            return True
        except StaleElementReferenceException:
            time.sleep(0.05)
    raise Failure("could not click " + selector)


def row_selector(pid):
    return '#rows .proc[data-pid="%s"]' % pid


def details_text(driver):
    return driver.find_element(By.ID, "details").text


def check_png(path):
    with open(path, "rb") as f:
        data = f.read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", path + " is no PNG")
    width, height = struct.unpack(">II", data[16:24])
    check(width >= 800 and height >= 600, "the screenshot is only %dx%d" % (width, height))
    # A blank or single-colour page compresses to a few KiB; the tree and plots do not.
    check(len(data) > 20000, "the screenshot is suspiciously small: %d bytes" % len(data))


def read_only_run(args, driver, screenshot):
    runtime = Runtime(args.lunatic, args.guest, args.cache, allow_kill=False)
    try:
        driver.get(runtime.url)
        wait_until("keeper in the page", lambda: has_row(driver, runtime.keeper))
        main = wait_until("main in the page", lambda: pid_named(driver, "main"))
        check(pid_named(driver, "keeper") == runtime.keeper, "keeper's name is not on its row")
        # Children appear and disappear without a reload: a child lives 800 ms.
        first = pids_in_page(driver) - {main, runtime.keeper}
        check(first, "no children in the page")
        wait_until("a child to disappear", lambda: first - pids_in_page(driver))
        wait_until("a new child to appear",
                   lambda: pids_in_page(driver) - first - {main, runtime.keeper})
        gone = next(iter(first - pids_in_page(driver)))
        check(get_status(runtime.url + "api/process/" + gone) == 404,
              "process %s left the page but lives" % gone)
        check(driver.execute_script("return performance.getEntriesByType('navigation').length")
              == 1, "the page reloaded")
        # A row is updated in place, not rebuilt: its node outlives the next two polls.
        driver.execute_script("document.querySelector(arguments[0]).dataset.marked = 'yes'",
                              row_selector(runtime.keeper))
        time.sleep(2.2)
        check(driver.execute_script("const r = document.querySelector(arguments[0]);"
                                    "return r !== null && r.dataset.marked === 'yes'",
                                    row_selector(runtime.keeper)), "keeper's row was rebuilt")

        # Details of a clicked process: its names, parent, state, who monitors it.
        check(click(driver, row_selector(runtime.keeper)), "keeper's row went")
        text = wait_until("keeper's details", lambda: "keeper" in details_text(driver) and
                          details_text(driver))
        for expected in ("id\n" + runtime.keeper, "spawned by\n" + main,
                         "waiting for a message", "monitored by\n" + main, "dashboard.wasm"):
            check(expected in text, "details lack %r:\n%s" % (expected, text))
        check(driver.execute_script("return document.querySelector(arguments[0]).className",
                                    row_selector(runtime.keeper)).find("selected") >= 0,
              "the clicked row is not marked")

        # Read-only: no Kill button, and the API refuses.
        check(not driver.find_elements(By.ID, "kill"), "a Kill button without the flag")
        check(driver.find_elements(By.ID, "read-only"), "no read-only note")
        check(post(runtime.url + "api/process/%s/kill" % runtime.keeper) == 403,
              "a kill was not refused")
        time.sleep(1.5)
        check(has_row(driver, runtime.keeper) and not runtime.printed("keeper died"),
              "keeper died without the flag")

        time.sleep(args.settle)  # longer plots for a screenshot kept for the docs
        driver.save_screenshot(screenshot)
        check_png(screenshot)
    finally:
        runtime.close()


def kill_run(args, driver):
    runtime = Runtime(args.lunatic, args.guest, args.cache, allow_kill=True)
    try:
        driver.get(runtime.url)
        wait_until("keeper in the page", lambda: has_row(driver, runtime.keeper))
        check(click(driver, row_selector(runtime.keeper)), "keeper's row went")
        wait_until("the Kill button", lambda: driver.find_elements(By.ID, "kill"))
        check(click(driver, "#kill"), "the Kill button went")
        wait_until("keeper to leave the page", lambda: not has_row(driver, runtime.keeper))
        wait_until("main to hear of keeper's death", lambda: runtime.printed("keeper died"))
        wait_until("the details to say it is gone",
                   lambda: driver.find_elements(By.ID, "gone"))
        check("Killed " + runtime.keeper in details_text(driver),
              "no kill result in the details:\n" + details_text(driver))
    finally:
        runtime.close()


def crowd_run(args, driver):
    crowd = 600
    runtime = Runtime(args.lunatic, args.guest, args.cache, allow_kill=False,
                      guest_args=("crowd", str(crowd)))
    try:
        last = runtime.said(r"^crowd ([0-9]+)$")
        driver.get(runtime.url)
        wait_until("the crowd in the page", lambda: driver.execute_script(
            "return latest !== null && latest.process_count > arguments[0]", crowd))
        main = wait_until("main in the page", lambda: pid_named(driver, "main"))
        # Only the rows in view (and a few beyond) exist; the list is as tall as all of them.
        rows = driver.execute_script("return document.querySelectorAll('#rows .proc').length")
        check(0 < rows < 100, "%d rows in the DOM for %d processes" % (rows, crowd))
        height = driver.execute_script("return document.getElementById('rows').offsetHeight")
        check(height >= crowd * 22, "the list is %d px tall for %d processes" % (height, crowd))
        check(not has_row(driver, last), "the last of the crowd is drawn out of view")
        # The crowd are main's first children: the last of them is near the bottom of the tree,
        # above keeper and the short-lived children.
        driver.execute_script("const t = document.getElementById('tree');"
                              "t.scrollTop = t.scrollHeight")
        wait_until("the last of the crowd after scrolling", lambda: has_row(driver, last))
        check(not has_row(driver, main), "main's row stays drawn out of view")
    finally:
        runtime.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lunatic", required=True)
    parser.add_argument("--guest", required=True)
    parser.add_argument("--cache", required=True, help="XDG_CACHE_HOME for the runtime")
    parser.add_argument("--screenshot", help="keep the screenshot here")
    parser.add_argument("--settle", type=float, default=0,
                        help="seconds the page runs before the screenshot")
    args = parser.parse_args()
    for tool in (CHROMIUM, CHROMEDRIVER):
        check(os.access(tool, os.X_OK), tool + " is missing: scripts/install-deps.sh installs it")
    scratch = tempfile.mkdtemp(prefix="lunatic-dashboard-")
    driver = browser(os.path.join(scratch, "profile"))
    try:
        screenshot = args.screenshot or os.path.join(scratch, "dashboard.png")
        read_only_run(args, driver, screenshot)
        kill_run(args, driver)
        crowd_run(args, driver)
    finally:
        driver.quit()
        shutil.rmtree(scratch, ignore_errors=True)
    print("dashboard browser test passed")


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print("FAILED: %s" % failure, file=sys.stderr)
        sys.exit(1)
