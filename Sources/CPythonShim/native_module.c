/* The `swift_wsgi._native` extension module: a table of functions whose bodies are the host's
 * (Swift, in the PythonExtension target), and the capsule that carries a server to Python.
 *
 * The module is made by PyInit__native (Swift, @_cdecl) with the host's function table; each
 * function here checks its arguments' count and forwards. Everything runs with the GIL held.
 */
#include "CPythonShim.h"

static swsgi_native_functions native;

static PyObject *native_version(PyObject *module, PyObject *unused) {
    (void)module; (void)unused;
    return native.version();
}

static PyObject *native_command_info(PyObject *module, PyObject *unused) {
    (void)module; (void)unused;
    return native.command_info();
}

static PyObject *native_main(PyObject *module, PyObject *argv) {
    (void)module;
    return native.main(argv);
}

static PyObject *native_server_new(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "server_new() takes 4 arguments (%zd given)", nargs);
        return NULL;
    }
    return native.server_new(args[0], args[1], args[2], args[3]);
}

static PyObject *native_server_address(PyObject *module, PyObject *handle) {
    (void)module;
    return native.server_address(handle);
}

static PyObject *native_server_serve(PyObject *module, PyObject *handle) {
    (void)module;
    return native.server_serve(handle);
}

static PyObject *native_server_shutdown(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError, "server_shutdown() takes 2 arguments (%zd given)", nargs);
        return NULL;
    }
    return native.server_shutdown(args[0], args[1]);
}

static PyObject *native_server_close(PyObject *module, PyObject *handle) {
    (void)module;
    return native.server_close(handle);
}

static PyMethodDef native_methods[] = {
    {"version", native_version, METH_NOARGS, "version(): the release"},
    {"command_info", native_command_info, METH_NOARGS, "command_info(): the swift-wsgi command's settings, as JSON"},
    {"main", native_main, METH_O, "main(argv): runs the swift-wsgi command; returns its exit status"},
    {"server_new", (PyCFunction)(void (*)(void))native_server_new, METH_FASTCALL, "server_new(app, host, port, argv)"},
    {"server_address", native_server_address, METH_O, "server_address(handle)"},
    {"server_serve", native_server_serve, METH_O, "server_serve(handle)"},
    {"server_shutdown", (PyCFunction)(void (*)(void))native_server_shutdown, METH_FASTCALL, "server_shutdown(handle, graceful)"},
    {"server_close", native_server_close, METH_O, "server_close(handle)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_def = {
    PyModuleDef_HEAD_INIT, "swift_wsgi._native", "swift-wsgi's server (Swift on libuv).", -1, native_methods,
};

PyObject *swsgi_native_module_create(const swsgi_native_functions *functions) {
    /* One wheel per CPython minor: a module built against another minor's headers would misread
       the interpreter's structures. Py_GetVersion() is "3.12.1 (main, ...". */
    const char *running = Py_GetVersion();
    char built[16];
    snprintf(built, sizeof built, "%d.%d.", PY_MAJOR_VERSION, PY_MINOR_VERSION);
    if (strncmp(running, built, strlen(built)) != 0) {
        PyErr_Format(PyExc_ImportError, "swift_wsgi._native was built for Python %d.%d, not %.10s: install the wheel for this Python",
                     PY_MAJOR_VERSION, PY_MINOR_VERSION, running);
        return NULL;
    }
    native = *functions;
    return PyModule_Create(&native_def);
}

/* ---- Capsules ---- */

static const char *capsule_name = "swift_wsgi._native.handle";

typedef struct {
    void *pointer;
    void (*destructor)(void *);
} CapsuleContent;

static void capsule_destroy(PyObject *capsule) {
    CapsuleContent *content = PyCapsule_GetPointer(capsule, capsule_name);
    if (!content) {
        PyErr_Clear();
        return;
    }
    content->destructor(content->pointer);
    PyMem_Free(content);
}

PyObject *swsgi_capsule_new(void *pointer, void (*destructor)(void *)) {
    CapsuleContent *content = PyMem_Malloc(sizeof(CapsuleContent));
    if (!content) return PyErr_NoMemory();
    content->pointer = pointer;
    content->destructor = destructor;
    PyObject *capsule = PyCapsule_New(content, capsule_name, capsule_destroy);
    if (!capsule) PyMem_Free(content);
    return capsule;
}

void *swsgi_capsule_pointer(PyObject *capsule) {
    CapsuleContent *content = PyCapsule_GetPointer(capsule, capsule_name);
    if (!content) {
        PyErr_Clear();
        PyErr_SetString(PyExc_TypeError, "not a swift-wsgi server handle");
        return NULL;
    }
    return content->pointer;
}
