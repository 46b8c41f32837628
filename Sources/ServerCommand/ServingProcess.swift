import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import Supervisor
import Synchronization
import UVLoop

/// How a command's process serves, once its flags are read: alone, as a worker of a master, or as
/// the master of `--workers` processes (which never serves nor loads the application itself).
public struct ServingProcess {
    /// The command's name: the loggers' labels.
    public let command: String
    public let options: ServingOptions
    /// Where to listen: systemd's sockets, else `--bind`, else the command's default.
    public let listeners: [ListenAddress]

    public init(command: String, options: ServingOptions, defaultAddress: ListenAddress) {
        self.command = command
        self.options = options
        let bind = options.listening.bind
        listeners = SocketActivation.inheritedListeners() ?? (bind.isEmpty ? [defaultAddress] : bind)
    }

    /// Runs this process's role. `serve` is called in a process that serves (alone, or as a worker)
    /// with its configuration, and whether it must print the listening lines itself (a worker's
    /// master already did). With `--check-config`, `check` runs instead (after the settings are
    /// applied: directory, logs) and nothing is served.
    /// - Parameter bootFailureStatus: the exit status with which a worker says it could not load
    ///   the application: the master then stops and exits with it.
    /// - Parameter reloadRoots: `--reload`: directories whose Python sources are watched by a
    ///   master (at least one worker runs then).
    public func run(
        bootFailureStatus: Int32? = nil, reloadRoots: [String] = [], check: () throws -> Void = {},
        serve: (_ configuration: ServerConfiguration, _ announces: Bool) throws -> Void
    ) throws {
        SignalWaiter.clearInheritedMask()
        if let directory = options.setup.chdir, Glibc.chdir(directory) != 0 {
            throw CommandLineError("cannot change to directory \(directory): \(String(cString: strerror(errno)))")
        }
        try options.bootstrapLogging()
        let accessLog = try options.openAccessLog()
        if options.setup.checkConfig { return try check() }
        var settings = options.workerSettings
        settings.bootFailureStatus = bootFailureStatus
        let invocation = ProgramInvocation.current
        settings.workerCommand = (invocation.workerExecutable, invocation.workerArguments)
        if !reloadRoots.isEmpty {
            settings.reloadRoots = reloadRoots
            settings.workers = max(1, settings.workers)
        }
        let role = try ProcessRole.current(
            settings, listeners: listeners, backlog: options.listening.backlog, umask: options.listening.umask.value,
            logger: Logger(label: "\(command).master")
        )
        switch role {
        case .standalone:
            let pidFile = try PidFile(options.setup.pid)
            defer { pidFile?.remove() }
            let metrics = try options.logging.metricsBind.map { try MetricsEndpoint(address: $0, logger: Logger(label: "\(command).metrics")) }
            defer { metrics?.stop() }
            try serve(options.serverConfiguration(listeners: listeners, label: command, accessLog: accessLog, metrics: metrics?.metrics), true)
        case .worker(let link):
            var configuration = options.serverConfiguration(listeners: listeners, label: "\(command).worker[\(getpid())]", accessLog: accessLog)
            link.configure(&configuration)
            try serve(configuration, false)
        case .master(let supervisor):
            let pidFile = try PidFile(options.setup.pid)
            defer { pidFile?.remove() }
            let status = supervisor.run { announce(supervisor.sockets.map(\.address)) }
            if status != 0 { throw ExitCode(status) }
        }
    }

}

extension ServingOptions {
    /// The error log (`--error-logfile`, at `--log-level`) for every logger of the process: set by
    /// the first caller, before any logger is made (swift-log takes one bootstrap per process; a
    /// later server of the same process, a second `make_server`, logs where the first one does).
    public func bootstrapLogging() throws {
        let descriptor = try LogFile.open(logging.errorLogfile, standard: 2)
        let level = logging.level ?? .info
        let first = LoggingBootstrap.done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, descriptor: descriptor, level: level) }
    }

    /// The access log the flags ask for, opened; nil without `--access-logfile`.
    public func openAccessLog() throws -> AccessLog? {
        guard let path = logging.accessLogfile else { return nil }
        return AccessLog(format: AccessLogFormat(logging.accessLogformat), destination: .descriptor(try LogFile.open(path, standard: 1)))
    }
}

