"""The streaming application of the Python benchmarks: n chunks of size bytes from a generator
(`/?n=16384&size=65536` is 1 GiB), the same bytes object every time."""
from urllib.parse import parse_qs


def application(environ, start_response):
    query = parse_qs(environ.get("QUERY_STRING", ""))
    count = int(query.get("n", ["16384"])[0])
    size = int(query.get("size", ["65536"])[0])
    block = b"x" * size
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(count * size))])

    def chunks():
        for _ in range(count):
            yield block

    return chunks()


app = application
