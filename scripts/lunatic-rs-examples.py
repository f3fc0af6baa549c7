#!/usr/bin/env python3
"""Runs lunatic-rs's examples (`examples/*.rs`, `examples/*/main.rs`) under this runtime, each
with its own check. Python 3 standard library only; scripts/lunatic-rs-suite.sh calls it after
Cargo built the examples.

    python3 scripts/lunatic-rs-examples.py --lunatic PATH --src LUNATIC_RS_COPY --logs DIR
                                           [--timeout S] [--compile-timeout S]

Each example's module (`target/wasm32-wasi/debug/examples/NAME.wasm` under --src) is first
compiled into the artifact cache with `lunatic compile` (a debug build takes 10 to 30 s), then
run with `lunatic run` from --src (the TLS examples read `./examples/CA/...`, granted with
`--dir .`) for at most --timeout seconds (the metrics example: three times that). What is checked
is in EXAMPLES below; an example not listed there must exit 0 in time. Servers that never end are
started, served (a client from here talks to them) and stopped. An example that needs the
Internet is skipped, saying so, when its host does not resolve here; one whose fixed port is taken
is skipped likewise.

Prints one line per example (`ok`, `FAILED` or `skip`, the name, what was seen or why) and
finally `examples: N passed, N failed, N skipped`; exits 1 if one failed. Output of each run is in
DIR/example-NAME.log.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

# Run by scripts/lunatic-rs-suite.sh across two nodes instead; not counted here.
ELSEWHERE = {
    "distributed": "runs across two nodes (the suite's cluster checks)",
    "distributed_api": "written by the suite; runs across two nodes (the suite's cluster checks)",
}


@dataclass
class Plain:
    """Runs to its end: exit code 0, and these patterns (multi-line regexes) in its stdout or
    stderr; `absent` must match neither."""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    dirs: list[str] = field(default_factory=list)
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    needs_host: str = ""  # skipped unless this name resolves here


@dataclass
class Special:
    kind: str  # "metrics", "tcp_echo", "tls_echo"
    ports: list[int] = field(default_factory=list)  # fixed ports the example binds


EXAMPLES: dict[str, Plain | Special] = {
    # The example's own assert_eq!s are the check: a failed one panics, exit code non-zero.
    "abstract_process": Plain(),
    # A process over its 1,500,000-byte memory limit fails to allocate; one in an endless loop
    # runs out of fuel; main sleeps 200 ms and ends.
    "configs": Plain(
        stdout=[r"^Process \d+ trying to allocate 2MB$", r"^Process \d+ going into infinite loop$"],
        stderr=[r"memory allocation of 2000000 bytes failed", r"out of fuel"],
        absent=[r"Succeeded"],
    ),
    "metrics": Special("metrics"),
    "monitor": Plain(stdout=[r"^Hello$", r"^Process \d+ died$"]),
    "print_env": Plain(
        args=["one", "two"],
        env={"LUNATIC_RS_SUITE": "examples"},
        stdout=[r'^\[".*print_env\.wasm", "one", "two"\]$', r"^LUNATIC_RS_SUITE: examples$"],
    ),
    "process_local": Plain(),
    "process_name": Plain(stdout=[r"^Received message!$"]),
    "request_response": Plain(),
    "resolve": Plain(stdout=[r"^wikipedia\.org resolves to "], needs_host="wikipedia.org"),
    "spawn_macro": Plain(stdout=[r"^Hello! I'm a string\.$", r"^Hello non-capturing closure!$"]),
    "spawn_task": Plain(stdout=[r"^Hello world from a process!$", r"^Hello world from a 2nd process!$"]),
    "supervised_abstract_process": Plain(),
    "tcp_echo_multi_server": Special("tcp_echo", ports=[6666, 6667]),
    "tcp_echo_server": Special("tcp_echo"),
    "tls_client": Plain(dirs=["."], stdout=[r"^Got response from rust-lang\.org "], needs_host="www.rust-lang.org"),
    "tls_echo_server": Special("tls_echo", ports=[3000]),
}

# examples/CA/localhost.crt and its root are valid from 2022-09-28 to 2025-07-18; the TLS client
# here verifies them as of 2024-01-01.
CERTIFICATE_TIME = 1704067200


class Outcome(Exception):
    def __init__(self, status: str, detail: str):
        super().__init__(detail)
        self.status, self.detail = status, detail


def fail(detail: str):
    raise Outcome("FAILED", detail)


def skip(detail: str):
    raise Outcome("skip", detail)


class Runner:
    def __init__(self, args):
        self.lunatic = args.lunatic
        self.src = Path(args.src)
        self.modules = self.src / "target" / "wasm32-wasi" / "debug" / "examples"
        self.logs = Path(args.logs)
        self.timeout = args.timeout
        self.compile_timeout = args.compile_timeout

    def command(self, name: str, options: list[str], args: list[str] = ()) -> list[str]:
        return [self.lunatic, "run", *options, str(self.modules / f"{name}.wasm"), *args]

    def compile(self, name: str):
        module = self.modules / f"{name}.wasm"
        if not module.exists():
            fail(f"not built ({module} is missing)")
        try:
            done = subprocess.run([self.lunatic, "compile", str(module)], capture_output=True,
                                  text=True, timeout=self.compile_timeout)
        except subprocess.TimeoutExpired:
            fail(f"lunatic compile took over {self.compile_timeout} s")
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines()
            fail(f"lunatic compile exit code {done.returncode}: {' / '.join(lines[-3:])}")

    def start(self, name: str, command: list[str]) -> tuple[subprocess.Popen, Path, Path]:
        out, err = self.logs / f"example-{name}.out", self.logs / f"example-{name}.err"
        with open(out, "wb") as o, open(err, "wb") as e:
            process = subprocess.Popen(command, cwd=self.src, stdin=subprocess.DEVNULL, stdout=o, stderr=e)
        return process, out, err

    def finish(self, name: str, process: subprocess.Popen, out: Path, err: Path, timeout: float) -> int | None:
        """Waits for the process (None: it was stopped after `timeout`), then joins its output
        into example-NAME.log."""
        try:
            rc = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(process)
            rc = None
        with open(self.logs / f"example-{name}.log", "w") as log:
            log.write(f"$ {' '.join(process.args)}\n--- stdout\n{out.read_text(errors='replace')}"
                      f"--- stderr\n{err.read_text(errors='replace')}--- exit code {rc}\n")
        return rc

    def run(self, name: str, check: Plain | Special) -> str:
        if name in ELSEWHERE:
            raise Outcome("--", ELSEWHERE[name])
        if isinstance(check, Plain) and check.needs_host and not resolves(check.needs_host):
            skip(f"needs the Internet: {check.needs_host} does not resolve on this machine")
        for port in getattr(check, "ports", []):
            if not port_free(port):
                skip(f"binds 127.0.0.1:{port}, which is taken on this machine")
        if isinstance(check, Special) and check.kind == "tls_echo" and not shutil.which("openssl"):
            skip("no openssl command for the TLS client")
        self.compile(name)
        if isinstance(check, Plain):
            return self.plain(name, check)
        return getattr(self, check.kind)(name, check)

    def plain(self, name: str, check: Plain) -> str:
        options = [f"--dir={d}" for d in check.dirs] + [f"--env={k}={v}" for k, v in check.env.items()]
        process, out, err = self.start(name, self.command(name, options, check.args))
        rc = self.finish(name, process, out, err, self.timeout)
        stdout, stderr = out.read_text(errors="replace"), err.read_text(errors="replace")
        problems = []
        if rc is None:
            problems.append(f"still running after {self.timeout} s")
        elif rc != 0:
            problems.append(f"exit code {rc}")
        problems += [f"no /{p}/ on stdout" for p in check.stdout if not re.search(p, stdout, re.M)]
        problems += [f"no /{p}/ on stderr" for p in check.stderr if not re.search(p, stderr, re.M)]
        problems += [f"/{p}/ seen" for p in check.absent if re.search(p, stdout + stderr, re.M)]
        if problems:
            fail("; ".join(problems))
        seen = len(check.stdout) + len(check.stderr)
        return f"exit code 0{f', {seen} expected lines' if seen else ''}"

    def metrics(self, name: str, _: Special) -> str:
        """examples/metrics.rs sets a counter to 42, then 6,000 times, 10 ms apart, increments it,
        moves a gauge and records a histogram value: about 60 s. Its metrics are read twice from
        the endpoint --prometheus-http serves while it runs, and Debian's Prometheus server,
        scraping that endpoint, must answer the counter through its HTTP API; then the example
        must end with exit code 0."""
        process, out, err = self.start(name, self.command(name, ["--prometheus-http", "127.0.0.1:0"]))
        try:
            url = wait_for(err, r"Prometheus metrics at (http://\S+/metrics)", 30, process)
            if not url:
                fail("no 'lunatic: Prometheus metrics at URL' on stderr")
            time.sleep(2)
            first = scrape(url)
            time.sleep(2)
            second = scrape(url)
            in_prometheus = prometheus_query(url, f"{PROMETHEUS_PREFIX}counter", self.logs)
        except Outcome:
            stop(process)
            self.finish(name, process, out, err, 0)
            raise
        rc = self.finish(name, process, out, err, 3 * self.timeout)
        problems = []
        prefix = PROMETHEUS_PREFIX
        for kind in ("counter", "gauge", "histogram"):
            if f"# TYPE {prefix}{kind} {kind}\n" not in first:
                problems.append(f"no {kind} {prefix}{kind} at {url}")
        counts = [sample(text, f"{prefix}counter") for text in (first, second)]
        if None in counts or not 42 < counts[0] < counts[1]:
            problems.append(f"the counter did not grow past 42 between two reads: {counts}")
        if sample(first, f"{prefix}histogram_count") is None:
            problems.append("no histogram count")
        if in_prometheus is None or not in_prometheus > 42:
            problems.append(f"Prometheus did not answer the counter past 42: {in_prometheus}")
        if rc is None:
            problems.append(f"still running after {3 * self.timeout} s")
        elif rc != 0:
            problems.append(f"exit code {rc}")
        if problems:
            fail("; ".join(problems))
        return (f"metrics served at {url} while it ran (counter {counts[0]:g}, then {counts[1]:g}; "
                f"Prometheus, scraping it, answered {in_prometheus:g}); exit code 0")

    def tcp_echo(self, name: str, check: Special) -> str:
        """An echo server per line; each connection is a process. Two connections are open at
        once and answered in the opposite order, on every address the example listens on."""
        process, out, err = self.start(name, self.command(name, []))
        try:
            want = max(1, len(check.ports))
            if not wait_for(out, r"(?:Listening on addr: 127\.0\.0\.1:\d+\n(?:.*\n)*){%d}" % want, 30, process):
                fail(f"not {want} 'Listening on addr: 127.0.0.1:PORT' lines")
            ports = [int(p) for p in re.findall(r"^Listening on addr: 127\.0\.0\.1:(\d+)$", out.read_text(), re.M)]
            if check.ports and sorted(ports) != sorted(check.ports):
                fail(f"listening on {ports}, not {check.ports}")
            for port in ports:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as a, \
                        socket.create_connection(("127.0.0.1", port), timeout=10) as b:
                    for conn, text in ((b, b"second connection\n"), (a, b"first connection\n")):
                        conn.sendall(text)
                        echoed = read_line(conn)
                        if echoed != text:
                            fail(f"port {port}: sent {text!r}, got back {echoed!r}")
                    for conn in (a, b):
                        conn.sendall(b"exit\n")
            time.sleep(0.2)
            if process.poll() is not None:
                fail(f"the server ended (exit code {process.returncode})")
        finally:
            stop(process)
            self.finish(name, process, out, err, 0)
        return f"echoed on {len(ports)} port(s), two connections at once each; stopped"

    def tls_echo(self, name: str, check: Special) -> str:
        """A TLS server on 127.0.0.1:3000 with examples/CA/localhost.{crt,key}: openssl s_client
        verifies its certificate (for the name localhost, against examples/CA/RootCA.pem, as of
        CERTIFICATE_TIME) and must get the example's HTTP reply."""
        process, out, err = self.start(name, self.command(name, ["--dir=."]))
        try:
            if not wait_for(out, r"^Listening on addr: 127\.0\.0\.1:3000$", 30, process):
                fail("no 'Listening on addr: 127.0.0.1:3000'")
            client = subprocess.run(
                ["openssl", "s_client", "-connect", "127.0.0.1:3000", "-CAfile", "examples/CA/RootCA.pem",
                 "-attime", str(CERTIFICATE_TIME), "-verify_hostname", "localhost", "-verify_return_error",
                 "-ign_eof", "-quiet"],
                cwd=self.src, input=b"hello\n", capture_output=True, timeout=30)
            reply = client.stdout.decode(errors="replace")
            with open(self.logs / f"example-{name}.client.log", "w") as log:
                log.write(reply + "--- stderr\n" + client.stderr.decode(errors="replace"))
            if not reply.startswith("HTTP/1.1 200 OK\n") or "<h1>Hello world!</h1>" not in reply:
                fail(f"openssl s_client (exit code {client.returncode}) got {reply[:60]!r}")
            if process.poll() is not None:
                fail(f"the server ended (exit code {process.returncode})")
        except subprocess.TimeoutExpired:
            fail("openssl s_client took over 30 s")
        finally:
            stop(process)
            self.finish(name, process, out, err, 0)
        return "served HTTP over TLS, certificate verified for localhost; stopped"


