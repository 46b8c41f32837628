import Glibc
import HTTPServerCore
import Logging
import UVLoop

/// What this process does in a server that may run worker processes: the one call an executable
/// makes to get `--workers`.
///
/// ```swift
/// switch try ProcessRole.current(settings, listeners: listeners, logger: logger) {
/// case .standalone:              serve(configuration)
/// case .worker(let link):        link.configure(&configuration); serve(configuration)
/// case .master(let supervisor):  exit(supervisor.run())
/// }
/// ```
public enum ProcessRole {
    /// No workers: this process serves.
    case standalone
    /// This process was started by a master: it serves the inherited sockets
    /// (``WorkerLink/configure(_:)``), whatever its own arguments say about workers.
    case worker(WorkerLink)
    /// This process is the master: it bound the sockets and supervises workers (``WorkerSupervisor/run()``);
    /// it never serves nor loads the application itself.
    case master(WorkerSupervisor)

    /// The role of the calling process: a worker when a master started it, else the master when
    /// `settings` asks for workers (binding `listeners` now, so bind errors are thrown here; unix
    /// sockets created under `umask`), else standalone. Workers are started as this same executable
    /// with the same arguments.
    public static func current(
        _ settings: WorkerSettings, listeners: [ListenAddress], backlog: Int32 = 2048, umask: UInt32 = 0, logger: Logger
    ) throws -> ProcessRole {
        if let link = WorkerLink.inherited() { return .worker(link) }
        guard settings.workers > 0 else { return .standalone }
        var sockets: [ListeningSocket] = []
        do {
            for address in listeners {
                switch address {
                case .tcp(let host, let port): sockets.append(try ListeningSocket.tcp(host: host, port: port, backlog: backlog))
                case .unix(let path): sockets.append(try ListeningSocket.unix(path: path, umask: umask, backlog: backlog))
                case .descriptor(let fd): sockets.append(try ListeningSocket.inherited(fd))
                }
            }
        } catch {
            for socket in sockets {
                socket.removeFile()
                close(socket.descriptor)
            }
            throw error
        }
        return .master(try WorkerSupervisor(settings: settings, sockets: sockets, logger: logger))
    }
}
