"""C extension modules, from the standard library's lib-dynload and from the venv: they resolve the
interpreter's symbols in the swift-wsgi executable itself (libpython is linked into it)."""
import _ctypes
import _decimal
import _ssl

import markupsafe
import markupsafe._speedups  # noqa: F401  (the C module itself must load)


def application(environ, start_response):
    body = f"{markupsafe.escape('<ok>')} {_decimal.Decimal('1.5') * 2}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