def stop(process: subprocess.Popen):
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(path: Path, pattern: str, seconds: float, process: subprocess.Popen) -> str | None:
    """Until the file matches (returns group 1, or the match) or the process ends."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = re.search(pattern, path.read_text(errors="replace"), re.M)
        if m:
            return m.group(1) if m.groups() else m.group(0)
        if process.poll() is not None:
            return None
        time.sleep(0.1)
    return None


def scrape(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode()
    except OSError as e:
        fail(f"reading {url}: {e}")


def sample(text: str, metric: str) -> float | None:
    m = re.search(rf"^{re.escape(metric)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


PROMETHEUS_PREFIX = "lunatic::metrics_example::"


def prometheus_query(target_url: str, metric: str, logs: Path) -> float | None:
    """Debian's Prometheus server, scraping `target_url` every second, asked for `metric`
    through its HTTP API until it answers (20 s at most). Its data and log go under `logs`."""
    target = re.match(r"http://([^/]+)/", target_url).group(1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = logs / "prometheus"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: lunatic\n"
        f"    static_configs:\n      - targets: ['{target}']\n")
    with open(home / "prometheus.log", "wb") as log:
        server = subprocess.Popen(
            ["/usr/bin/prometheus", f"--config.file={home / 'prometheus.yml'}",
             f"--storage.tsdb.path={home / 'tsdb'}", f"--web.listen-address=127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        query = f"http://127.0.0.1:{port}/api/v1/query?query={urllib.parse.quote(metric)}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                with urllib.request.urlopen(query, timeout=5) as response:
                    answer = json.loads(response.read())
            except OSError:
                continue  # not listening yet
            results = answer.get("data", {}).get("result", [])
            if results:
                return float(results[0]["value"][1])
        return None
    finally:
        stop(server)


def read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def resolves(host: str) -> bool:
    try:
        return bool(socket.getaddrinfo(host, 443))
    except OSError:
        return False


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def example_names(src: Path) -> list[str]:
    """Cargo's automatic example targets: examples/NAME.rs and examples/NAME/main.rs."""
    names = [p.stem for p in (src / "examples").glob("*.rs")]
    names += [p.parent.name for p in (src / "examples").glob("*/main.rs")]
    return sorted(names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lunatic", required=True)
    parser.add_argument("--src", required=True, help="the built copy of lunatic-rs")
    parser.add_argument("--logs", required=True)
    parser.add_argument("--timeout", type=float, default=60, help="seconds an example may run (default 60)")
    parser.add_argument("--compile-timeout", type=float, default=900)
    args = parser.parse_args()
    runner = Runner(args)
    runner.logs.mkdir(parents=True, exist_ok=True)
    counts = {"ok": 0, "FAILED": 0, "skip": 0}
    for name in example_names(runner.src):
        check = EXAMPLES.get(name, Plain())
        try:
            status, detail = "ok", runner.run(name, check)
            if name not in EXAMPLES:
                detail += " (an example this script does not know: exit code checked only)"
        except Outcome as outcome:
            status, detail = outcome.status, outcome.detail
        if status in counts:
            counts[status] += 1
        print(f"{status:<6} {'example ' + name:<36} {detail}", flush=True)
    print(f"examples: {counts['ok']} passed, {counts['FAILED']} failed, {counts['skip']} skipped")
    return 1 if counts["FAILED"] else 0


if __name__ == "__main__":
    sys.exit(main())
