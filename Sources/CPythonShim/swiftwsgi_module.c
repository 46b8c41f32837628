/* The `_swiftwsgi` extension module: the Python objects of PEP 3333 that need a C layout.
 *
 *  - Context: what a request's start_response and write act on. The host makes one per exchange
 *    and the two callables once per Context (PyCFunctions bound to it), so a request allocates
 *    neither; the Context points at the host's exchange, or at nothing once it is over.
 *  - Input: wsgi.input, a file-like reader of the request body (read, readline, readlines,
 *    iteration by lines, close), reading through the host's callbacks.
 *  - log(text): what the wsgi.errors stream writes (the stream itself is Python code, in the host).
 *
 * Everything here runs with the GIL held (it is called from Python code). Objects hold no Python
 * references, so they need no cycle collection.
 */
#include "CPythonShim.h"

static swsgi_callbacks callbacks;

/* ---- Context ---- */

typedef struct {
    PyObject_HEAD
    void *exchange; /* unowned; NULL when no response is in progress */
} ContextObject;

static PyTypeObject ContextType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_swiftwsgi.Context",
    .tp_basicsize = sizeof(ContextObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "What a request's start_response and write act on.",
};

static PyObject *response_over(void) {
    PyErr_SetString(PyExc_RuntimeError, "the response this callable belongs to is over");
    return NULL;
}

/* start_response(status, response_headers, exc_info=None) */
static PyObject *context_start_response(PyObject *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames) {
    static const char *names[] = {"status", "response_headers", "exc_info"};
    PyObject *values[3] = {NULL, NULL, Py_None};
    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError, "start_response() takes at most 3 arguments (%zd given)", nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) values[i] = args[i];
    Py_ssize_t keywords = kwnames ? PyTuple_GET_SIZE(kwnames) : 0;
    for (Py_ssize_t k = 0; k < keywords; k++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, k);
        int found = 0;
        for (int i = 0; i < 3; i++) {
            if (PyUnicode_CompareWithASCIIString(name, names[i]) == 0) {
                if (i < nargs) {
                    PyErr_Format(PyExc_TypeError, "start_response() got multiple values for argument '%s'", names[i]);
                    return NULL;
                }
                values[i] = args[nargs + k];
                found = 1;
            }
        }
        if (!found) {
            PyErr_Format(PyExc_TypeError, "start_response() got an unexpected keyword argument '%U'", name);
            return NULL;
        }
    }
    if (!values[0] || !values[1]) {
        PyErr_SetString(PyExc_TypeError, "start_response() needs status and response_headers");
        return NULL;
    }
    void *exchange = ((ContextObject *)self)->exchange;
    if (!exchange) return response_over();
    return callbacks.start_response(exchange, values[0], values[1], values[2] == Py_None ? NULL : values[2]);
}

/* write(data) */
static PyObject *context_write(PyObject *self, PyObject *data) {
    void *exchange = ((ContextObject *)self)->exchange;
    if (!exchange) return response_over();
    return callbacks.write(exchange, data);
}

static PyMethodDef start_response_def = {
    "start_response", (PyCFunction)(void (*)(void))context_start_response, METH_FASTCALL | METH_KEYWORDS,
    "start_response(status, response_headers, exc_info=None) -> write"};
static PyMethodDef write_def = {"write", context_write, METH_O, "write(data): send data before the returned body"};

PyObject *swsgi_context_new(void) {
    ContextObject *context = PyObject_New(ContextObject, &ContextType);
    if (context) context->exchange = NULL;
    return (PyObject *)context;
}

void swsgi_context_set_exchange(PyObject *context, void *exchange) { ((ContextObject *)context)->exchange = exchange; }

PyObject *swsgi_context_start_response(PyObject *context) { return PyCFunction_New(&start_response_def, context); }

PyObject *swsgi_context_write(PyObject *context) { return PyCFunction_New(&write_def, context); }

/* ---- Input ---- */

typedef struct {
    PyObject_HEAD
    void *body; /* the host's request body, kept alive by the host; NULL: empty */
} InputObject;

/* The size argument of read/readline/readlines: absent or None means -1. */
static int size_argument(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t *size) {
    *size = -1;
    if (nargs > 1) {
        PyErr_SetString(PyExc_TypeError, "expected at most 1 argument");
        return -1;
    }
    if (nargs == 1 && args[0] != Py_None) {
        *size = PyNumber_AsSsize_t(args[0], PyExc_OverflowError);
        if (*size == -1 && PyErr_Occurred()) return -1;
    }
    return 0;
}

static PyObject *input_read(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t size;
    if (size_argument(args, nargs, &size) < 0) return NULL;
    void *body = ((InputObject *)self)->body;
    if (!body || size == 0) return PyBytes_FromStringAndSize(NULL, 0);
    return callbacks.input_read(body, size);
}

