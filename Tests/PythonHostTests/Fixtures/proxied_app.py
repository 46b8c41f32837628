"""The application the nginx tests put behind the proxy: it says which instance answered and what
the proxy told it, and streams behind a gate the test opens."""
import json
import os
import time


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/who":
        body = json.dumps({
            "server_name": environ["SERVER_NAME"],
            "server_port": environ["SERVER_PORT"],
            "remote_addr": environ.get("REMOTE_ADDR"),
            "remote_port": environ.get("REMOTE_PORT"),
            "url_scheme": environ["wsgi.url_scheme"],
            "pid": os.getpid(),
        }).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/gate":
        # The first chunk, then nothing until the test creates the flag file: a server or proxy
        # that buffered the response would hold the first chunk back, and the test would never
        # see it.
        flag = environ["QUERY_STRING"]

        def chunks():
            yield b"first\n"
            while not os.path.exists(flag):
                time.sleep(0.01)
            yield b"second\n"

        start_response("200 OK", [("Content-Type", "text/plain")])
        return chunks()
    body = b"Hello"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [body]
