import CPython
import CPythonShim

/// The Python objects one application call needs besides the environ: `start_response` and
/// `write` (callables bound to a context that points at the exchange) and `wsgi.input` (pointing at
/// the request body). Owned references; the exchange holds them for one call, then gives them back
/// to the ``CallObjectPool``.
struct CallObjects {
    let context: PythonObject
    let startResponse: PythonObject
    let write: PythonObject
    let input: PythonObject

    /// New objects. nil (with a Python error set) when memory runs out.
    static func make() -> CallObjects? {
        guard let context = swsgi_context_new() else { return nil }
        guard let startResponse = swsgi_context_start_response(context), let write = swsgi_context_write(context),
              let input = swsgi_input_new() else {
            Py_DECREF(context)
            return nil
        }
        return CallObjects(context: context, startResponse: startResponse, write: write, input: input)
    }

    /// Points the objects at an exchange and a request body (nil: an empty body).
    func attach(exchange: UnsafeMutableRawPointer, body: UnsafeMutableRawPointer?) {
        swsgi_context_set_exchange(context, exchange)
        swsgi_input_set_body(input, body)
    }

    /// Points them at nothing: kept by the application, they raise or read nothing from now on.
    func detach() {
        swsgi_context_set_exchange(context, nil)
        swsgi_input_set_body(input, nil)
    }

    /// Whether nothing but this value refers to them (the application kept none): the context is
    /// referenced here and by the two callables bound to it.
    var isUnshared: Bool {
        swsgi_refcount(context) == 3 && swsgi_refcount(startResponse) == 1 && swsgi_refcount(write) == 1 && swsgi_refcount(input) == 1
    }

    func release() {
        Py_DECREF(startResponse)
        Py_DECREF(write)
        Py_DECREF(input)
        Py_DECREF(context)
    }
}

/// Call objects that finished calls gave back unshared, for the next calls: a request then
/// allocates none. One per thread (``ThreadWorkspace``), with the GIL held.
struct CallObjectPool {
    private var spare: [CallObjects] = []

    /// Gives back every spare (the workspace goes). With the GIL held.
    mutating func releaseAll() {
        for objects in spare { objects.release() }
        spare = []
    }

    mutating func take() -> CallObjects? {
        spare.popLast() ?? CallObjects.make()
    }

    /// Takes back `objects` after a call: kept when unshared (as many as this thread ran responses
    /// at once, up to a bound), else detached and released (the application's references keep them).
    mutating func giveBack(_ objects: CallObjects) {
        objects.detach()
        if objects.isUnshared && spare.count < 64 {
            spare.append(objects)
        } else {
            objects.release()
        }
    }
}
