#!/usr/bin/env python3
"""Net suite: an HTTP/1.1 hello-world served by lunatic with one process per connection
(guest `http_hello.c`), loaded by wrk beside nginx serving a static response on the same
machine in the same run; then 10,000 idle connections held at once, one process each.

  throughput  wrk -t2 -c100 for D seconds against each server, alternating, best of 3:
              requests per second; the budget is lunatic >= 90% of nginx
  idle        10,000 connections opened and left idle, then one request on every one of them
              (each must be answered, so each still has its process); the server's resident
              memory per connection

`net.py --smoke` runs the lunatic server only, with 200 requests over 20 connections and 500
idle connections, checking every response (the CTest `bench_net_smoke`); it writes no report.
"""

from __future__ import annotations

import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import benchlib as bl  # noqa: E402

HERE = Path(__file__).resolve().parent
TITLE = "## Net: HTTP hello world (vs nginx) and idle connections"
BUDGET_RATIO = 0.90
RESPONSE = b"Hello, World!"
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def build_server(out: Path) -> Path:
    return bl.build_guest(HERE / "http_hello.c", out / "http_hello.wasm")


class Server:
    """A server process started in the background, stopped on exit."""

    def __init__(self, argv: list[str], cwd: Path | None = None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stderr.read() if self.proc.stderr else ""

    def rss_kib(self) -> int:
        return bl.proc_status(self.proc.pid).get("VmRSS", 0)


def start_lunatic(lunatic: str, wasm: Path, workers: int) -> tuple[Server, int]:
    server = Server([lunatic, "run", "--workers", str(workers), str(wasm), "0"])
    line = server.proc.stdout.readline() if server.proc.stdout else ""
    m = re.match(r"listening on (\d+)", line)
    if not m:
        raise bl.BenchError(f"lunatic http_hello did not start: {line!r} {server.stop()[-300:]}")
    return server, int(m.group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(workdir: Path, workers: int) -> tuple[Server, int]:
    port = free_port()
    conf = workdir / "nginx.conf"
    conf.write_text(f"""worker_processes {workers};
daemon off;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log;
events {{ worker_connections 20000; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type text/plain; return 200 "Hello, World!"; }}
  }}
}}
""")
    server = Server(["nginx", "-c", str(conf), "-p", str(workdir)])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            time.sleep(0.05)
    raise bl.BenchError(f"nginx did not start: {server.stop()[-300:]}")


def one_request(sock: socket.socket) -> bool:
    sock.sendall(REQUEST)
    data = b""
    while not data.endswith(RESPONSE):
        chunk = sock.recv(4096)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"HTTP/1.1 200 OK\r\n")


def idle_connections(port: int, count: int, while_idle=lambda: None) -> dict:
    """Opens `count` connections, leaves them idle (calling `while_idle` then), then asks once
    on each."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1000), hard))
    conns = []
    t0 = time.monotonic()
    try:
        for _ in range(count):
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        opened_s = time.monotonic() - t0
        time.sleep(1.0)  # idle: every connection has been accepted and its process waits in a read
        while_idle()
        answered = sum(one_request(c) for c in conns)
        return {"opened": len(conns), "answered": answered, "open_s": round(opened_s, 2)}
    finally:
        for c in conns:
            c.close()


def wrk(port: int, seconds: int, connections: int = 100) -> float:
    r = bl.check_run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", f"http://127.0.0.1:{port}/"],
                     timeout=seconds + 60)
    m = re.search(r"Requests/sec:\s+([\d.]+)", r.stdout)
    if not m or "Non-2xx" in r.stdout or "Socket errors" in r.stdout:
        raise bl.BenchError(f"wrk against port {port}: {r.stdout.strip()[-400:]}")
    return float(m.group(1))


def smoke_checks(port: int) -> list[str]:
    """Keep-alive requests, a client sending garbage, idle connections: what went wrong."""
    errors = []
    conns = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(20)]
    ok = sum(one_request(c) for _ in range(10) for c in conns)
    for c in conns:
        c.close()
    print(f"ok: {ok} of 200 requests answered over 20 keep-alive connections")
    if ok != 200:
        errors.append(f"{ok} of 200 requests answered")
    # A client that sends garbage with no end of request is cut off; others go on.
    with socket.create_connection(("127.0.0.1", port), timeout=30) as bad:
        bad.sendall(b"x" * 8192)  # exactly the buffer: nothing is left unread at the close
        reply = bad.recv(4096)
        status = reply.split(b"\r\n")[0]
        print(f"ok: garbage got {status!r}")
        if not reply.startswith(b"HTTP/1.1 400"):
            errors.append(f"garbage got {reply[:40]!r}")
    idle = idle_connections(port, 500)
    print(f"ok: idle connections {idle}")
    if idle["answered"] != 500:
        errors.append(f"idle: {idle}")
    return errors


def smoke() -> int:
    lunatic = bl.need_lunatic()
    wasm = build_server(bl.OUT)
    with bl.fresh_artifact_cache("lunatic-net-smoke-"):
        server, port = start_lunatic(lunatic, wasm, 2)
        try:
            errors = smoke_checks(port)
        finally:
            err = server.stop()
    for e in errors:
        print(f"FAILED: {e} (server stderr: {err[-300:]!r})", file=sys.stderr)
    return 1 if errors else 0


def main() -> int:
    bl.need_tools("clang", "wrk", "nginx")
    lunatic = bl.need_lunatic()
    workers = bl.CORES
    wasm = build_server(bl.OUT)
    seconds = 1 if bl.QUICK else 5
    idle_count = 1000 if bl.QUICK else 10000
    runs = 1 if bl.QUICK else 3
    window = bl.LoadWindow()
    work = Path(tempfile.mkdtemp(prefix="bench-net-", dir=bl.OUT))
    lunatic_server, lunatic_port = start_lunatic(lunatic, wasm, workers)
    nginx_server, nginx_port = start_nginx(work, workers)
    samples: dict[str, list[float]] = {"lunatic": [], "nginx": []}
    try:
        wrk(lunatic_port, 1)  # warm-up: the first connections spawn from a cold pool
        wrk(nginx_port, 1)
        for rep in range(runs):
            for name, port in (("lunatic", lunatic_port), ("nginx", nginx_port)):
                samples[name].append(wrk(port, seconds))
                bl.log(f"net: {name} round {rep + 1}: {samples[name][-1]:.0f} requests/s")
        rss_before = lunatic_server.rss_kib()
        rss_held = 0

        def sample() -> None:
            nonlocal rss_held
            rss_held = lunatic_server.rss_kib()

        idle = idle_connections(lunatic_port, idle_count, sample)
        bl.log(f"net: idle {idle}, server VmRSS {rss_before} KiB before, {rss_held} KiB held")
    finally:
        lunatic_err = lunatic_server.stop()
        nginx_server.stop()
    window.close()
    best_l, best_n = max(samples["lunatic"]), max(samples["nginx"])
    ratio = best_l / best_n if best_n else float("nan")
    per_conn_kib = (rss_held - rss_before) / idle_count
    best_of = bl.best_of(runs)
    bl.write_json("results.json", {"samples": samples, "idle": idle, "rss_before_kib": rss_before,
                                   "rss_held_kib": rss_held, "workers": workers, "seconds": seconds,
                                   **window.as_json()})
    idle_ok = idle["answered"] == idle_count
    budgets = [
        [f"HTTP hello, wrk -t2 -c100 {seconds} s ({best_of}; lunatic {best_l:,.0f} req/s, nginx "
         f"{best_n:,.0f} req/s)", f"{ratio:.2f}x nginx", f">= {BUDGET_RATIO:.2f}x",
         "nginx (Debian), static response, same run", "PASS" if ratio >= BUDGET_RATIO else "MISS"],
        [f"idle connections held, one process each (all {idle_count:,} answered a request after "
         f"idling)", f"{idle['answered']:,} of {idle['opened']:,}", f"{idle_count:,}", "-",
         "PASS" if idle_ok else "MISS"],
        ["resident memory per idle connection (server VmRSS delta / connections)",
         f"{per_conn_kib:.1f} KiB", "-", "-", "INFO"],
    ]
    bl.write_budgets(budgets)
    md = [
        TITLE,
        "",
        f"_{bl.timestamp()}; {bl.run_kind(best_of)}; `--workers {workers}` for lunatic, "
        f"`worker_processes {workers}` for nginx, wrk on the same machine; "
        f"{window.load_text()}; {window.elapsed_text()}._",
        "",
        bl.budget_table(budgets),
        "",
        bl.md_table(["server", "requests/s, each run"],
                    [[k, ", ".join(f"{x:,.0f}" for x in v)] for k, v in samples.items()], align="ll"),
        "",
        "- lunatic: `bench/net/http_hello.c` against the raw `lunatic::networking` imports: the main "
        "process accepts and spawns one process per connection, handing it the stream in a message; "
        "that process answers every request on the connection (keep-alive) with a 13-byte body.",
        "- nginx: Debian's nginx-light, `return 200 \"Hello, World!\"`, access log off (it also sends "
        "Server and Date headers, 60 bytes more per response).",
        "- Two cores run the server and wrk together, so both servers share the machine with the "
        "load generator in the same way.",
    ]
    if "lunatic:" in lunatic_err:
        md += ["", f"Server stderr: {bl.cell(lunatic_err[-300:])}"]
    bl.write_report("\n".join(md))
    return 0


if __name__ == "__main__":
    smoke_run = bl.smoke_requested(__doc__, "lunatic only, tiny sizes, every response checked")
    sys.exit(bl.run_suite("net", TITLE, smoke if smoke_run else main, write=not smoke_run))
