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
        listeners = SocketActivation.inheritedListeners() ?? (options.bind.isEmpty ? [defaultAddress] : options.bind)
    }

    /// Runs this process's role. `serve` is called in a process that serves (alone, or as a worker)
    /// with its configuration, and whether it must print the listening line itself (a worker's
    /// master already did).
    /// - Parameter bootFailureStatus: the exit status with which a worker says it could not load
    ///   the application: the master then stops and exits with it.
    public func run(bootFailureStatus: Int32? = nil, serve: (_ configuration: ServerConfiguration, _ announces: Bool) throws -> Void) throws {
        SignalWaiter.clearInheritedMask()
        options.bootstrapLogging()
        var settings = options.workerSettings
        settings.bootFailureStatus = bootFailureStatus
        let role = try ProcessRole.current(
            settings, listeners: listeners, backlog: options.backlog, umask: options.umask.value, logger: Logger(label: "\(command).master")
        )
        switch role {
        case .standalone:
            try serve(options.serverConfiguration(listeners: listeners, command: command, label: command), true)
        case .worker(let link):
            var configuration = options.serverConfiguration(listeners: listeners, command: command, label: "\(command).worker[\(getpid())]")
            link.configure(&configuration)
            try serve(configuration, false)
        case .master(let supervisor):
            announce(supervisor.sockets.map(\.address))
            let status = supervisor.run()
            if status != 0 { throw ExitCode(status) }
        }
    }
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

/// Parses the arguments and runs `command` as ArgumentParser's `main()` does, except that a usage
/// error exits with status 2 (as gunicorn and most Unix commands do; ArgumentParser's own is 64),
/// and that `failure` may turn other errors into an exit status (having reported them itself;
/// nil leaves the error to ArgumentParser).
public func runCommand<Command: ParsableCommand>(_ command: Command.Type, failure: (any Error) -> Int32? = { _ in nil }) -> Never {
    do {
        var parsed = try command.parseAsRoot()
        try parsed.run()
        Glibc.exit(0)
    } catch {
        if command.exitCode(for: error) == .validationFailure {
            var message = command.fullMessage(for: error) + "\n"
            message.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            Glibc.exit(2)
        }
        if let status = failure(error) { Glibc.exit(status) }
        command.exit(withError: error)
    }
}
