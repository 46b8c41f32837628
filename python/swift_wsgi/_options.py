"""Keyword options to command-line arguments: the command line's own definition of its settings
(``_native.command_info()``, ArgumentParser's description of the ``swift-wsgi`` command) is the one
list of names, kinds and defaults; nothing here repeats it."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from . import _native

#: What ``make_server`` and ``run`` cannot take, and why: they serve one application object in this
#: process, on the address they are given.
_NOT_FOR_ONE_SERVER = {
    "bind": "give the address as host and port",
    "workers": "worker processes need an import string: use serve()",
    "reload": "reloading restarts worker processes: use serve()",
    "config": "a configuration file is the command line's: use serve()",
    "check_config": "use serve()",
    "pid": "use serve()",
    "chdir": "change directory before importing the application",
    "wsgi_file": "pass the application object",
    "callable": "pass the application object",
    "pythonpath": "set sys.path before importing the application",
    "venv": "the server runs in this interpreter",
    "import_timeout": "the application is already imported",
}


@lru_cache(maxsize=1)
def _settings() -> dict[str, tuple[str, bool, bool]]:
    """Keyword name -> (flag as written, takes a value, repeatable), for every named setting."""
    info = json.loads(_native.command_info())
    settings: dict[str, tuple[str, bool, bool]] = {}
    for argument in info["command"].get("arguments", []):
        names = [name["name"] for name in argument.get("names", []) if name.get("kind") in ("long", "longWithSingleDash")]
        if not names or argument.get("kind") == "positional":
            continue
        takes_value = argument.get("kind") == "option"
        for name in names:
            if name in ("help", "version"):
                continue
            settings[name.replace("-", "_")] = ("--" + name, takes_value, bool(argument.get("isRepeating")))
    return settings


def arguments(options: dict[str, Any], server_call: str) -> list[str]:
    """The command-line arguments for ``options`` given to ``server_call``: a ``TypeError`` for an
    unknown keyword or a value of the wrong kind (the command line then reports a bad value as a
    ``ValueError`` naming the option)."""
    settings = _settings()
    argv: list[str] = []
    for key, value in options.items():
        if key not in settings:
            raise TypeError(f"{server_call}() got an unexpected keyword argument {key!r}")
        if server_call != "serve" and key in _NOT_FOR_ONE_SERVER:
            raise TypeError(f"{server_call}() does not take {key!r}: {_NOT_FOR_ONE_SERVER[key]}")
        flag, takes_value, repeatable = settings[key]
        if not takes_value:
            if not isinstance(value, bool):
                raise TypeError(f"{key} is a flag: pass True or False, not {type(value).__name__}")
            if value:
                argv.append(flag)
            continue
        if value is None:
            continue
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if len(values) > 1 and not repeatable:
            raise TypeError(f"{key} takes one value, not {len(values)}")
        for item in values:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise TypeError(f"{key} takes a str or a number, not {type(item).__name__}")
            argv += [flag, str(item)]
    return argv
