"""An application that leaks on purpose, for worker recycling: `/leak?mb=N` keeps N MiB more
(written, so resident), `/` answers the worker's pid."""

import os

_kept = []


def application(environ, start_response):
    if environ["PATH_INFO"] == "/leak":
        megabytes = int(environ.get("QUERY_STRING", "mb=1").partition("=")[2] or 1)
        _kept.append(b"x" * (megabytes << 20))
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
