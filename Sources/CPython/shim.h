#ifndef CPYTHON_SHIM_H
#define CPYTHON_SHIM_H
/* CPython's C API (Debian: python3-dev; pkg-config python3, CPython 3.11), for the Python
   host only: the Swift-only server products never link libpython. */
/* The C library first, with its default feature macros: Swift's Glibc module parses it that way,
   while Python.h would define _GNU_SOURCE and _XOPEN_SOURCE before it, which renames members of
   some C library structs (fd_set's fds_bits); clang refuses two different definitions of one
   struct in two modules that a Swift file imports together. Python.h itself needs none of the
   extra declarations. */
#include <features.h>
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif
