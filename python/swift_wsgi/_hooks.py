"""gunicorn's server hooks from a ``-c`` configuration file, called by the ``swift-wsgi`` command
(the Swift side decides when: ``PythonHost/PythonHooks.swift``) with arguments shaped like
gunicorn's: a ``server`` (the master) and a ``worker`` with the attributes hooks commonly use.

A hook that raises is logged with its traceback and serving goes on, as in gunicorn.
"""

from __future__ import annotations

import logging
import os
import runpy
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any

#: The hooks this server calls, each with the arguments gunicorn passes.
SERVER_HOOKS = (
    "on_starting", "when_ready", "pre_fork", "post_fork", "post_worker_init", "worker_int",
    "worker_abort", "pre_exec", "pre_request", "post_request", "child_exit", "worker_exit",
    "nworkers_changed", "on_exit", "on_reload",
)


def _logger() -> logging.Logger:
    """What hooks get as ``server.log`` / ``worker.log``: a logger writing the server's own line
    format on standard error (gunicorn's ``gunicorn.error`` logger)."""
    log = logging.getLogger("swift_wsgi.hooks")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(
            "[%(asctime)s] [%(process)d] [%(levelname)s] swift-wsgi.hooks: %(message)s", "%Y-%m-%d %H:%M:%S %z"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


class Server:
    """The master, as hooks see it (gunicorn's ``Arbiter``): ``pid``, ``cfg``, ``log``,
    ``num_workers``."""

    def __init__(self, hooks: Hooks, pid: int) -> None:
        self.pid = pid
        self.cfg = hooks.cfg
        self.log = hooks.log
        self.num_workers = getattr(hooks.cfg, "workers", 1)


class Worker:
    """A worker, as hooks see it: ``pid`` (None before it started), ``ppid``, ``age`` (its number
    in the order workers were started), ``alive``, ``booted``, ``cfg``, ``log``."""

    def __init__(self, hooks: Hooks, pid: int | None, ppid: int, age: int) -> None:
        self.pid = pid
        self.ppid = ppid
        self.age = age
        self.alive = True
        self.booted = False
        self.cfg = hooks.cfg
        self.log = hooks.log


class Request:
    """A request, as ``pre_request`` and ``post_request`` see it (gunicorn's ``Request``):
    ``method``, ``uri``, ``path``, ``query``, ``version``, ``headers`` (``(NAME, value)`` pairs,
    names upper-cased), ``remote_addr``."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.method = environ.get("REQUEST_METHOD", "")
        self.path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        self.query = environ.get("QUERY_STRING", "")
        self.uri = self.path + ("?" + self.query if self.query else "")
        protocol = environ.get("SERVER_PROTOCOL", "HTTP/1.1")
        major, _, minor = protocol.partition("/")[2].partition(".")
        self.version = (int(major or 1), int(minor or 0))
        self.headers = [(key[5:].replace("_", "-"), value) for key, value in environ.items() if key.startswith("HTTP_")]
        for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            if environ.get(key):
                self.headers.append((key.replace("_", "-"), environ[key]))
        self.remote_addr = environ.get("REMOTE_ADDR", "")


class Response:
    """A response, as ``post_request`` sees it: ``status`` (``"200 OK"``), ``status_code``,
    ``headers``, ``response_length`` (body bytes the application produced)."""

    def __init__(self) -> None:
        self.status = ""
        self.status_code = 0
        self.headers: list[tuple[str, str]] = []
        self.response_length = 0
        self.sent = 0


class Hooks:
    """The hooks of one configuration file, executed again in this process (its settings were read
    by the command already)."""

    def __init__(self, path: str) -> None:
        names = runpy.run_path(path, run_name="__config__")
        self.cfg = SimpleNamespace(**{name: value for name, value in names.items() if not name.startswith("_")})
        self.log = _logger()
        self._hooks: dict[str, Callable[..., Any]] = {
            name: names[name] for name in SERVER_HOOKS if callable(names.get(name))
        }

    @property
    def names(self) -> list[str]:
        """The hooks the file defines."""
        return sorted(self._hooks)

    def _call(self, name: str, *arguments: Any) -> None:
        hook = self._hooks.get(name)
        if hook is None:
            return
        try:
            hook(*arguments)
        except Exception:
            self.log.exception("hook %s raised; serving goes on", name)

    def master(self, name: str, workers: int = 0, pid: int = 0, age: int = 0) -> None:
        """A master's event: ``on_starting``, ``nworkers_changed``, ``when_ready``, ``pre_fork``,
        ``child_exit``, ``on_reload``, ``on_exit``."""
        server = Server(self, os.getpid())
        if name == "nworkers_changed":
            self._call(name, server, workers, None)
        elif name in ("pre_fork", "child_exit"):
            self._call(name, server, Worker(self, pid or None, os.getpid(), age))
        else:
            self._call(name, server)

    def worker(self, name: str, age: int) -> None:
        """A worker's event, in the worker: ``post_fork``, ``post_worker_init``, ``worker_int``,
        ``worker_exit``."""
        worker = Worker(self, os.getpid(), os.getppid(), age)
        worker.booted = name != "post_fork"
        worker.alive = name not in ("worker_int", "worker_exit")
        if name in ("post_fork", "worker_exit"):
            self._call(name, Server(self, os.getppid()), worker)
        else:
            self._call(name, worker)

    def wrap(self, application: Callable[..., Iterable[bytes]], age: int) -> Callable[..., Iterable[bytes]]:
        """``application`` with ``pre_request`` and ``post_request`` around each request (the
        application itself when the file defines neither)."""
        if "pre_request" not in self._hooks and "post_request" not in self._hooks:
            return application
        hooks = self
        worker = Worker(self, os.getpid(), os.getppid(), age)
        worker.booted = True

        def with_request_hooks(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            request = Request(environ)
            hooks._call("pre_request", worker, request)
            response = Response()

            def recording_start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                response.status = status
                response.status_code = int(status.split(" ", 1)[0]) if status[:3].isdigit() else 0
                response.headers = list(headers)
                return start_response(status, headers, exc_info) if exc_info is not None else start_response(status, headers)

            try:
                result = application(environ, recording_start_response)
            except BaseException:
                hooks._call("post_request", worker, request, environ, response)
                raise
            return _Finished(result, lambda: hooks._call("post_request", worker, request, environ, response), response)

        return with_request_hooks


class _Finished:
    """An application's iterable, counted, that calls ``finished`` once after its own ``close()``
    (the server calls ``close()`` whatever happened)."""

    def __init__(self, result: Iterable[bytes], finished: Callable[[], None], response: Response) -> None:
        self._result = result
        self._finished = finished
        self._response = response
        self._started = time.monotonic()

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._result:
            self._response.response_length += len(chunk)
            self._response.sent = self._response.response_length
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            self._finished()
