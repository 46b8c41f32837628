import CPython
import CPythonShim
import Glibc
import Logging

/// How to start the interpreter.
public struct PythonSettings: Sendable {
    /// A virtual environment (PEP 405) whose `sys.prefix`, `sys.executable` and site-packages the
    /// interpreter takes; nil for the system interpreter's own.
    public var virtualEnvironment: String?
    /// Directories put first on `sys.path` (`--pythonpath`), before the working directory.
    public var paths: [String] = []

    public init(virtualEnvironment: String?, paths: [String] = []) {
        self.virtualEnvironment = virtualEnvironment
        self.paths = paths
    }
}

/// Where the application is: `MODULE:EXPRESSION` as gunicorn reads it, or a file as uWSGI's
/// `--wsgi-file` reads it. The expression (default `application`, or `callable`) is a name, a
/// dotted attribute path, or a factory call with literal arguments (`create_app()`).
public struct ApplicationTarget: Sendable, CustomStringConvertible {
    public var spec: String?
    public var wsgiFile: String?
    public var callable: String?

    public init(spec: String?, wsgiFile: String?, callable: String?) {
        self.spec = spec
        self.wsgiFile = wsgiFile
        self.callable = callable
    }

    public var description: String { wsgiFile ?? spec ?? "?" }
}

/// The interpreter could not start: a one-line reason.
public struct PythonStartError: Error, CustomStringConvertible {
    public let description: String
}

/// The application could not be loaded: a one-line reason (gunicorn's wording), and the traceback
/// of the error behind it when there is one (an exception raised while importing).
public struct ApplicationLoadError: Error, CustomStringConvertible {
    public let reason: String
    public let traceback: String?
    public var description: String { reason }
}

/// The CPython interpreter the host serves applications from, in one of two ways:
///
/// - attached (``attach(_:)``): the interpreter this process already runs, into which the
///   `swift_wsgi._native` extension module was imported: the server runs inside the user's Python,
///   with its packages, its virtual environment and its signal handlers;
/// - embedded (``init(_:)``): an interpreter this process starts and finalizes (the in-memory
///   tests and the Python fuzzer), on the process's main thread with Python's own signal handlers
///   off.
///
/// The calling thread is the interpreter's main one for the host (``main``): it loads the
/// application, gives the GIL away before serving (``releaseMainThread()``) and takes it back at
/// the end (``finalize()``).
///
/// Not `Sendable`: the calling thread uses it (start, load, finalize).
public final class PythonInterpreter {
    private let main: PythonThread
    private let support: PythonObject
    /// Started here (and finalized here), rather than attached to.
    private let embedded: Bool

    /// Attaches to the interpreter running this process, from a Python thread: registers the
    /// host's module and runs its support code (once per process). With `settings` (the command),
    /// arranges `sys.path` as gunicorn does and adds a `--venv`'s packages (the interpreter's own
    /// venv needs naming nowhere); without (`make_server`), leaves the program's path alone.
    /// Returns with the GIL held.
    public static func attach(_ settings: PythonSettings?) throws -> PythonInterpreter {
        let main = PythonThread.adoptCurrent()
        main.acquire()
        guard HostCallbacks.install(embedded: false) else {
            throw PythonStartError(description: "cannot register the _swiftwsgi module: \(PythonException.take().summary)")
        }
        let modules = PyImport_GetModuleDict()!
        let support: PythonObject
        if let loaded = PyDict_GetItemString(modules, SupportSource.moduleName) {
            support = Py_NewRef(loaded)
        } else {
            support = try loadSupport()
        }
        let interpreter = PythonInterpreter(main: main, support: support, embedded: false)
        if let settings { try interpreter.prepare(settings) }
        return interpreter
    }

    private init(main: PythonThread, support: PythonObject, embedded: Bool) {
        self.main = main
        self.support = support
        self.embedded = embedded
    }

