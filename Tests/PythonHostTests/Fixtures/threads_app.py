"""Threads and the GIL: requests that can only finish together, and a thread of the application's
own that must run while the server idles."""
import os
import threading
from urllib.parse import parse_qs

barrier = threading.Barrier(8, timeout=60)
started = threading.Event()
state = {"mark": None}


def _tick():
    started.wait()
    with open(state["mark"], "w") as marker:
        marker.write("ran")


threading.Thread(target=_tick, daemon=True).start()


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/barrier":
        barrier.wait()
        body = b"passed"
    elif path == "/waiting":
        body = str(barrier.n_waiting).encode()
    elif path == "/start-thread":
        state["mark"] = query["mark"]
        started.set()
        body = b"started"
    else:
        body = b"threads"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
