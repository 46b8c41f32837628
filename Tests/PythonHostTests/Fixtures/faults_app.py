"""Applications that fail the hard ways: the server answers 500 and keeps serving."""


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/memory":
        raise MemoryError("out of memory, deliberately")
    if path == "/exit":
        raise SystemExit(3)
    if path == "/interrupt":
        raise KeyboardInterrupt()
    if path == "/exit-in-body":
        def body():
            raise SystemExit(4)
            yield b""

        start_response("200 OK", [("Content-Type", "text/plain")])
        return body()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
