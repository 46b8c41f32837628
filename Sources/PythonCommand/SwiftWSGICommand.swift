import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import PythonHost
import ServerCommand

/// `swift-wsgi`: serves a Python WSGI application, read as gunicorn and uWSGI read it, from inside
/// the Python interpreter running it (the package's console script and `python -m swift_wsgi`
/// call ``run(arguments:python:)`` through the extension module, with the GIL held).
public struct SwiftWSGICommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swift-wsgi",
        abstract: "Serve a Python WSGI application over HTTP/1.1 on libuv, in this Python.",
        discussion: """
            swift-wsgi web_application:application --bind 127.0.0.1:8051 serves the callable \
            `application` of web_application.py (found in the working directory, --chdir, \
            --pythonpath or the virtual environment), exactly as gunicorn would. Listens on \
            127.0.0.1:8000 unless --bind says otherwise, and prints "Listening on http://HOST:PORT" \
            once bound; the application is imported first.

            The application runs on the event loop's thread (one request at a time per process, \
            as with bjoern); --threads N runs it on N threads of one interpreter (for applications \
            that wait on I/O: the GIL lets one thread run Python at a time); --workers N runs N \
            processes (for CPU-bound applications).

            SIGTERM drains in-flight requests and exits 0; SIGINT, or a second SIGTERM, stops at \
            once, interrupting running Python code with KeyboardInterrupt (exit 0). Exit status 2 \
            means a usage error, 3 that the application could not be loaded (import error, missing \
            or non-callable object, an import that did not finish), 70 that an event loop did not \
            close cleanly (a bug, logged).

            Settings come from a gunicorn config file (-c), then $SWIFT_WSGI_CMD_ARGS, then the \
            flags, each overriding the one before.

            Examples:
              swift-wsgi web_application:application --bind 127.0.0.1:8051
              swift-wsgi -w 4 -b 0.0.0.0:8000 mysite.wsgi:application
              swift-wsgi -c gunicorn.conf.py 'myapp:create_app()'
              swift-wsgi -k gthread --threads 8 -b unix:/run/app.sock --access-logfile - app:app
            """,
        version: ServerVersion.current
    )

    @Argument(help: "The application as MODULE:CALLABLE (CALLABLE defaults to 'application'; 'module:create_app()' calls a factory).")
    var application: String?

    @Option(name: .customLong("wsgi-file"), help: "Load the application from this Python file instead of a module (uWSGI's --wsgi-file).")
    var wsgiFile: String?

    @Option(help: "The application's name in --wsgi-file (default: application).")
    var callable: String?

    @Option(help: "A directory to put first on sys.path (repeatable).")
    var pythonpath: [String] = []

    @Option(help: "Also use this virtual environment's packages (made by this Python's version; a venv this swift-wsgi is installed in needs no naming).")
    var venv: String?

    @Flag(help: "Restart the workers when a Python source file under the working directory or --pythonpath changes (development; a source that does not load keeps the old workers).")
    var reload = false

    @Option(name: .customLong("import-timeout"), help: "Seconds the application's import may take (exit 3 beyond it); 0 = no limit.")
    var importTimeout: Int = 30

    @Flag(help: "Import the application once in the master and start the workers by fork, sharing its memory copy-on-write (gc.freeze() before each fork). SIGHUP restarts the workers with the same code.")
    var preload = false

    @OptionGroup var serving: ServingOptions

    public init() {}

    /// Runs the command with `arguments` in this interpreter, whose executable is `python` (the
    /// worker processes run `python -m swift_wsgi ARGUMENTS`; gunicorn config files are read by
    /// it too). Returns the exit status. From a Python thread, with the GIL held; returns with it.
    public static func run(arguments: [String], python: String) -> Int32 {
        let invocation = ProgramInvocation(arguments: arguments, workerExecutable: python, workerPrefix: ["-m", "swift_wsgi"], python: python)
        return runCommand(self, invocation: invocation, takesApplication: true) { error in
            guard let failure = error as? CommandFailure else { return nil }
            printLine("Error: \(failure.description)")
            return failure.status
        }
    }

    /// The command's settings as ArgumentParser describes them (`--experimental-dump-help`'s JSON):
    /// the one definition the Python API's keyword options are checked against.
    public static var settingsDescription: String {
        do {
            _ = try parseAsRoot(["--experimental-dump-help"])
        } catch {
            return fullMessage(for: error)
        }
        return "{}"
    }

    public func validate() throws {
        guard (application == nil) != (wsgiFile == nil) else {
            throw ValidationError("give the application as MODULE:CALLABLE or with --wsgi-file PATH (one of them)")
        }
        if let application, application.hasPrefix(":") || application.isEmpty {
            throw ValidationError("'\(application)' names no module: expected MODULE:CALLABLE, e.g. web_application:application")
        }
        guard importTimeout >= 0 else { throw ValidationError("--import-timeout must be >= 0") }
        if preload && reload {
            throw ValidationError("--reload imports the application again in new workers; --preload imports it once in the master: use one of them")
        }
        if preload && serving.logging.metricsBind != nil && serving.concurrency.workers > 0 {
            throw ValidationError("--preload forks workers from a master of one thread; --metrics-bind runs a thread in the master: use one of them")
        }
    }

    public func run() throws {
        let hooks = try loadHooks()
        let preloaded = PreloadedApplication()
        let process = ServingProcess(command: "swift-wsgi", options: serving, defaultAddress: .tcp(host: "127.0.0.1", port: 8000))
        try process.run(
            bootFailureStatus: ExitStatus.loadFailure, reloadRoots: reloadRoots, hooks: hooks.map(MasterHooks.init),
            preload: preload ? {
                preloaded.loaded = try load()
                return preloaded
            } : nil,
            check: { _ = try load() }
        ) { configuration, role in
            try serve(configuration, role: role, hooks: hooks, preloaded: preloaded.loaded)
        }
    }

    /// The server hooks of the `-c` file, run in this interpreter; nil without a file or hooks.
    /// Before `--chdir`, as gunicorn reads its config file. With the GIL held.
    private func loadHooks() throws -> PythonHooks? {
        guard let config = serving.setup.config else { return nil }
        do {
            // Attached without settings: sys.path is arranged later, after --chdir.
            _ = try PythonInterpreter.attach(nil)
            return try PythonHooks.load(configFile: config)
        } catch {
            throw CommandFailure(status: ExitStatus.usage, "\(error)")
        }
    }

    /// What `--reload` watches: the working directory (after `--chdir`), `--pythonpath`, and the
    /// directory of `--wsgi-file`.
    private var reloadRoots: [String] {
        guard reload else { return [] }
        var roots = ["."] + pythonpath
        if let wsgiFile, let slash = wsgiFile.lastIndex(of: "/") { roots.append(String(wsgiFile[..<slash])) }
        return roots
    }

    /// Attaches to this interpreter and imports the application (exit 3 when it cannot be loaded),
    /// with a config file's `pre_request`/`post_request` around it.
    private func load(requestHooks: (hooks: PythonHooks, age: Int)? = nil) throws -> (PythonInterpreter, PythonApplication) {
        let settings = PythonSettings(virtualEnvironment: venv, paths: pythonpath)
        let interpreter: PythonInterpreter
        do {
            interpreter = try PythonInterpreter.attach(settings)
        } catch {
            throw CommandFailure(status: ExitStatus.usage, "\(error)")
        }
        let target = ApplicationTarget(spec: application, wsgiFile: wsgiFile, callable: callable)
        do {
            let loaded = try ImportDeadline(seconds: importTimeout, target: target).run {
                try interpreter.loadApplication(target, logger: Logger(label: "swift-wsgi"), requestHooks: requestHooks)
            }
            return (interpreter, loaded)
        } catch let error as ApplicationLoadError {
            if let traceback = error.traceback { printLine(traceback) }
            throw CommandFailure(status: ExitStatus.loadFailure, error.reason)
        }
    }

    /// One process serving the application (alone, or as a worker) until a signal stops it, with
    /// the config file's hooks of a worker's life (``WorkerLifeHooks``).
    /// - Parameter preloaded: the application the master imported (`--preload`: this is a forked
    ///   worker), used instead of importing it.
    private func serve(_ configuration: ServerConfiguration, role: ServingRole, hooks: PythonHooks?, preloaded: (PythonInterpreter, PythonApplication)?) throws {
        // Blocked in this thread before the server's threads exist, which inherit the mask: only
        // the signal thread gets them (Python's handlers do not run meanwhile). Unblocked at the end.
        let signals = StopSignals.block()
        defer { signals.stop() }
        // The watchdog allows for the drain delay too, before the drain's own timeout.
        let stop = StopControl(gracefulTimeout: serving.limits.gracefulTimeout + serving.limits.drainDelay)
        signals.start(reload: { stop.reloadTLS() }) { graceful in stop.request(graceful: graceful) }
        let life = hooks.map { WorkerLifeHooks(hooks: $0, role: role) }
        life?.starting()
        let interpreter: PythonInterpreter
        let loaded: PythonApplication
        if let (master, application) = preloaded {
            // A forked worker: the master's application, with this worker's request hooks.
            interpreter = master
            loaded = life.map { application.withRequestHooks($0.hooks, age: $0.requestHooks.age) } ?? application
        } else {
            (interpreter, loaded) = try load(requestHooks: life?.requestHooks)
        }
        life?.loaded()
        interpreter.releaseMainThread()
        defer {
            // The signal thread ends first, while this thread does not hold the GIL: a stop signal
            // it is handling may take the GIL (interrupting Python code), which would wait forever
            // once this thread took the GIL back and waited for it to end.
            signals.stop()
            life?.stopped(atOnce: stop.stoppedAtOnce)
            interpreter.finalize()
        }
        let server = try HTTPServer(configuration: configuration, responder: loaded.responder)
        if role.announces { announce(server.listeningAddresses, secure: configuration.tls != nil) }
        life?.ready()
        stop.serving(server)
        server.serveForever()
        // A handle left open is a bug (already logged): fail the exit status so it is noticed.
        if !server.closedCleanly { throw ExitCode(70) }
    }
}

/// The exit statuses the command documents.
enum ExitStatus {
    static let usage: Int32 = 2
    static let loadFailure: Int32 = 3
}

/// A failure that ends the command with one line on standard error and `status`.
struct CommandFailure: Error, CustomStringConvertible {
    let status: Int32
    let description: String

    init(status: Int32, _ description: String) {
        self.status = status
        self.description = description
    }
}

/// `--preload`: the application the master imported, for its forked workers, and CPython's
/// calls around each fork. On the master's thread (the only one at a fork), then in each child.
final class PreloadedApplication: ForkPreparation {
    var loaded: (PythonInterpreter, PythonApplication)?

    func prepareFork() { PythonFork.prepare() }
    func parentAfterFork() { PythonFork.parentAfterFork() }
    func childAfterFork() { PythonFork.childAfterFork() }
    func exitChild(status: Int32) -> Never { PythonFork.exitChild(status: status) }
}
