"""The Python application `make soak` serves with swift-wsgi: the routes of the bundled echo app that
the soak uses, plus the live-object count and the legacy write().

- any other path: reads the whole body, answers JSON {"body_size": N} with Content-Length;
- /stream?n=N&size=S: N chunks of S bytes from a generator, no Content-Length;
- /write?n=N&size=S: the same bytes through write();
- /objects: len(gc.get_objects()) after a collection, as text.
"""
import gc
import json
from urllib.parse import parse_qs


def _query(environ):
    return {key: int(values[0]) for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}


def _chunks(count, size):
    block = b"x" * size
    for _ in range(count):
        yield block


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    query = _query(environ)
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _chunks(query.get("n", 5), query.get("size", 10))
    if path == "/write":
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        for block in _chunks(query.get("n", 5), query.get("size", 10)):
            write(block)
        return []
    if path == "/objects":
        gc.collect()
        body = str(len(gc.get_objects())).encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]
    stream = environ["wsgi.input"]
    size = 0
    while True:
        block = stream.read(65536)
        if not block:
            break
        size += len(block)
    body = json.dumps({"body_size": size}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
