import Glibc
import HTTPServerCore
import Synchronization
import UVLoop

/// A worker's side of the worker protocol: what the master passed it, and the ``ServerMonitor``
/// its server reports to.
///
/// The convention between master and worker lives here and in ``WorkerSupervisor`` only: the master
/// starts the same executable with the same arguments, the listening socket as descriptor 3, the
/// write end of a heartbeat pipe as descriptor 4, and the environment variable
/// `SWIFT_WSGI_WORKER=<socket fd>:<heartbeat fd>:<heartbeat ms>:<max requests, 0 for none>`.
/// The worker's server beats (one byte on the pipe) from its first loop, and counts responses
/// toward its budget; at the budget it shuts down gracefully and exits 0, and the master starts a
/// replacement.
public final class WorkerLink: ServerMonitor {
    static let environmentVariable = "SWIFT_WSGI_WORKER"

    /// The listening socket the master bound.
    public let listeningDescriptor: Int32
    public let heartbeatInterval: Duration
    private let heartbeatDescriptor: Int32
    /// Responses after which this worker stops; nil: no budget.
    private let budget: Int?
    private let served = Atomic<Int>(0)

    init(listeningDescriptor: Int32, heartbeatDescriptor: Int32, heartbeatInterval: Duration, budget: Int?) {
        self.listeningDescriptor = listeningDescriptor
        self.heartbeatDescriptor = heartbeatDescriptor
        self.heartbeatInterval = heartbeatInterval
        self.budget = budget
        // Never let a slow master block the loop that beats.
        _ = fcntl(heartbeatDescriptor, F_SETFL, fcntl(heartbeatDescriptor, F_GETFL) | O_NONBLOCK)
    }

    /// The link of a process a master started, read (and removed, so that the application's own
    /// child processes do not take themselves for workers) from the environment; nil otherwise.
    static func inherited() -> WorkerLink? {
        guard let raw = getenv(environmentVariable) else { return nil }
        let fields = String(cString: raw).split(separator: ":").map { Int($0) }
        unsetenv(environmentVariable)
        guard fields.count == 4, let socket = fields[0], let heartbeat = fields[1], let interval = fields[2], let budget = fields[3] else {
            return nil
        }
        return WorkerLink(
            listeningDescriptor: Int32(socket), heartbeatDescriptor: Int32(heartbeat),
            heartbeatInterval: .milliseconds(interval), budget: budget > 0 ? budget : nil
        )
    }

    /// The environment entry a master gives a worker.
    static func environmentEntry(socket: Int32, heartbeat: Int32, interval: Duration, budget: Int?) -> String {
        "\(environmentVariable)=\(socket):\(heartbeat):\(interval.milliseconds):\(budget ?? 0)"
    }

    /// Makes `configuration` serve the inherited socket, as one of several processes, reporting to
    /// this link.
    public func configure(_ configuration: inout ServerConfiguration) {
        configuration.listeningDescriptor = listeningDescriptor
        configuration.multiprocess = true
        configuration.monitor = self
    }

    // MARK: ServerMonitor

    public func heartbeat() -> Bool {
        var beat: UInt8 = 1
        return write(heartbeatDescriptor, &beat, 1) >= 0 || errno != EPIPE
    }

    public func responseCompleted() -> Bool {
        guard let budget else { return false }
        return served.add(1, ordering: .relaxed).newValue == budget
    }
}
