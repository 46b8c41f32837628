"""A plain WSGI application whose routes exercise the server's side of PEP 3333, for the tests."""
import gc
import io
import json
import os
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs

closed = {"count": 0}
yielded = {"chunks": 0}


def _query(environ):
    return {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _text(start_response, body, status="200 OK", headers=(), exc_info=None):
    data = body.encode("utf-8") if isinstance(body, str) else body
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(data)))] + list(headers), exc_info)
    return [data]


def _json(start_response, value):
    data = json.dumps(value, sort_keys=True).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class Closing:
    """An iterable whose close() is recorded (in a file when `mark` is set)."""

    def __init__(self, chunks, mark=None):
        self.chunks = chunks
        self.mark = mark

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        closed["count"] += 1
        if self.mark:
            with open(self.mark, "w") as marker:
                marker.write("closed")


def _mark(query):
    """Tells a test the request has reached the application: writes the file `mark`."""
    if "mark" in query:
        with open(query["mark"], "w") as marker:
            marker.write("here")


def _progress(path, text):
    """Tells a test how far the application got, and on which thread: writes `text` and the
    thread's native id to the file `path` (read from /proc by the test)."""
    if path:
        with open(path, "w") as marker:
            marker.write(f"{text} {threading.get_native_id()}")


def _forever(size, progress=None):
    block = b"x" * size
    while True:
        yielded["chunks"] += 1
        _progress(progress, f"yielded {yielded['chunks']}")
        yield block


