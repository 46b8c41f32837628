"""Applications for the in-memory tests of the Python gateway (Tests/PythonGatewayTests).

Body blocks are `Tracked` bytes, which count themselves: `alive()` says how many the server still
holds, so a test sees every reference given back (with the GIL, or the interpreter would crash).
"""

events = []
_alive = [0]


class Tracked(bytes):
    """A bytes block that counts how many of its kind are alive."""

    def __new__(cls, data):
        _alive[0] += 1
        return super().__new__(cls, data)

    def __del__(self):
        _alive[0] -= 1


def alive():
    return _alive[0]


def _query(environ):
    pairs = (item.split("=", 1) for item in environ["QUERY_STRING"].split("&") if "=" in item)
    return dict(pairs)


def application(environ, start_response):
    path = environ["PATH_INFO"]
    query = _query(environ)
    size = int(query.get("size", "65536"))

    if path == "/write":
        # Each block of `blocks` with its own write(), then "end" as the body.
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        for text in query.get("blocks", "a,bb,ccc").split(","):
            write(text.encode())
        return [b"end"]

    if path == "/write-blocks":
        # n tracked blocks with write(); a failed write is recorded, then raised.
        write = start_response("200 OK", [("Content-Type", "application/octet-stream")])
        try:
            for _ in range(int(query.get("n", "4"))):
                write(Tracked(b"w" * size))
        except OSError:
            events.append("write failed")
            raise
        return []

    if path == "/yield-blocks":
        # n tracked blocks yielded by a generator.
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return (Tracked(b"y" * size) for _ in range(int(query.get("n", "4"))))

    if path == "/hgweb":
        # Mercurial's hgweb serving an archive: the returned generator starts the response and
        # writes it all from its first step, then ends without yielding.
        def archive():
            write = start_response("200 OK", [("Content-Type", "application/x-gzip")])
            write(Tracked(b"a" * size))
            write(b"tail")
            return
            yield

        return archive()

    if path == "/iterate-write":
        # write() from a later step of the iteration, around what the steps yield.
        write = start_response("200 OK", [("Content-Type", "text/plain")])

        def body():
            write(b"a")
            yield b"b"
            write(b"c")
            yield b"d"

        return body()

    if path == "/read":
        # Reads the whole body; a failed read is recorded, then raised.
        try:
            data = environ["wsgi.input"].read()
        except OSError:
            events.append("read failed")
            raise
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(len(data)).encode()]

    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]
