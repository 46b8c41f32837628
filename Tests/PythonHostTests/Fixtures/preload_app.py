"""For --preload: answers the pid of the process that imported this module, the worker's own pid,
and how many objects gc.freeze() moved (JSON)."""

import gc
import json
import os

IMPORTED_BY = os.getpid()


def application(environ, start_response):
    body = json.dumps({"imported_by": IMPORTED_BY, "pid": os.getpid(), "frozen": gc.get_freeze_count()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
