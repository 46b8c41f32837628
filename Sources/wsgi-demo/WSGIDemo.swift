import ArgumentParser
import DemoApps
import Glibc
import Logging
import Supervisor
import Synchronization
import WSGIServer

/// `wsgi-demo`: serves one of the bundled WSGI applications.
@main
struct WSGIDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wsgi-demo",
        abstract: "Serve a bundled WSGI application over HTTP/1.1 on libuv.",
        discussion: """
            Prints "Listening on http://HOST:PORT" once bound. SIGTERM drains in-flight requests \
            and exits 0; SIGINT, or a second SIGTERM, stops at once (exit 0). With --workers, \
            SIGHUP starts new workers and drains the old ones. Exit status 70 means an event loop \
            did not close cleanly (a bug, logged).
            """
    )

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free port).")
    var bind = BindAddress(host: "127.0.0.1", port: 8051)

    @Option(help: "Bundled application: \(DemoApps.names.joined(separator: ", ")).")
    var app = "hello"

    @Option(help: "Application threads; 0 runs the application on the event-loop thread.")
    var threads = 0

    @Option(help: "Event-loop threads, each with its own listener on the address (SO_REUSEPORT).")
    var loops = 1

    @Option(help: "Worker processes under a supervising master; 0 serves in this process.")
    var workers = 0

    @Option(help: "Seconds of silence after which the master kills and replaces a worker (--workers).")
    var timeout = 30

    @Option(name: .customLong("max-requests"), help: "Requests after which a worker is replaced (--workers); 0 = never.")
    var maxRequests = 0

    @Option(name: .customLong("max-requests-jitter"), help: "Random extra requests (0...N) added to --max-requests per worker.")
    var maxRequestsJitter = 0

    @Option(name: .customLong("keep-alive"), help: "Seconds an idle keep-alive connection stays open.")
    var keepAlive: Int = 75

    @Option(name: .customLong("graceful-timeout"), help: "Seconds in-flight requests get to finish on SIGTERM.")
    var gracefulTimeout: Int = 30

    @Option(name: .customLong("max-connections"), help: "Connections served at once; above it, accepting pauses.")
    var maxConnections: Int = 10_000

    @Option(name: .customLong("limit-request-line"), help: "Longest request line in bytes (414 above).")
    var limitRequestLine: Int = 8190

    @Option(name: .customLong("limit-request-fields"), help: "Most header fields in a request (431 above).")
    var limitRequestFields: Int = 100

    @Option(name: .customLong("limit-request-field-size"), help: "Longest header field line in bytes (431 above).")
    var limitRequestFieldSize: Int = 8190

    @Option(name: .customLong("limit-request-body"), help: "Largest request body in bytes (413 above); 0 = no limit.")
    var limitRequestBody: Int = 0

    @Flag(name: .customLong("access-log"), help: "Log one line per response.")
    var accessLog = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard DemoApps.application(named: app) != nil else {
            throw ValidationError("unknown app '\(app)'; bundled apps: \(DemoApps.names.joined(separator: ", "))")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
        guard threads >= 0, loops >= 1, workers >= 0 else { throw ValidationError("--threads and --workers must be >= 0 and --loops >= 1") }
    }

    func run() throws {
        SignalWaiter.clearInheritedMask()
        bootstrapLogging()
        var workerSettings = WorkerSettings(workers: workers)
        workerSettings.timeout = .seconds(timeout)
        workerSettings.gracefulTimeout = .seconds(gracefulTimeout)
        workerSettings.maxRequests = maxRequests > 0 ? maxRequests : nil
        workerSettings.maxRequestsJitter = maxRequestsJitter
        let role = try ProcessRole.current(workerSettings, host: bind.host, port: bind.port, logger: Logger(label: "wsgi-demo.master"))
        switch role {
        case .standalone:
            try serve(configuration: serverConfiguration(label: "wsgi-demo"), announcing: true)
        case .worker(let link):
            var configuration = serverConfiguration(label: "wsgi-demo.worker[\(getpid())]")
            link.configure(&configuration)
            try serve(configuration: configuration, announcing: false)
        case .master(let supervisor):
            announce("Listening on \(BindAddress.url(host: supervisor.socket.host, port: supervisor.socket.port))\n")
            let status = supervisor.run()
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// One process serving (alone, or as a worker of a master) until a signal stops it.
    private func serve(configuration: ServerConfiguration, announcing: Bool) throws {
        // Before any server thread exists, so that only the signal thread ever receives these.
        let signals = SignalWaiter.block([SIGINT, SIGTERM, SIGHUP])
        let server = try WSGIServer(configuration: configuration, app: DemoApps.application(named: app)!)
        if announcing { announce("Listening on \(BindAddress.url(host: server.host, port: server.port))\n") }

        let received = Mutex(0)
        signals.start { signal in
            // SIGHUP reloads workers (in the master); a single process has nothing to reload.
            guard signal != SIGHUP else { return }
            let count = received.withLock { count -> Int in
                count += 1
                return count
            }
            server.shutdown(graceful: signal == SIGTERM && count == 1)
        }
        server.serveForever()
        // A handle left open is a bug (already logged): fail the exit status so it is noticed.
        if !server.closedCleanly { throw ExitCode(70) }
    }

    private func bootstrapLogging() {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    private func serverConfiguration(label: String) -> ServerConfiguration {
        var configuration = ServerConfiguration(host: bind.host, port: bind.port)
        configuration.threads = threads
        configuration.loops = loops
        configuration.timeouts.keepAliveIdle = .seconds(keepAlive)
        configuration.gracefulTimeout = .seconds(gracefulTimeout)
        configuration.maxConnections = maxConnections
        configuration.limits.maxRequestLineLength = limitRequestLine
        configuration.limits.maxFieldCount = limitRequestFields
        configuration.limits.maxFieldLength = limitRequestFieldSize
        if limitRequestBody > 0 { configuration.limits.maxBodyLength = limitRequestBody }
        configuration.logger = Logger(label: label)
        if accessLog { configuration.accessLogger = Logger(label: "wsgi-demo.access") }
        return configuration
    }
}

/// Writes a line to standard output at once (stdout is block-buffered when it is a pipe, and
/// whoever started us is waiting for this line).
private func announce(_ line: String) {
    var line = line
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
