/// The part of the host written in Python, run once at startup as the module `_swiftwsgi_support`:
/// what is plain Python in every server (loading `module:callable` as gunicorn does, the
/// `wsgi.file_wrapper` class, the `wsgi.errors` stream, traceback formatting). The hot path (the
/// environ, start_response, write, wsgi.input, the body's iteration) is Swift and C.
enum SupportSource {
    static let moduleName = "_swiftwsgi_support"

    static let text = #"""
"""swift-wsgi's Python side: application loading, wsgi.file_wrapper, wsgi.errors."""
import ast
import importlib
import importlib.util
import os
import sys
import threading
import traceback

import _swiftwsgi


class LoadError(Exception):
    """The application could not be loaded; str() is the one-line reason."""


def prepare_path(directory, extra):
    """sys.path as gunicorn arranges it: --pythonpath entries first, then the working directory."""
    for entry in reversed([os.path.abspath(p) for p in extra] + [directory]):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def add_venv(venv):
    """--venv for a server running inside an interpreter: that virtual environment's packages, when
    it was made by this interpreter's minor version (its own venv needs no naming)."""
    import site
    config = os.path.join(venv, "pyvenv.cfg")
    if not os.path.isfile(config):
        raise LoadError(f"{venv} is not a virtual environment (no pyvenv.cfg)")
    if os.path.realpath(venv) == os.path.realpath(sys.prefix):
        return
    minor = f"{sys.version_info.major}.{sys.version_info.minor}"
    with open(config) as lines:
        for line in lines:
            key, _, value = line.partition("=")
            if key.strip() in ("version", "version_info") and not (value.strip() == minor or value.strip().startswith(minor + ".")):
                raise LoadError(f"the virtual environment {venv} is for Python {value.strip()}; this is Python {minor}: "
                                f"install swift-wsgi into that venv and run its swift-wsgi")
    site.addsitedir(os.path.join(venv, "lib", f"python{minor}", "site-packages"))


def load(spec, wsgi_file, callable_name):
    """The WSGI callable named by `module:expression` (gunicorn) or found in a file (uWSGI)."""
    if wsgi_file:
        path = os.path.abspath(wsgi_file)
        if not os.path.isfile(path):
            raise LoadError(f"No such file: {wsgi_file!r}.")
        name = os.path.splitext(os.path.basename(path))[0]
        if not name.isidentifier() or name in sys.modules:
            name = "wsgi_file_" + "".join(c if c.isalnum() else "_" for c in path)
        module_spec = importlib.util.spec_from_file_location(name, path)
        if module_spec is None:
            raise LoadError(f"Cannot load {wsgi_file!r}: not a Python source file.")
        directory = os.path.dirname(path)
        if directory not in sys.path:
            sys.path.insert(0, directory)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        try:
            module_spec.loader.exec_module(module)
        except (Exception, SystemExit) as error:
            del sys.modules[name]
            raise LoadError(f"Error while importing {wsgi_file!r}: {_one_line(error)}") from error
        return _resolve(module, callable_name or "application", wsgi_file)

    module_name, _, expression = spec.partition(":")
    expression = expression or callable_name or "application"
    if not module_name:
        raise LoadError(f"No module in {spec!r}: expected MODULE:CALLABLE, e.g. web_application:application.")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            hint = ""
            if module_name.endswith(".py"):
                hint = f" Did you mean '{module_name[:-3]}:{expression}'?"
            raise LoadError(f"No module named {error.name!r} (looked in {sys.path[0]!r} and sys.path).{hint}") from None
        raise LoadError(f"Error while importing {module_name!r}: {_one_line(error)}") from error
    except (Exception, SystemExit) as error:
        raise LoadError(f"Error while importing {module_name!r}: {_one_line(error)}") from error
    return _resolve(module, expression, module_name)


def _one_line(error):
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__


def _resolve(module, expression, where):
    """`name`, `name.attribute` or a factory call `name(literal, key=literal)` in `module`."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        raise LoadError(f"Failed to parse {expression!r} as an attribute name or function call.") from None
    call = isinstance(node, ast.Call)
    args, kwargs = [], {}
    if call:
        try:
            args = [ast.literal_eval(argument) for argument in node.args]
            kwargs = {keyword.arg: ast.literal_eval(keyword.value) for keyword in node.keywords}
        except ValueError:
            raise LoadError(f"Failed to parse arguments of {expression!r}: only literal values are allowed.") from None
        node = node.func
    names = []
    while isinstance(node, ast.Attribute):
        names.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        raise LoadError(f"Failed to parse {expression!r} as an attribute name or function call.")
    names.insert(0, node.id)
    found = module
    for index, name in enumerate(names):
        try:
            found = getattr(found, name)
        except AttributeError:
            raise LoadError(f"Failed to find attribute {'.'.join(names[:index + 1])!r} in {where!r}.") from None
    if call:
        try:
            found = found(*args, **kwargs)
        except Exception as error:
            raise LoadError(f"Error calling the application factory {expression!r}: {_one_line(error)}") from error
    if found is None:
        raise LoadError(f"The application {expression!r} in {where!r} is None.")
    if not callable(found):
        raise LoadError(f"Application object {expression!r} in {where!r} is not callable (it is a {type(found).__name__}).")
    return found


class FileWrapper:
    """wsgi.file_wrapper: the server sends a real file with sendfile(2); anything else with a
    read() method (a BytesIO...) is iterated in blocks."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


class ErrorStream:
    """wsgi.errors: a text stream into the server's error log, one record per line."""

    def __init__(self):
        self._pending = {}

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"wsgi.errors.write() takes str, not {type(text).__name__}")
        thread = threading.get_ident()
        pending = self._pending.pop(thread, "") + text
        *lines, rest = pending.split("\n")
        for line in lines:
            _swiftwsgi.log(line)
        if rest:
            self._pending[thread] = rest
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        rest = self._pending.pop(threading.get_ident(), None)
        if rest:
            _swiftwsgi.log(rest)

    def isatty(self):
        return False


errors = ErrorStream()


def format_exception(kind, value, tb):
    """A traceback as text, as Python prints it."""
    return "".join(traceback.format_exception(kind, value, tb)).rstrip("\n")


def format_load_error(error):
    """(one-line reason, traceback of its cause or None) for a LoadError."""
    cause = error.__cause__
    if cause is None:
        return str(error), None
    return str(error), format_exception(type(cause), cause, cause.__traceback__)
"""#
}
