"""File downloads through `wsgi.file_wrapper`: the server sends the file with sendfile(2), from
the page cache, without reading it into Python.

    swift-wsgi --chdir Examples/Python download
    curl -OJ localhost:8000/download.py
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def application(environ, start_response):
    name = environ["PATH_INFO"].lstrip("/")
    path = os.path.join(HERE, name)
    # Only files of this directory: no separators, no hidden files.
    if not name or "/" in name or name.startswith(".") or not os.path.isfile(path):
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"not found\n"]
    size = os.path.getsize(path)
    start_response("200 OK", [
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(size)),
        ("Content-Disposition", 'attachment; filename="%s"' % name),
    ])
    stream = open(path, "rb")
    wrapper = environ.get("wsgi.file_wrapper")
    return wrapper(stream, 65536) if wrapper else iter(lambda: stream.read(65536), b"")
