import HTTPServerCore
import Logging

/// What this process does in a server that may run worker processes: the one call an executable
/// makes to get `--workers`.
///
/// ```swift
/// switch try ProcessRole.current(settings, host: host, port: port, logger: logger) {
/// case .standalone:              serve(configuration)
/// case .worker(let link):        link.configure(&configuration); serve(configuration)
/// case .master(let supervisor):  exit(supervisor.run())
/// }
/// ```
public enum ProcessRole {
    /// No workers: this process serves.
    case standalone
    /// This process was started by a master: it serves the inherited socket
    /// (``WorkerLink/configure(_:)``), whatever its own arguments say about workers.
    case worker(WorkerLink)
    /// This process is the master: it bound the socket and supervises workers (``WorkerSupervisor/run()``);
    /// it never serves nor loads the application itself.
    case master(WorkerSupervisor)

    /// The role of the calling process: a worker when a master started it, else the master when
    /// `settings` asks for workers (binding `host`:`port` now, so bind errors are thrown here), else
    /// standalone. Workers are started as this same executable with the same arguments.
    public static func current(_ settings: WorkerSettings, host: String, port: Int, backlog: Int32 = 2048, logger: Logger) throws -> ProcessRole {
        if let link = WorkerLink.inherited() { return .worker(link) }
        guard settings.workers > 0 else { return .standalone }
        let socket = try ListeningSocket(host: host, port: port, backlog: backlog)
        return .master(try WorkerSupervisor(settings: settings, socket: socket, logger: logger))
    }
}