    /// Starts an embedded interpreter. Throws when the virtual environment is not one, or when
    /// CPython cannot start.
    public init(_ settings: PythonSettings) throws {
        embedded = true
        let programName = try Self.programName(settings.virtualEnvironment)
        guard HostCallbacks.install(embedded: true) else { throw PythonStartError(description: "cannot register the _swiftwsgi module") }
        let config = UnsafeMutablePointer<PyConfig>.allocate(capacity: 1)
        defer { config.deallocate() }
        PyConfig_InitPythonConfig(config)
        defer { PyConfig_Clear(config) }
        config.pointee.install_signal_handlers = 0
        config.pointee.parse_argv = 0
        // The application's print() reaches the log at once.
        config.pointee.buffered_stdio = 0
        try Self.check(PyConfig_SetBytesArgv(config, Py_ssize_t(CommandLine.argc), CommandLine.unsafeArgv))
        if let programName {
            // Decides sys.executable and sys.prefix: a venv's bin/python makes them the venv's.
            try Self.check(PyConfig_SetBytesString(config, &config.pointee.program_name, programName))
        }
        try Self.check(Py_InitializeFromConfig(config))
        main = PythonThread.adoptCurrent()
        support = try Self.loadSupport()
        try prepare(settings)
    }

    /// Runs the support code as its module. With the GIL held.
    private static func loadSupport() throws -> PythonObject {
        guard let code = Py_CompileString(SupportSource.text, "<swift-wsgi support>", Py_file_input) else {
            PyErr_Print()
            throw PythonStartError(description: "the server's Python support code failed to compile")
        }
        defer { Py_DECREF(code) }
        guard let module = PyImport_ExecCodeModule(SupportSource.moduleName, code) else {
            PyErr_Print()
            throw PythonStartError(description: "the server's Python support code failed to load")
        }
        return module
    }

    /// `sys.path` as gunicorn arranges it, and an attached interpreter's `--venv` packages.
    private func prepare(_ settings: PythonSettings) throws {
        var working = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let directory = getcwd(&working, working.count).map { String(cString: $0) } ?? "."
        try callSupport("prepare_path", [Python.string(directory), Self.list(settings.paths)])
        if !embedded, let venv = settings.virtualEnvironment, !venv.isEmpty {
            guard let result = call("add_venv", [Python.string(venv)]) else {
                throw PythonStartError(description: PythonException.take().summary)
            }
            Py_DECREF(result)
        }
    }