static PyObject *input_readline(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t size;
    if (size_argument(args, nargs, &size) < 0) return NULL;
    void *body = ((InputObject *)self)->body;
    if (!body || size == 0) return PyBytes_FromStringAndSize(NULL, 0);
    return callbacks.input_readline(body, size);
}

/* readlines(hint=-1): whole lines until the end, or until `hint` bytes have been read. */
static PyObject *input_readlines(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t hint;
    if (size_argument(args, nargs, &hint) < 0) return NULL;
    PyObject *lines = PyList_New(0);
    if (!lines) return NULL;
    void *body = ((InputObject *)self)->body;
    Py_ssize_t total = 0;
    while (body) {
        PyObject *line = callbacks.input_readline(body, -1);
        if (!line) {
            Py_DECREF(lines);
            return NULL;
        }
        Py_ssize_t length = PyBytes_GET_SIZE(line);
        if (length == 0) {
            Py_DECREF(line);
            break;
        }
        int failed = PyList_Append(lines, line);
        Py_DECREF(line);
        if (failed) {
            Py_DECREF(lines);
            return NULL;
        }
        total += length;
        if (hint > 0 && total >= hint) break;
    }
    return lines;
}

static PyObject *input_close(PyObject *self, PyObject *unused) {
    (void)self;
    (void)unused;
    Py_RETURN_NONE; /* harmless, as PEP 3333 asks: the body stays readable */
}

static PyObject *input_iter(PyObject *self) {
    Py_INCREF(self);
    return self;
}

/* Iteration yields every line with its "\n", until the end of the body. */
static PyObject *input_next(PyObject *self) {
    void *body = ((InputObject *)self)->body;
    if (!body) return NULL;
    PyObject *line = callbacks.input_readline(body, -1);
    if (line && PyBytes_GET_SIZE(line) == 0) {
        Py_DECREF(line);
        return NULL; /* StopIteration */
    }
    return line;
}

static PyMethodDef input_methods[] = {
    {"read", (PyCFunction)(void (*)(void))input_read, METH_FASTCALL, "read(size=-1) -> bytes"},
    {"readline", (PyCFunction)(void (*)(void))input_readline, METH_FASTCALL, "readline(size=-1) -> bytes"},
    {"readlines", (PyCFunction)(void (*)(void))input_readlines, METH_FASTCALL, "readlines(hint=-1) -> list of bytes"},
    {"close", input_close, METH_NOARGS, "close(): does nothing"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject InputType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_swiftwsgi.Input",
    .tp_basicsize = sizeof(InputObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "wsgi.input: the request body, ending exactly where the body ends.",
    .tp_iter = input_iter,
    .tp_iternext = input_next,
    .tp_methods = input_methods,
};

PyObject *swsgi_input_new(void) {
    InputObject *input = PyObject_New(InputObject, &InputType);
    if (input) input->body = NULL;
    return (PyObject *)input;
}

void swsgi_input_set_body(PyObject *input, void *body) { ((InputObject *)input)->body = body; }

/* ---- The module ---- */

static PyObject *module_log(PyObject *module, PyObject *text) {
    (void)module;
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "wsgi.errors takes str, not %.100s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    Py_ssize_t length;
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, &length);
    if (!utf8) return NULL;
    callbacks.log(utf8, length);
    return PyLong_FromSsize_t(PyUnicode_GET_LENGTH(text));
}

static PyMethodDef module_methods[] = {
    {"log", module_log, METH_O, "log(text): a record in the server's error log"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "_swiftwsgi", "The server side of PEP 3333 for swift-wsgi.", -1, module_methods,
};

static PyObject *module_init(void) {
    if (PyType_Ready(&ContextType) < 0 || PyType_Ready(&InputType) < 0) return NULL;
    PyObject *module = PyModule_Create(&module_def);
    if (!module) return NULL;
    Py_INCREF(&InputType);
    if (PyModule_AddObject(module, "Input", (PyObject *)&InputType) < 0) {
        Py_DECREF(&InputType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}

int swsgi_prepare_module(const swsgi_callbacks *host) {
    callbacks = *host;
    return PyImport_AppendInittab("_swiftwsgi", module_init);
}

int swsgi_install_module(const swsgi_callbacks *host) {
    callbacks = *host;
    PyObject *modules = PyImport_GetModuleDict(); /* borrowed */
    if (PyDict_GetItemString(modules, "_swiftwsgi")) return 0;
    PyObject *module = module_init();
    if (!module) return -1;
    int status = PyDict_SetItemString(modules, "_swiftwsgi", module);
    Py_DECREF(module);
    return status;
}
