import ArgumentParser
import Glibc
import HTTPServerCore
import Logging
import Supervisor

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
    /// with its configuration and its ``ServingRole`` (which says whether it prints the listening
    /// lines itself: a worker's master already did). With `--check-config`, `check` runs instead (after the settings are
    /// applied: directory, logs) and nothing is served.
    /// - Parameter bootFailureStatus: the exit status with which a worker says it could not load
    ///   the application: the master then stops and exits with it.
    /// - Parameter reloadRoots: `--reload`: directories whose Python sources are watched by a
    ///   master (at least one worker runs then).
    /// - Parameter hooks: told of a master's events (gunicorn's server hooks on its side).
    /// - Parameter preload: `--preload`: a master calls it once (it imports the application) and
    ///   starts its workers by fork, with what it returns around each fork.
    public func run(
        bootFailureStatus: Int32? = nil, reloadRoots: [String] = [], hooks: (any SupervisorHooks)? = nil,
        preload: (() throws -> any ForkPreparation)? = nil, check: () throws -> Void = {},
        serve: (_ configuration: ServerConfiguration, _ role: ServingRole) throws -> Void
    ) throws {
        SignalWaiter.clearInheritedMask()
        if let directory = options.setup.chdir, Glibc.chdir(directory) != 0 {
            throw CommandLineError("cannot change to directory \(directory): \(String(cString: strerror(errno)))")
        }
        try options.bootstrapLogging()
        let accessLog = try options.openAccessLog()
        // A directory that cannot be served stops the command here, before any worker starts.
        _ = try options.staticFiles.staticMounts()
        if options.setup.checkConfig { return try check() }
        var settings = options.workerSettings
        settings.bootFailureStatus = bootFailureStatus
        let invocation = ProgramInvocation.current
        settings.workerCommand = (invocation.workerExecutable, invocation.workerArguments)
        if !reloadRoots.isEmpty {
            settings.reloadRoots = reloadRoots
            settings.workers = max(1, settings.workers)
        }
        // A master collects its workers' metrics for --metrics-bind.
        if options.logging.metricsBind != nil && settings.workers > 0 { settings.metrics = WorkerMetricsBoard() }
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
            try serve(try options.serverConfiguration(listeners: listeners, label: command, accessLog: accessLog, metrics: metrics?.metrics), .standalone)
        case .worker(let link):
            try serveAsWorker(link, accessLog: accessLog, serve: serve)
        case .master(let supervisor):
            let pidFile = try PidFile(options.setup.pid)
            defer { pidFile?.remove() }
            let forking = try preload.map { preload in ForkedWorkers(preparation: try preload()) }
            let metrics = try options.logging.metricsBind.flatMap { address in
                try settings.metrics.map { try MetricsEndpoint(address: address, logger: Logger(label: "\(command).metrics"), board: $0) }
            }
            defer { metrics?.stop() }
            let status = withoutActuallyEscaping(serve) { serve in
                forking?.serveWorker = { link in try serveAsWorker(link, accessLog: accessLog, serve: serve) }
                defer { forking?.serveWorker = nil }
                return supervisor.run(hooks: hooks, forking: forking) { announce(supervisor.sockets.map(\.address), secure: options.tls.certfile != nil) }
            }
            if status != 0 { throw ExitCode(status) }
        }
    }

    /// A worker's serving: the inherited sockets, reporting to its master through `link`.
    private func serveAsWorker(
        _ link: WorkerLink, accessLog: AccessLog?, serve: (_ configuration: ServerConfiguration, _ role: ServingRole) throws -> Void
    ) throws {
        var configuration = try options.serverConfiguration(listeners: listeners, label: "\(command).worker[\(getpid())]", accessLog: accessLog)
        link.configure(&configuration)
        defer { link.serverStopped() }
        try serve(configuration, .worker(age: link.age))
    }

}

/// How a process that serves was started.
public enum ServingRole {
    /// On its own: it prints the listening lines itself.
    case standalone
    /// As a master's worker (whose master printed them); `age` numbers the workers in the order
    /// the master started them.
    case worker(age: Int)

    /// Whether the process prints the listening lines.
    public var announces: Bool {
        if case .standalone = self { return true }
        return false
    }
}

/// What a command's runtime does around the fork of a worker (`--preload`; the `swift-wsgi`
/// command's are CPython's fork calls).
public protocol ForkPreparation: AnyObject {
    /// In the master, just before `fork()`.
    func prepareFork()
    /// In the master, just after.
    func parentAfterFork()
    /// In the child, first thing.
    func childAfterFork()
    /// In the child, once it served: ends the process with `status` (never returning into the
    /// master's code it was forked from).
    func exitChild(status: Int32) -> Never
}

/// The supervisor's forking, for a command: the child serves as a worker with the command's own
/// `serve`, then ends.
private final class ForkedWorkers: WorkerForking {
    let preparation: any ForkPreparation
    /// The worker's serving, set while the supervisor runs.
    var serveWorker: ((WorkerLink) throws -> Void)?

    init(preparation: any ForkPreparation) {
        self.preparation = preparation
    }

    func prepareFork() { preparation.prepareFork() }

    func parentAfterFork() { preparation.parentAfterFork() }

    func runWorker(_ link: WorkerLink) -> Never {
        preparation.childAfterFork()
        do {
            try serveWorker?(link)
            preparation.exitChild(status: 0)
        } catch let exit as ExitCode {
            preparation.exitChild(status: exit.rawValue)
        } catch {
            printLine("Error: \(error)")
            preparation.exitChild(status: 1)
        }
    }
}
