"""The PEP 517 build backend of the ``swift-wsgi`` distribution (``pyproject.toml`` points here).

It builds the extension module ``swift_wsgi._native`` with the Swift toolchain against the headers
of the interpreter running the build (``swift build -c release --product swift-wsgi-native``, with
``PKG_CONFIG_PATH`` set to that interpreter's own ``python3.pc``), and writes a wheel for that
interpreter's CPython minor: the Python package, the module, and the metadata. Nothing from PyPI is
needed to build.

The wheel it writes is tagged ``linux_x86_64`` and finds the Swift runtime and libuv where the build
machine has them; ``make wheel`` then grafts them into it with ``auditwheel repair``, which gives
the manylinux tag (README, "Install").

Settings (environment): ``SWIFT`` (the swift command, default ``swift``), ``SWIFT_WSGI_SCRATCH``
(the build folder, default ``.build-python``: one per package checkout, shared by the minors, whose
CPython-dependent modules alone are rebuilt when the minor changes).
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "python" / "swift_wsgi"
PRODUCT = "swift-wsgi-native"
NAME = "swift_wsgi"
SUMMARY = "A WSGI server written in Swift on libuv: gunicorn's command line, make_server and run, in your own Python"


def version() -> str:
    """The release, from the one place the server keeps it (``ServerVersion.swift``)."""
    source = (ROOT / "Sources" / "HTTPServerCore" / "Server" / "ServerVersion.swift").read_text()
    match = re.search(r'current = "([0-9][^"]*)"', source)
    if not match:
        raise RuntimeError("no version in ServerVersion.swift")
    return match.group(1)


def _tag() -> str:
    minor = f"{sys.implementation.name[:2]}{sys.version_info.major}{sys.version_info.minor}"
    if sys.implementation.name != "cpython":
        raise RuntimeError("swift-wsgi builds for CPython only")
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{minor}-{minor}-{platform}"


def _metadata() -> str:
    readme = (ROOT / "python" / "README.md").read_text()
    return (
        "Metadata-Version: 2.1\n"
        f"Name: swift-wsgi\nVersion: {version()}\nSummary: {SUMMARY}\n"
        "Requires-Python: >=3.10\n"
        "Classifier: Programming Language :: Python :: 3\n"
        "Classifier: Programming Language :: Swift\n"
        "Classifier: Operating System :: POSIX :: Linux\n"
        "Classifier: Topic :: Internet :: WWW/HTTP :: WSGI :: Server\n"
        "Description-Content-Type: text/markdown\n\n"
        f"{readme}"
    )


def _build_module() -> Path:
    """Builds the extension module for this interpreter; returns the shared library."""
    swift = os.environ.get("SWIFT", "swift")
    scratch = Path(os.environ.get("SWIFT_WSGI_SCRATCH", ROOT / ".build-python"))
    environment = dict(os.environ)
    # This interpreter's own python3.pc first: the CPython module map then sees its headers.
    libpc = sysconfig.get_config_var("LIBPC")
    if not libpc or not (Path(libpc) / "python3.pc").exists():
        raise RuntimeError(f"no python3.pc for {sys.executable} (LIBPC={libpc!r}): its development files are missing")
    environment["PKG_CONFIG_PATH"] = os.pathsep.join([libpc, environment.get("PKG_CONFIG_PATH", "")]).rstrip(os.pathsep)
    # The scratch folder is shared by the minors: the targets that include Python's headers are
    # rebuilt when the flags change, but clang's module cache would keep the first minor's
    # precompiled CPython module (it checks the headers it read, not which ones the flags now
    # name): emptied when the headers change.
    include = sysconfig.get_paths()["include"]
    stamp = scratch / "python-headers"
    if not stamp.exists() or stamp.read_text() != include:
        shutil.rmtree(scratch / "release" / "ModuleCache", ignore_errors=True)
        scratch.mkdir(parents=True, exist_ok=True)
        stamp.write_text(include)
    command = [swift, "build", "-c", "release", "--product", PRODUCT, "--package-path", str(ROOT), "--scratch-path", str(scratch)]
    print(" ".join(command), f"(PKG_CONFIG_PATH={libpc})", file=sys.stderr, flush=True)
    subprocess.run(command, env=environment, check=True, stdout=sys.stderr)
    library = scratch / "release" / f"lib{PRODUCT}.so"
    if not library.exists():
        raise RuntimeError(f"swift build did not produce {library}")
    return library


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    library = _build_module()
    tag = _tag()
    dist_info = f"{NAME}-{version()}.dist-info"
    files: list[tuple[str, bytes]] = []
    for source in sorted(PACKAGE.iterdir()):
        if source.is_file() and source.suffix in (".py", ".pyi", ".typed"):
            files.append((f"swift_wsgi/{source.name}", source.read_bytes()))
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    files.append((f"swift_wsgi/_native{suffix}", library.read_bytes()))
    files.append((f"{dist_info}/METADATA", _metadata().encode()))
    files.append((f"{dist_info}/WHEEL", f"Wheel-Version: 1.0\nGenerator: swift_wsgi_build\nRoot-Is-Purelib: false\nTag: {tag}\n".encode()))
    files.append((f"{dist_info}/entry_points.txt", b"[console_scripts]\nswift-wsgi = swift_wsgi.__main__:main\n"))
    record = [_record_line(path, data) for path, data in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode()))
    name = f"{NAME}-{version()}-{tag}.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in files:
            info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o755 if path.endswith(".so") else 0o644) << 16
            wheel.writestr(info, data)
    return name


def build_sdist(sdist_directory, config_settings=None):
    """The tracked files of the checkout (``git ls-files``), as ``swift_wsgi-VERSION.tar.gz``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    base = f"{NAME}-{version()}"
    name = f"{base}.tar.gz"
    with tarfile.open(Path(sdist_directory) / name, "w:gz") as archive:
        for path in sorted(filter(None, listed.decode().split("\0"))):
            archive.add(ROOT / path, arcname=f"{base}/{path}", recursive=False)
        metadata = _metadata().encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(metadata)
        archive.addfile(info, io.BytesIO(metadata))
    return name


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []
