#ifndef CPYTHON_SHIM_H
#define CPYTHON_SHIM_H
/* CPython's C API (Debian: python3-dev; pkg-config python3-embed, CPython 3.11), for the Python
   host only: the Swift-only server products never link libpython. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#endif
