#ifndef CPYTHON_SHIM_INCLUDE_H
#define CPYTHON_SHIM_INCLUDE_H
/* What Swift cannot call in CPython's API directly: function-like macros and address-of-object
   macros get static inline wrappers here, and the two Python types that need C struct layouts
   (PyObject_HEAD, PyTypeObject) live in the `_swiftwsgi` extension module (swiftwsgi_module.c).

   Everything here runs with the GIL held. "new" means the caller owns the returned reference,
   "borrowed" that it does not. */
/* The C library first, with its default feature macros: Swift's Glibc module parses it that way,
   while Python.h would define _GNU_SOURCE and _XOPEN_SOURCE before it, which renames members of
   some C library structs (fd_set's fds_bits); clang refuses two different definitions of one
   struct in two modules that a Swift file imports together. Python.h itself needs none of the
   extra declarations. */
#include <features.h>
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* ---- Macro wrappers ---- */

static inline PyObject *swsgi_none(void) { return Py_None; }              /* borrowed */
static inline PyObject *swsgi_true(void) { return Py_True; }              /* borrowed */
static inline PyObject *swsgi_false(void) { return Py_False; }            /* borrowed */
static inline int swsgi_is_bytes(PyObject *o) { return PyBytes_Check(o); }
static inline int swsgi_is_unicode(PyObject *o) { return PyUnicode_Check(o); }
static inline int swsgi_is_exact_list(PyObject *o) { return PyList_CheckExact(o); }
static inline int swsgi_is_exact_tuple(PyObject *o) { return PyTuple_CheckExact(o); }
static inline int swsgi_is_list(PyObject *o) { return PyList_Check(o); }
static inline int swsgi_is_tuple(PyObject *o) { return PyTuple_Check(o); }
/* Items of lists and tuples: borrowed, no bounds check (the caller checked the size). */
static inline PyObject *swsgi_list_item(PyObject *list, Py_ssize_t i) { return PyList_GET_ITEM(list, i); }
static inline Py_ssize_t swsgi_list_size(PyObject *list) { return PyList_GET_SIZE(list); }
static inline PyObject *swsgi_tuple_item(PyObject *tuple, Py_ssize_t i) { return PyTuple_GET_ITEM(tuple, i); }
static inline Py_ssize_t swsgi_tuple_size(PyObject *tuple) { return PyTuple_GET_SIZE(tuple); }
static inline PyTypeObject *swsgi_type(PyObject *o) { return Py_TYPE(o); }
static inline const char *swsgi_type_name(PyObject *o) { return Py_TYPE(o)->tp_name; }
static inline Py_ssize_t swsgi_refcount(PyObject *o) { return Py_REFCNT(o); }
/* Exception classes (Swift sees the PyExc_ globals as shared mutable state). borrowed. */
static inline PyObject *swsgi_type_error(void) { return PyExc_TypeError; }
static inline PyObject *swsgi_value_error(void) { return PyExc_ValueError; }
static inline PyObject *swsgi_runtime_error(void) { return PyExc_RuntimeError; }
static inline PyObject *swsgi_os_error(void) { return PyExc_OSError; }
static inline PyObject *swsgi_keyboard_interrupt(void) { return PyExc_KeyboardInterrupt; }
/* The thread state of the thread holding the GIL when it is the calling thread, else NULL (3.12+)
   or another thread's (3.11 keeps the GIL holder's process-wide): compared with the calling
   thread's own state, whether it holds the GIL now. Never blocks, needs no GIL. */
static inline PyThreadState *swsgi_current_thread_state(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return PyThreadState_GetUnchecked();
#else
    return _PyThreadState_UncheckedGet();
#endif
}
/* Whether the interpreter is finalizing (no thread may take the GIL then: CPython ends a thread
   that tries). Needs no GIL. */
static inline int swsgi_is_finalizing(void) {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing();
#else
    return _Py_IsFinalizing();
#endif
}
/* The thread id CPython knows a thread state by (for PyThreadState_SetAsyncExc). */
static inline unsigned long swsgi_thread_id(PyThreadState *state) { return state->thread_id; }

/* ---- The `_swiftwsgi` module ---- */

/* What the host does for the module's objects. Called with the GIL held, from Python code. A
   function returning PyObject * returns a new reference, or NULL with a Python exception set. */
typedef struct {
    /* start_response(status, headers, exc_info) of the exchange `exchange` (exc_info: NULL when
       absent or None). */
    PyObject *(*start_response)(void *exchange, PyObject *status, PyObject *headers, PyObject *exc_info);
    /* write(data) of the exchange `exchange`. */
    PyObject *(*write)(void *exchange, PyObject *data);
    /* Up to `size` bytes of the request body `body` (all that remains when size < 0). */
    PyObject *(*input_read)(void *body, Py_ssize_t size);
    /* One line of the request body `body`, cut at `size` bytes when size >= 0. */
    PyObject *(*input_readline)(void *body, Py_ssize_t size);
    /* Text for the server's error log (wsgi.errors), UTF-8. */
    void (*log)(const char *utf8, Py_ssize_t length);
} swsgi_callbacks;

/* Installs the host's callbacks and registers `_swiftwsgi` as a built-in module, for an interpreter
   about to start (embedded). Before Py_Initialize. Returns 0, or -1 when the module could not be
   registered. */
int swsgi_prepare_module(const swsgi_callbacks *callbacks);

/* Installs the host's callbacks and puts the `_swiftwsgi` module into sys.modules of the running
   interpreter (the extension module's case; once). With the GIL held. Returns 0, or -1 with a Python
   error set. */
int swsgi_install_module(const swsgi_callbacks *callbacks);

/* ---- The `swift_wsgi._native` extension module ---- */

/* Its functions, implemented by the host. Each is called with the GIL held and returns a new
   reference, or NULL with a Python error set. */
typedef struct {
    PyObject *(*version)(void);
    PyObject *(*command_info)(void);
    PyObject *(*main)(PyObject *argv);
    PyObject *(*server_new)(PyObject *app, PyObject *host, PyObject *port, PyObject *argv);
    PyObject *(*server_address)(PyObject *handle);
    PyObject *(*server_serve)(PyObject *handle);
    PyObject *(*server_shutdown)(PyObject *handle, PyObject *graceful);
    PyObject *(*server_close)(PyObject *handle);
} swsgi_native_functions;

/* The `swift_wsgi._native` module object over `functions` (kept; they must live as long as the
   process). For PyInit__native. new, or NULL with a Python error set. */
PyObject *swsgi_native_module_create(const swsgi_native_functions *functions);

/* A capsule holding `pointer` (an owned Swift object), released by `destructor` when the capsule
   goes (with the GIL held). new. */
PyObject *swsgi_capsule_new(void *pointer, void (*destructor)(void *pointer));
/* The pointer of a capsule made by swsgi_capsule_new, or NULL with TypeError set. */
void *swsgi_capsule_pointer(PyObject *capsule);

/* A Context: what a start_response and a write callable act on. It points at an exchange
   (unowned, NULL when none: the callables then raise RuntimeError). new. */
PyObject *swsgi_context_new(void);
void swsgi_context_set_exchange(PyObject *context, void *exchange);
/* A start_response or write callable bound to `context` (holding a reference to it). new. */
PyObject *swsgi_context_start_response(PyObject *context);
PyObject *swsgi_context_write(PyObject *context);

/* A wsgi.input object; it reads the body set with swsgi_input_set_body (unowned; NULL: an empty
   body). new. */
PyObject *swsgi_input_new(void);
void swsgi_input_set_body(PyObject *input, void *body);

#endif