def _chunks(count, size):
    block = b"x" * size
    for _ in range(count):
        yield block


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = _query(environ)

    if path.startswith("/environ"):
        described = {k: v for k, v in environ.items() if isinstance(v, str)}
        described["types"] = {k: type(v).__name__ for k, v in environ.items()}
        described["wsgi.version"] = list(environ["wsgi.version"])
        for key in ("wsgi.input_terminated", "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"):
            described[key] = environ[key]
        described["errors"] = all(hasattr(environ["wsgi.errors"], m) for m in ("write", "writelines", "flush"))
        described["input"] = all(hasattr(environ["wsgi.input"], m) for m in ("read", "readline", "readlines", "__iter__"))
        return _json(start_response, described)

    if path == "/lines":
        return _json(start_response, [line.decode("latin-1") for line in environ["wsgi.input"]])

    if path == "/reads":
        stream = environ["wsgi.input"]
        first = stream.read(3)
        line = stream.readline()
        short = stream.readline(2)
        lines = stream.readlines()
        rest = stream.read()
        return _json(start_response, [x.decode("latin-1") if isinstance(x, bytes) else [y.decode("latin-1") for y in x]
                                      for x in (first, line, short, lines, rest)])

    if path == "/lazy":
        def lazy():
            start_response("201 Created", [("Content-Type", "text/plain"), ("X-Lazy", "yes")])
            yield b""
            yield b"lazy body"
        return lazy()

    if path == "/exc-info-before":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            raise ValueError("changed my mind")
        except ValueError:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"recovered"]

    if path == "/exc-info-after":
        def failing():
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"partial "
            try:
                raise ValueError("too late")
            except ValueError:
                start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
            yield b"never sent"
        return failing()

    if path == "/second-start-response":
        start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            start_response("200 OK", [("Content-Type", "text/plain")])
        except Exception as error:  # the server refuses a second call without exc_info
            return [type(error).__name__.encode()]
        return [b"accepted a second call"]

    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one ")
        write(b"")
        write(b"two ")
        return [b"three"]

    if path == "/write-big":
        # n blocks written with write(); around each, the file `progress` says "entered i" or
        # "left i" (a test sees a write() that waits for its client).
        count, size = int(query["n"]), int(query.get("size", "65536"))
        write = start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                          ("Content-Length", str(count * size))])
        block = b"w" * size
        progress = query.get("progress")
        for index in range(count):
            _progress(progress, f"entered {index}")
            write(block)
            _progress(progress, f"left {index}")
        return []

    if path == "/write-then-wait":
        # write(b"x"), then wait (at most 20 s) for the test to make the file `mark`, then "y": the
        # test sees "x" while the application still waits.
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"x")
        for _ in range(2000):
            if os.path.exists(query["mark"]):
                break
            time.sleep(0.01)
        return [b"y"]

    if path == "/hgweb":
        # Mercurial's hgweb serving /archive/tip.tar.gz: the returned generator starts the response
        # and writes the whole archive from its first step, then ends without yielding.
        size = int(query.get("size", "1048576"))

        def archive():
            write = start_response("200 OK", [("Content-Type", "application/x-gzip"),
                                              ("Content-Disposition", "attachment; filename=tip.tar.gz")])
            block = bytes(range(256)) * 256
            for offset in range(0, size, len(block)):
                write(block[: min(len(block), size - offset)])
            return
            yield

        return archive()

    if path == "/hash":
        # Reads the body in 64 KiB blocks as it arrives; answers its size and CRC-32.
        stream, size, crc = environ["wsgi.input"], 0, 0
        while True:
            block = stream.read(65536)
            if not block:
                break
            size += len(block)
            crc = zlib.crc32(block, crc)
        return _text(start_response, f"{size} {crc}")

    if path == "/write-str":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        try:
            write("text")
        except TypeError:
            return [b"TypeError"]
        return [b"accepted str"]

    if path == "/bad-headers":
        kind = query.get("kind")
        headers = {"tuple": (("Content-Type", "text/plain"),), "bytes": [(b"Content-Type", b"text/plain")],
                   "crlf": [("X-Bad", "a\r\nb")], "hop": [("Connection", "close")],
                   "nonlatin": [("X-Name", "\u20ac")], "status": None}.get(kind, [])
        try:
            if kind == "status":
                start_response(b"200 OK", [])
            else:
                start_response("200 OK", headers)
        except Exception as error:
            # A refused call counts: replacing it takes exc_info, as after any error.
            return _text(start_response, f"{type(error).__name__}: {error}", "400 Bad Request", exc_info=sys.exc_info())
        return [b"accepted"]

    if path == "/stream":
        n = int(query.get("n", "3"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"chunk%d\n" % i for i in range(n)], query.get("mark"))

    if path == "/forever":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return Closing(_forever(int(query.get("size", "65536")), query.get("progress")), query.get("mark"))

    if path == "/yielded":
        return _text(start_response, str(yielded["chunks"]))

    if path == "/big":
        count, size = int(query["n"]), int(query.get("size", "65536"))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(count * size))])
        return _chunks(count, size)

    if path == "/raise-after-start":
        def raising():
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"first\n"
            raise RuntimeError("deliberate failure mid-stream")
        return Closing(raising(), query.get("mark"))

    if path == "/raise":
        raise RuntimeError("deliberate failure before start_response")

    if path == "/no-start-response":
        return [b"body without a head"]

    if path == "/bytes-result":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return b"a bytes object, not a list"

    if path == "/errors-stream":
        errors = environ["wsgi.errors"]
        errors.write("first line from the application\n")
        errors.writelines(["second ", "line\n"])
        errors.write("unterminated")
        errors.flush()
        return _text(start_response, "logged")

    if path == "/file":
        handle = open(query["path"], "rb")
        if "skip" in query:
            handle.read(int(query["skip"]))
        headers = [("Content-Type", "application/octet-stream")]
        if "length" in query:
            headers.append(("Content-Length", query["length"]))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](handle, 4096)

    if path == "/filelike":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return environ["wsgi.file_wrapper"](io.BytesIO(b"from a BytesIO\n" * 3), 8)

    if path == "/closed":
        return _text(start_response, str(closed["count"]))

    if path == "/objects":
        gc.collect()
        return _text(start_response, str(len(gc.get_objects())))

    if path == "/spin":
        _mark(query)
        while True:
            pass

    if path == "/sleep":
        _mark(query)
        time.sleep(float(query.get("seconds", "0.1")))
        return _text(start_response, "slept")

    if path == "/python":
        return _json(start_response, {"prefix": sys.prefix, "executable": sys.executable,
                                      "version": sys.version.split()[0], "path0": sys.path[0],
                                      "main_thread": threading.current_thread() is threading.main_thread()})

    return _text(start_response, "checks")
