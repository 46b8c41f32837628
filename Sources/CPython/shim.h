#ifndef CPYTHON_SHIM_H
#define CPYTHON_SHIM_H
/* CPython's C API, for the Python host only, from the headers `pkg-config python3` finds: by
   default Debian's 3.11 (python3-dev); the Python package's build points PKG_CONFIG_PATH at the
   interpreter it builds for (3.10 to 3.13). Nothing links libpython but the processes that embed
   an interpreter (the in-memory tests, the Python fuzzer). */
/* The C library first, with its default feature macros: Swift's Glibc module parses it that way,
   while Python.h would define _GNU_SOURCE and _XOPEN_SOURCE before it, which renames members of
   some C library structs (fd_set's fds_bits); clang refuses two different definitions of one
   struct in two modules that a Swift file imports together. Python.h itself needs none of the
   extra declarations. */
#include <features.h>
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000
/* CPython 3.10 spells these as function-like macros, which Swift cannot call (3.11 made them
   static inline functions of the same names): the same, as functions. Each helper is defined
   while the macro still exists, so it expands the macro; then the name becomes the function. */
static inline void cpython_shim_decref(PyObject *o) { Py_DECREF(o); }
static inline void cpython_shim_xdecref(PyObject *o) { Py_XDECREF(o); }
static inline Py_ssize_t cpython_shim_bytes_size(PyObject *o) { return PyBytes_GET_SIZE(o); }
static inline char *cpython_shim_bytes_string(PyObject *o) { return PyBytes_AS_STRING(o); }
#undef Py_DECREF
#undef Py_XDECREF
#undef PyBytes_GET_SIZE
#undef PyBytes_AS_STRING
static inline void Py_DECREF(PyObject *o) { cpython_shim_decref(o); }
static inline void Py_XDECREF(PyObject *o) { cpython_shim_xdecref(o); }
static inline Py_ssize_t PyBytes_GET_SIZE(PyObject *o) { return cpython_shim_bytes_size(o); }
static inline char *PyBytes_AS_STRING(PyObject *o) { return cpython_shim_bytes_string(o); }
#endif
#endif
