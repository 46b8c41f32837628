"""swift-wsgi: a WSGI server written in Swift on libuv, in your own Python.

The server is the extension module ``swift_wsgi._native``: it runs inside this interpreter, so the
application, its C extensions and its virtual environment are simply this Python's.

Three ways to serve, from the simplest:

- ``make_server(host, port, app)``, as wsgiref's: ``make_server("127.0.0.1", 8051, app).serve_forever()``;
- ``run(app, host, port, threads=...)``, as bjoern's ``run``: serves until Ctrl-C or SIGTERM;
- ``serve("module:app", workers=N)``: the ``swift-wsgi`` command from Python, with worker
  processes (a worker imports the application itself: pass an import string, not an object).

Options are the command line's settings, with the same names written as keywords
(``--access-logfile`` is ``access_logfile=``) and the same defaults: ``swift-wsgi --help`` lists them.
A flag takes ``True``; an option given several times (``bind``, ``forwarded_allow_ips`` as a list)
takes a list.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from . import _native
from ._options import arguments

__all__ = ["WSGIServer", "make_server", "run", "serve", "__version__"]

__version__: str = _native.version()

#: A WSGI application: ``application(environ, start_response) -> iterable of bytes``.
WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class WSGIServer:
    """A server bound to ``(host, port)`` and ready to serve ``app`` (``make_server`` makes one).

    As ``socketserver``'s servers: ``serve_forever()`` serves until ``shutdown()`` is called from
    another thread; ``server_close()`` lets go of the socket; ``server_address`` is the address bound
    (``port=0`` picks a free one); a ``with`` block closes the server at its end.
    """

    def __init__(self, host: str, port: int, app: WSGIApplication, **options: Any) -> None:
        if not callable(app):
            raise TypeError(f"app must be a WSGI callable, not {type(app).__name__}")
        argv = arguments(options, server_call="make_server")
        self._handle = _native.server_new(app, str(host), int(port), argv)
        self.server_address: tuple[str, int] = _native.server_address(self._handle)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        """Serves until ``shutdown()``. The GIL is released while the server waits for the network:
        the program's other threads run. Ctrl-C stops the server at once and raises
        ``KeyboardInterrupt`` here, as wsgiref does; SIGTERM (in the main thread) drains in-flight
        requests, then returns. ``poll_interval`` is accepted for ``socketserver``'s signature."""
        del poll_interval
        if threading.current_thread() is not threading.main_thread():
            _native.server_serve(self._handle)
            return
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: self.shutdown())
        # The two signals reach this thread while it serves, even when the process was started
        # with them blocked (a mask is inherited: some supervisors and test runners block them).
        mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
        try:
            _native.server_serve(self._handle)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)

    def shutdown(self, graceful: bool = True) -> None:
        """Stops ``serve_forever()``, from any thread: in-flight requests finish (within the graceful
        timeout) unless ``graceful`` is false. Returns at once; ``serve_forever()`` returns once the
        server stopped."""
        _native.server_shutdown(self._handle, graceful)

    def server_close(self) -> None:
        """Closes the listening socket (the server must not be serving)."""
        _native.server_close(self._handle)

    def __enter__(self) -> WSGIServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None) -> None:
        self.server_close()


def make_server(host: str, port: int, app: WSGIApplication, **options: Any) -> WSGIServer:
    """A server for ``app`` on ``(host, port)``, bound at once, as ``wsgiref.simple_server.make_server``:

        from swift_wsgi import make_server
        make_server("127.0.0.1", 8051, application).serve_forever()

    ``options`` are the command line's serving settings (``threads=4``, ``access_logfile="-"``, ...);
    an unknown one is a ``TypeError``, a bad value a ``ValueError`` naming it. Worker processes need
    an import string: use ``serve()``."""
    return WSGIServer(host, port, app, **options)


def run(app: WSGIApplication, host: str = "127.0.0.1", port: int = 8000, **options: Any) -> None:
    """Serves ``app`` on ``(host, port)`` until Ctrl-C (``KeyboardInterrupt``) or SIGTERM, as
    ``bjoern.run``. ``threads=N`` runs the application on N threads instead of the event loop's."""
    with make_server(host, port, app, **options) as server:
        server.serve_forever()


def serve(target: str, **options: Any) -> int:
    """Runs the ``swift-wsgi`` command in this process for ``target`` (``"module:callable"``), and
    returns its exit status: ``serve("mysite.wsgi:application", workers=4, bind="0.0.0.0:8000")``.

    With ``workers=N`` this process supervises N worker processes, each started with this Python
    (``sys.executable -m swift_wsgi``) and importing ``target`` itself: an object cannot be handed to
    a new process, which is why this takes an import string. Stop signals stop the server as on the
    command line."""
    if not isinstance(target, str):
        raise TypeError(f"target must be an import string such as 'module:application', not {type(target).__name__}")
    return _native.main([target, *arguments(options, server_call="serve")])