    /// For a process that embeds Python to serve one application (the in-memory tests, the Python
    /// fuzzer): starts the interpreter with `paths` first on `sys.path`, loads `spec`
    /// (`module:callable`) quietly, and gives the GIL away. The interpreter lives as long as the
    /// process.
    public static func embeddedApplication(_ spec: String, paths: [String]) throws -> PythonApplication {
        let interpreter = try PythonInterpreter(PythonSettings(virtualEnvironment: nil, paths: paths))
        let application = try interpreter.loadApplication(
            ApplicationTarget(spec: spec, wsgiFile: nil, callable: nil),
            logger: Logger(label: "swift-wsgi", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        interpreter.releaseMainThread()
        return application
    }

    /// The application `callable` (borrowed: a new reference is taken), served as given (the
    /// extension module's `make_server`). With the GIL held.
    public func application(_ callable: PythonObject, logger: Logger) -> PythonApplication {
        PythonApplication(callable: Py_NewRef(callable), support: support, logger: logger)
    }

    /// Imports the application and finds its callable. On the main thread, before serving (an
    /// import that never returns is the caller's to time out).
    /// - Parameter requestHooks: `pre_request`/`post_request` of a config file, around every call
    ///   of the application (with `age`, the worker's number).
    public func loadApplication(_ target: ApplicationTarget, logger: Logger, requestHooks: (hooks: PythonHooks, age: Int)? = nil) throws -> PythonApplication {
        main.acquire()
        let arguments = [
            target.spec.map(Python.string) ?? Py_NewRef(swsgi_none()),
            target.wsgiFile.map(Python.string) ?? Py_NewRef(swsgi_none()),
            target.callable.map(Python.string) ?? Py_NewRef(swsgi_none()),
        ]
        guard var callable = call("load", arguments) else { throw loadError() }
        if let requestHooks { callable = requestHooks.hooks.wrap(callable, age: requestHooks.age) }
        return PythonApplication(callable: callable, support: support, logger: logger)
    }

    /// Gives the GIL away before the server starts: from now on threads take it when they run
    /// Python (the application's own threads run at once).
    public func releaseMainThread() {
        main.release()
    }

    /// Once serving ended and every server thread stopped: takes the GIL back and gives back what
    /// waits for it; an embedded interpreter (on its main thread) then runs Python's shutdown
    /// (`atexit` handlers, joining non-daemon threads). An attached one goes on: the caller, the
    /// Python thread that served, returns to Python holding the GIL.
    public func finalize() {
        // An attached interpreter's server may have served on any Python thread (serve_forever in
        // a thread of the program, not the one that made the server): that thread, adopted when it
        // started serving, takes the GIL here, with its own state.
        let thread = embedded ? main : PythonThread.adoptCurrent()
        thread.acquire()
        DeferredReleases.drain()
        guard embedded else { return }
        PythonThreads.deleteThreadStates()
        if Py_FinalizeEx() < 0 { PyErr_Clear() }
    }

    /// Raises `KeyboardInterrupt` in the threads running application code now (Ctrl-C). Any
    /// thread; a no-op once finalization started.
    public static func interruptApplications() {
        PythonThreads.interruptApplications()
    }

    // MARK: Support code

    /// `support.name(*arguments)`, taking over the (owned) arguments. new, or nil with an error set.
    private func call(_ name: String, _ arguments: [PythonObject?]) -> PythonObject? {
        defer { for argument in arguments { Py_XDECREF(argument) } }
        guard arguments.allSatisfy({ $0 != nil }), let function = PyObject_GetAttrString(support, name) else { return nil }
        defer { Py_DECREF(function) }
        return arguments.withUnsafeBufferPointer { PyObject_Vectorcall(function, $0.baseAddress, arguments.count, nil) }
    }

    private func callSupport(_ name: String, _ arguments: [PythonObject?]) throws {
        guard let result = call(name, arguments) else {
            PyErr_Print()
            throw PythonStartError(description: "the server's Python support code failed (\(name))")
        }
        Py_DECREF(result)
    }

    /// The error `load` raised, as an ``ApplicationLoadError`` (and the Python error cleared).
    private func loadError() -> any Error {
        let error = PythonException.take()
        guard let value = error.value, let loadErrorType = PyObject_GetAttrString(support, "LoadError") else {
            return ApplicationLoadError(reason: "loading the application failed", traceback: nil)
        }
        defer { Py_DECREF(loadErrorType) }
        guard PyObject_IsInstance(value, loadErrorType) == 1 else {
            return ApplicationLoadError(reason: "loading the application failed", traceback: error.formatted(support: support))
        }
        guard let pair = call("format_load_error", [Py_NewRef(value)]), swsgi_is_tuple(pair) != 0, swsgi_tuple_size(pair) == 2 else {
            PyErr_Clear()
            return ApplicationLoadError(reason: Python.text(value) ?? "loading the application failed", traceback: nil)
        }
        defer { Py_DECREF(pair) }
        let reason = Python.text(swsgi_tuple_item(pair, 0)) ?? "loading the application failed"
        return ApplicationLoadError(reason: reason, traceback: Python.text(swsgi_tuple_item(pair, 1)))
    }

    // MARK: Start-up checks

    /// The program name that makes `sys.prefix` and `sys.executable` right: the virtual
    /// environment's `bin/python` (CPython then reads its pyvenv.cfg, as `python` itself does), or
    /// the system interpreter this library belongs to, not whatever `python3` comes first on PATH.
    private static func programName(_ virtualEnvironment: String?) throws -> String? {
        let version = "\(PY_MAJOR_VERSION).\(PY_MINOR_VERSION)"
        guard let environment = virtualEnvironment, !environment.isEmpty else {
            let system = "/usr/bin/python\(version)"
            return access(system, X_OK) == 0 ? system : nil
        }
        guard let configuration = readFile("\(environment)/pyvenv.cfg") else {
            throw PythonStartError(description: "\(environment) is not a virtual environment (no pyvenv.cfg)")
        }
        for line in configuration.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard parts.count == 2, parts[0] == "version" || parts[0] == "version_info" else { continue }
            guard parts[1] == version || parts[1].hasPrefix(version + ".") else {
                throw PythonStartError(description: """
                    the virtual environment \(environment) is for Python \(parts[1]); this server embeds Python \(version): \
                    make the venv with /usr/bin/python\(version) -m venv
                    """)
            }
        }
        return "\(environment)/bin/python"
    }

    private static func check(_ status: PyStatus) throws {
        guard PyStatus_Exception(status) != 0 else { return }
        let message = status.err_msg.map { String(cString: $0) } ?? "unknown error"
        throw PythonStartError(description: "Python failed to start: \(message)")
    }

    /// A Python list of `str`. new.
    private static func list(_ strings: [String]) -> PythonObject? {
        guard let list = PyList_New(0) else { return nil }
        for string in strings {
            guard let item = Python.string(string) else { continue }
            PyList_Append(list, item)
            Py_DECREF(item)
        }
        return list
    }

    private static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var block = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(descriptor, &block, block.count)
            guard count > 0 else { break }
            bytes += block[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