/// Whether this process's logging is set up.
private enum LoggingBootstrap {
    static let done = Mutex(false)
}

/// `--pid FILE`: the serving (or master) process's id, written at start and removed at exit.
struct PidFile {
    let path: String

    init?(_ path: String?) throws {
        guard let path else { return nil }
        self.path = path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CommandLineError("cannot write pid file \(path): \(String(cString: strerror(errno)))") }
        printLine("\(getpid())", to: fd)
        close(fd)
    }

    func remove() { unlink(path) }
}

/// Prints `Listening on http://HOST:PORT` (or `Listening on unix:PATH`) for each address, at once:
/// standard output is block-buffered when it is a pipe, and whoever started the process is waiting
/// for these lines.
public func announce(_ addresses: [ListenerAddress]) {
    var line = addresses.map { "Listening on \($0.url)\n" }.joined()
    line.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

/// SIGTERM, SIGINT and SIGHUP for a serving process, taken on a thread of their own.
///
/// The first SIGTERM asks for a graceful stop (drain in-flight requests); SIGINT, or another
/// SIGTERM, for an immediate one. SIGHUP reloads workers in a master; a serving process has nothing
/// to reload and ignores it.
public struct StopSignals: Sendable {
    private let waiter: SignalWaiter

    /// Blocks the signals. Call before any other thread of the process exists, so that only the
    /// signal thread ever receives them.
    public static func block() -> StopSignals {
        StopSignals(waiter: SignalWaiter.block([SIGINT, SIGTERM, SIGHUP]))
    }

    /// Ends the signal thread and unblocks the signals in the thread that blocked them.
    public func stop() { waiter.stop() }

    /// Calls `stop` (on the signal thread) for each stop signal, saying whether it asks for a
    /// graceful stop.
    public func start(_ stop: @escaping @Sendable (_ graceful: Bool) -> Void) {
        let received = Mutex(0)
        waiter.start { signal in
            guard signal != SIGHUP else { return }
            let count = received.withLock { count -> Int in
                count += 1
                return count
            }
            stop(signal == SIGTERM && count == 1)
        }
    }
}

/// Parses the arguments and runs `command` as ArgumentParser's `main()` does, and returns its exit
/// status instead of exiting (a command run inside a Python program returns to it), except that:
/// - the arguments are those of ``ArgumentSources`` (a gunicorn config file, `SWIFT_WSGI_CMD_ARGS`,
///   then the command line's, `invocation.arguments`);
/// - a usage error is status 2 (as gunicorn and most Unix commands do; ArgumentParser's own is 64),
///   a ``CommandLineError`` too, with its one line;
/// - `failure` may turn other errors into an exit status (having reported them itself; nil leaves
///   the error to ArgumentParser).
public func runCommand<Command: ParsableCommand>(
    _ command: Command.Type, invocation: ProgramInvocation = .executable, takesApplication: Bool = false,
    failure: (any Error) -> Int32? = { _ in nil }
) -> Int32 {
    ProgramInvocation.current = invocation
    let name = Command.configuration.commandName ?? "server"
    do {
        let arguments = try ArgumentSources.resolve(invocation.arguments, command: name, takesApplication: takesApplication)
        var parsed = try command.parseAsRoot(arguments)
        try parsed.run()
        return 0
    } catch let error as CommandLineError {
        printLine("Error: \(error.description)", to: 2)
        return 2
    } catch {
        let code = command.exitCode(for: error)
        if code == .validationFailure {
            printLine(command.fullMessage(for: error), to: 2)
            return 2
        }
        if let status = failure(error) { return status }
        // Help, version and other messages ArgumentParser prints itself, then their status.
        let message = command.fullMessage(for: error)
        if !message.isEmpty { printLine(message, to: code == .success ? 1 : 2) }
        return code.rawValue
    }
}
