import CPython
import CPythonShim

/// gunicorn's server hooks of a `-c` configuration file (`on_starting`, `post_fork`,
/// `pre_request`...), executed in this interpreter by the package's `swift_wsgi._hooks`, which
/// builds the `server`, `worker` and `request` arguments and logs a hook that raises.
///
/// Ownership: the one reference to the Python `Hooks` object is owned here and given back in
/// `deinit` on the thread that made it (the command's main thread), taking the GIL for it.
/// Threads: every call takes the GIL when its thread does not hold it, and gives it back after;
/// in practice the command's main thread (the master's supervisor, a worker before and after
/// serving).
public final class PythonHooks {
    private let hooks: PythonObject

    /// The hooks `configFile` defines; nil when it defines none. Runs the file (again: the command
    /// read its settings in another interpreter). With the GIL held. Throws when the file fails.
    public static func load(configFile: String) throws -> PythonHooks? {
        guard let module = PyImport_ImportModule("swift_wsgi._hooks") else { throw failure("cannot import swift_wsgi._hooks") }
        defer { Py_DECREF(module) }
        guard let type = PyObject_GetAttrString(module, "Hooks") else { throw failure("swift_wsgi._hooks has no Hooks") }
        defer { Py_DECREF(type) }
        guard let path = Python.string(configFile) else { throw failure("bad config path") }
        let arguments: [PythonObject?] = [path]
        defer { Py_DECREF(path) }
        guard let hooks = arguments.withUnsafeBufferPointer({ PyObject_Vectorcall(type, $0.baseAddress, 1, nil) }) else {
            throw failure("the config file \(configFile) failed when its hooks were loaded")
        }
        let loaded = PythonHooks(hooks: hooks)
        return loaded.names.isEmpty ? nil : loaded
    }

    private init(hooks: PythonObject) {
        self.hooks = hooks
    }

    deinit {
        PythonRelease.release(hooks, takesGIL: true)
    }

    /// The hooks the file defines, by name.
    public var names: [String] {
        withGIL {
            guard let list = PyObject_GetAttrString(hooks, "names") else {
                PyErr_Clear()
                return []
            }
            defer { Py_DECREF(list) }
            return Python.strings(list) ?? []
        }
    }

    /// A master's event (`on_starting`, `nworkers_changed`, `when_ready`, `pre_fork`,
    /// `child_exit`, `on_reload`, `on_exit`).
    public func master(_ name: String, workers: Int = 0, pid: Int32 = 0, age: Int = 0) {
        withGIL { call("master", [Python.string(name), PyLong_FromLong(workers), PyLong_FromLong(Int(pid)), PyLong_FromLong(age)]) }
    }

    /// A worker's event, in the worker (`post_fork`, `post_worker_init`, `worker_int`,
    /// `worker_exit`); `age` is the worker's number.
    public func worker(_ name: String, age: Int) {
        withGIL { call("worker", [Python.string(name), PyLong_FromLong(age)]) }
    }

    /// `application` with `pre_request` and `post_request` around each request (itself when the
    /// file defines neither). Takes the (owned) callable and returns an owned one. With the GIL.
    func wrap(_ application: PythonObject, age: Int) -> PythonObject {
        let arguments = [application, PyLong_FromLong(age)]
        defer { Py_XDECREF(arguments[1]) }
        guard let wrapped = callBorrowing("wrap", arguments) else {
            PyErr_Print()
            return application
        }
        Py_DECREF(application)
        return wrapped
    }

    /// `hooks.name(*arguments)`, taking over the (owned) arguments; the result is discarded, and
    /// a failure of the call itself (a hook's own exception is logged by the hooks module) printed.
    private func call(_ name: String, _ arguments: [PythonObject?]) {
        defer { for argument in arguments { Py_XDECREF(argument) } }
        guard let result = callBorrowing(name, arguments) else {
            PyErr_Print()
            return
        }
        Py_DECREF(result)
    }

    /// `hooks.name(*arguments)` with borrowed arguments. new, or nil with a Python error set (or
    /// an argument missing).
    private func callBorrowing(_ name: String, _ arguments: [PythonObject?]) -> PythonObject? {
        guard arguments.allSatisfy({ $0 != nil }), let method = PyObject_GetAttrString(hooks, name) else { return nil }
        defer { Py_DECREF(method) }
        return arguments.withUnsafeBufferPointer { PyObject_Vectorcall(method, $0.baseAddress, arguments.count, nil) }
    }

    private func withGIL<Result>(_ body: () -> Result) -> Result {
        let thread = PythonThread.current
        let held = thread.holdsGIL
        thread.acquire()
        defer { if !held { thread.release() } }
        return body()
    }

    private static func failure(_ message: String) -> PythonStartError {
        PythonStartError(description: "\(message): \(PythonException.take().summary)")
    }
}
