#!/usr/bin/python3
"""make soak: the release servers under a mixed hostile load, watched for growth, failures and deaths.

For each configuration (the Swift demo's echo app and swift-wsgi with Soak/soak_app.py; inline,
--threads 4 and --workers 2), for DURATION seconds at once:

- wrk keep-alive (16 connections) and wrk pipelined (4 connections, 16 requests deep): every
  response must be a 2xx, with no socket error;
- a checker on one keep-alive connection: GET, an upload (4 MiB with Content-Length, then
  chunked) and a download (16 MiB), each verified byte count for byte count;
- aborting clients: a large download (from a generator, or through write()) read a little, then
  closed with FIN or reset (RST);
- slowloris: 20 connections sending a header one byte every half second;
- malformed and oversized requests: each must get a 4xx and the connection closed;
- every SAMPLE seconds: resident memory and open descriptors of the server's processes (master
  and workers), and for inline and --threads Python the count of live objects (gc.get_objects()).

A configuration fails when a valid request failed, a process died, or a series kept growing: the
median of the last third of the samples (after the first quarter, the warm-up) above the median of
the middle third by more than the allowance (memory: 20% + 16 MiB; descriptors: 16; objects:
2000). Prints one line per configuration; exits 1 on any failure. With --confirm-growth (the
short CI pass) a configuration whose only failure is growth runs again and fails only if it grows
again: over 10 s, one step of the allocator (--threads rises in steps to a plateau under this load)
is hard to tell from a leak, which grows on every run.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release")
# swift-wsgi is the Python package's command, from the venv `make wheel-venvs` installs the wheel
# into (Debian's Python 3.11); SWIFT_WSGI_SOAK_VENV names another.
VENV = os.environ.get("SWIFT_WSGI_SOAK_VENV", os.path.join(ROOT, ".build", "wheel-venv-3.11"))
PROGRAMS = {"wsgi-demo": os.path.join(RELEASE, "wsgi-demo"), "swift-wsgi": os.path.join(VENV, "bin", "swift-wsgi")}
CONFIGS = {
    "demo": ["wsgi-demo", "--app", "echo"],
    "demo-threads": ["wsgi-demo", "--app", "echo", "--threads", "4"],
    "demo-workers": ["wsgi-demo", "--app", "echo", "--workers", "2"],
    "python": ["swift-wsgi", "--chdir", os.path.join(ROOT, "Soak"), "soak_app:application"],
    "python-threads": ["swift-wsgi", "--chdir", os.path.join(ROOT, "Soak"), "soak_app:application", "--threads", "4"],
    "python-workers": ["swift-wsgi", "--chdir", os.path.join(ROOT, "Soak"), "soak_app:application", "--workers", "2"],
}
MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-F%d: v\r\n" % i for i in range(150)) + b"\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\n bad: fold\r\n\r\n",
]


class Soak:
    def __init__(self, name, duration, sample):
        self.name = name
        self.duration = duration
        self.sample = sample
        self.stop = threading.Event()
        self.failures = []
        # Set when a series kept growing (see check_growth).
        self.grew = False
        self.counts = {"checks": 0, "aborts": 0, "malformed": 0, "slowloris": 0}
        self.lock = threading.Lock()
        self.series = {"rss": [], "fds": [], "objects": []}

    def fail(self, message):
        with self.lock:
            if len(self.failures) < 20:
                self.failures.append(message)

    def count(self, key):
        with self.lock:
            self.counts[key] += 1

    # The server

    def start(self):
        arguments = CONFIGS[self.name]
        self.log = tempfile.NamedTemporaryFile(prefix=f"soak-{self.name}-", suffix=".log", delete=False)
        environment = dict(os.environ, SWIFT_BACKTRACE="enable=no")
        self.server = subprocess.Popen([PROGRAMS[arguments[0]]] + arguments[1:] + ["--bind", "127.0.0.1:0"],
                                       stdout=subprocess.PIPE, stderr=self.log, env=environment)
        line = self.server.stdout.readline().decode()
        match = re.match(r"Listening on .*:(\d+)", line)
        if not match:
            raise SystemExit(f"{self.name}: no listening line ({line!r}); log {self.log.name}")
        self.port = int(match.group(1))
        self.python = arguments[0] == "swift-wsgi" and "--workers" not in arguments

    def processes(self):
        pids = [self.server.pid]
        try:
            with open(f"/proc/{self.server.pid}/task/{self.server.pid}/children") as children:
                pids += [int(pid) for pid in children.read().split()]
        except OSError:
            pass
        return pids

    # Clients

    def connect(self, timeout=30):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)

    @staticmethod
    def read_response(sock, buffered=b""):
        """Reads one response (Content-Length, chunked or to EOF); returns (status, body, rest)."""
        data = buffered
        while b"\r\n\r\n" not in data:
            more = sock.recv(65536)
            if not more:
                raise ConnectionError(f"closed before a response head ({len(data)} bytes)")
            data += more
        head, data = data.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(b":") for line in lines[1:])}
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            while len(data) < length:
                more = sock.recv(1 << 20)
                if not more:
                    raise ConnectionError("closed inside a body")
                data += more
            return status, data[:length], data[length:]
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = bytearray()
            while True:
                while b"\r\n" not in data:
                    data += sock.recv(1 << 20)
                size_line, data = data.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(data) < size + 2:
                    more = sock.recv(1 << 20)
                    if not more:
                        raise ConnectionError("closed inside a chunked body")
                    data += more
                if size == 0:
                    return status, bytes(body), data[2:]
                body += data[:size]
                data = data[size + 2:]
        while True:
            more = sock.recv(1 << 20)
            if not more:
                return status, data, b""
            data += more

    def checker(self):
        upload = b"u" * (4 << 20)
        while not self.stop.is_set():
            try:
                with self.connect() as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n")
                    status, _, rest = self.read_response(sock)
                    if status != 200:
                        self.fail(f"GET / answered {status}")
                    sock.sendall(b"POST /upload HTTP/1.1\r\nHost: soak\r\nContent-Length: %d\r\n\r\n" % len(upload) + upload)
                    status, body, rest = self.read_response(sock, rest)
                    if status != 200 or json.loads(body)["body_size"] != len(upload):
                        self.fail(f"upload with Content-Length: {status} {body[:80]!r}")
                    sock.sendall(b"POST /upload HTTP/1.1\r\nHost: soak\r\nTransfer-Encoding: chunked\r\n\r\n")
                    for offset in range(0, len(upload), 1 << 20):
                        sock.sendall(b"100000\r\n" + upload[offset:offset + (1 << 20)] + b"\r\n")
                    sock.sendall(b"0\r\n\r\n")
                    status, body, rest = self.read_response(sock, rest)
                    if status != 200 or json.loads(body)["body_size"] != len(upload):
                        self.fail(f"chunked upload: {status} {body[:80]!r}")
                    sock.sendall(b"GET /stream?n=256&size=65536 HTTP/1.1\r\nHost: soak\r\n\r\n")
                    status, body, rest = self.read_response(sock, rest)
                    if status != 200 or len(body) != 256 * 65536:
                        self.fail(f"download: {status}, {len(body)} bytes")
                    self.count("checks")
            except (OSError, ValueError) as error:
                if not self.stop.is_set():
                    self.fail(f"checker: {error!r}")

    def aborter(self):
        # Each of: a generator's body or write() blocks (the Python app's /write; the Swift echo app
        # answers that path with its echo), then FIN or RST.
        turn = 0
        while not self.stop.is_set():
            try:
                sock = self.connect(timeout=10)
                path = b"/stream" if turn % 4 < 2 else b"/write"
                sock.sendall(b"GET " + path + b"?n=2000&size=16384 HTTP/1.1\r\nHost: soak\r\n\r\n")
                sock.recv(65536)
                if turn % 2:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                sock.close()
                turn += 1
                self.count("aborts")
            except OSError as error:
                if not self.stop.is_set():
                    self.fail(f"aborter: {error!r}")

    def slowloris(self):
        request = b"GET / HTTP/1.1\r\nHost: soak\r\nX-Slow: " + b"s" * 1000
        sockets = []
        while not self.stop.is_set():
            while len(sockets) < 20:
                try:
                    sockets.append([self.connect(timeout=5), 0])
                except OSError as error:
                    self.fail(f"slowloris connect: {error!r}")
                    break
            for entry in list(sockets):
                sock, sent = entry
                try:
                    sock.send(request[sent % len(request):sent % len(request) + 1])
                    entry[1] += 1
                except OSError:
                    # The server timed the drip out (408 or a close): expected; start another.
                    sock.close()
                    sockets.remove(entry)
                    self.count("slowloris")
            self.stop.wait(0.5)
        for sock, _ in sockets:
            sock.close()

    def malformed(self):
        index = 0
        while not self.stop.is_set():
            request = MALFORMED[index % len(MALFORMED)]
            index += 1
            try:
                with self.connect(timeout=10) as sock:
                    sock.sendall(request)
                    status, _, _ = self.read_response(sock)
                    if not 400 <= status < 500:
                        self.fail(f"malformed request {index % len(MALFORMED)} answered {status}")
                    self.count("malformed")
            except ConnectionResetError:
                self.count("malformed")  # refused and closed while the rest was still arriving
            except (OSError, ValueError) as error:
                if not self.stop.is_set():
                    self.fail(f"malformed request {index % len(MALFORMED)}: {error!r}")
            self.stop.wait(0.05)

    def objects(self):
        with self.connect() as sock:
            sock.sendall(b"GET /objects HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n")
            _, body, _ = self.read_response(sock)
            return int(body)

    def sampler(self):
        while not self.stop.wait(self.sample):
            rss = fds = 0
            for pid in self.processes():
                try:
                    with open(f"/proc/{pid}/status") as status:
                        rss += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
                    fds += len(os.listdir(f"/proc/{pid}/fd"))
                except (OSError, StopIteration):
                    pass
            self.series["rss"].append(rss)
            self.series["fds"].append(fds)
            if self.python:
                try:
                    self.series["objects"].append(self.objects())
                except (OSError, ValueError) as error:
                    self.fail(f"object count: {error!r}")

    def wrk(self, arguments, name):
        command = ["wrk", "-t1", f"-d{self.duration}s", "--timeout", "10s"] + arguments
        output = subprocess.run(command, capture_output=True, text=True).stdout
        requests = re.search(r"(\d+) requests in", output)
        for problem in re.findall(r"(Socket errors: .*|Non-2xx or 3xx responses: \d+)", output):
            self.fail(f"wrk {name}: {problem}")
        return int(requests.group(1)) if requests else 0

    # The run

    def run(self):
        self.start()
        url = f"http://127.0.0.1:{self.port}/"
        wrk_results = {}
        threads = [threading.Thread(target=target, daemon=True) for target in (self.checker, self.aborter, self.slowloris, self.malformed, self.sampler)]
        keep_alive = threading.Thread(target=lambda: wrk_results.__setitem__("keep-alive", self.wrk(["-c16", url], "keep-alive")))
        pipelined = threading.Thread(target=lambda: wrk_results.__setitem__("pipelined", self.wrk(
            ["-c4", "-s", os.path.join(ROOT, "Benchmarks", "pipeline.lua"), url, "--", "16"], "pipelined")))
        for thread in threads + [keep_alive, pipelined]:
            thread.start()
        keep_alive.join()
        pipelined.join()
        self.stop.set()
        for thread in threads:
            thread.join(timeout=30)
        if self.server.poll() is not None:
            self.fail(f"the server exited during the run (status {self.server.returncode})")
        else:
            self.server.send_signal(signal.SIGTERM)
            try:
                status = self.server.wait(timeout=40)
                if status != 0:
                    self.fail(f"the server exited {status} after SIGTERM")
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.fail("the server did not stop within 40 s of SIGTERM")
        with open(self.log.name, errors="replace") as log:
            text = log.read()
        for pattern in ("worker died", "Fatal error", "AddressSanitizer", "ThreadSanitizer"):
            if pattern in text:
                self.fail(f"the log says {pattern!r} (see {self.log.name})")
        self.check_growth()
        return wrk_results

    def check_growth(self):
        allowances = {"rss": lambda before: before * 0.2 + 16 * 1024, "fds": lambda before: 16, "objects": lambda before: 2000}
        for key, values in self.series.items():
            steady = values[len(values) // 4:]
            if len(steady) < 3:
                continue
            third = len(steady) // 3
            before, after = statistics.median(steady[third:2 * third] or steady[:1]), statistics.median(steady[2 * third:])
            if after - before > allowances[key](before):
                self.fail(f"{key} kept growing: {before:.0f} -> {after:.0f} (samples {values})")
                self.grew = True

    def summary(self, wrk_results):
        def span(key):
            # The medians of each quarter of the run: growth shows as a rising sequence.
            values = self.series[key]
            if len(values) < 4:
                return "/".join(str(value) for value in values) or "-"
            quarter = len(values) // 4
            return "/".join(f"{statistics.median(values[index * quarter:(index + 1) * quarter]):.0f}" for index in range(4))
        total = sum(wrk_results.values())
        counts = " ".join(f"{key} {value}" for key, value in self.counts.items())
        verdict = "ok" if not self.failures else "FAILED"
        return (f"{self.name:15} {verdict:6} wrk {total} requests ({total / self.duration:.0f}/s: keep-alive "
                f"{wrk_results.get('keep-alive', 0)}, pipelined {wrk_results.get('pipelined', 0)}); {counts}; "
                f"RSS KiB by quarter {span('rss')}; fds {span('fds')}; objects {span('objects')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=60, help="seconds per configuration (default 60)")
    parser.add_argument("--sample", type=float, default=2.0, help="seconds between samples (default 2)")
    parser.add_argument("--confirm-growth", action="store_true",
                        help="run a configuration again when growth was its only failure; fail if it grows again "
                             "(for short runs, where one step of the allocator looks like growth)")
    parser.add_argument("configs", nargs="*", default=list(CONFIGS), help=f"configurations (default all: {' '.join(CONFIGS)})")
    arguments = parser.parse_args()
    failed = False
    for name in arguments.configs:
        attempts = 2 if arguments.confirm_growth else 1
        for attempt in range(attempts):
            soak = Soak(name, arguments.duration, min(arguments.sample, max(0.5, arguments.duration / 12)))
            results = soak.run()
            print(soak.summary(results), flush=True)
            for failure in soak.failures:
                print(f"    {failure}", flush=True)
            if not soak.failures:
                os.unlink(soak.log.name)
            only_grew = soak.grew and len(soak.failures) == 1
            if not only_grew or attempt == attempts - 1:
                break
            print(f"    growth was the only failure: running {name} again to confirm it", flush=True)
        failed = failed or bool(soak.failures)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
