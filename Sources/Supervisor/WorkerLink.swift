import Glibc
import HTTPServerCore
import Synchronization
import UVLoop

/// A worker's side of the worker protocol: what the master passed it, and the ``ServerMonitor``
/// its server reports to.
///
/// The convention between master and worker lives here and in ``WorkerSupervisor`` only: the master
/// starts the same executable with the same arguments, the write end of a heartbeat pipe as
/// descriptor 3, the listening sockets from descriptor 4 on (in the order of the listeners), and the
/// environment variable
/// `SWIFT_WSGI_WORKER=<socket fds, comma-separated>:<heartbeat fd>:<heartbeat ms>:<max requests, 0 for none>:<metrics, 0 or 1>:<age>`.
/// The worker's server beats (a ``WorkerMetricsFrame`` on the pipe, with its metrics when the
/// master collects them) from its first loop, and counts responses toward its budget; at the
/// budget it shuts down gracefully and exits 0, and the master starts a replacement.
public final class WorkerLink: ServerMonitor {
    static let environmentVariable = "SWIFT_WSGI_WORKER"

    /// The listening sockets the master bound, in the order of the listeners.
    public let listeningDescriptors: [Int32]
    public let heartbeatInterval: Duration
    private let heartbeatDescriptor: Int32
    /// Responses after which this worker stops; nil: no budget.
    private let budget: Int?
    private let served = Atomic<Int>(0)
    /// The server's metrics backend when the master collects them; nil otherwise.
    private let metrics: WorkerMetricsFactory?
    /// This worker's number in the order the master started workers (gunicorn's `worker.age`).
    public let age: Int

    init(listeningDescriptors: [Int32], heartbeatDescriptor: Int32, heartbeatInterval: Duration, budget: Int?, sendsMetrics: Bool, age: Int) {
        self.age = age
        self.listeningDescriptors = listeningDescriptors
        self.heartbeatDescriptor = heartbeatDescriptor
        self.heartbeatInterval = heartbeatInterval
        self.budget = budget
        metrics = sendsMetrics ? WorkerMetricsFactory() : nil
        // Never let a slow master block the loop that beats.
        _ = fcntl(heartbeatDescriptor, F_SETFL, fcntl(heartbeatDescriptor, F_GETFL) | O_NONBLOCK)
    }

    /// The link of a process a master started, read (and removed, so that the application's own
    /// child processes do not take themselves for workers) from the environment; nil otherwise.
    static func inherited() -> WorkerLink? {
        guard let raw = getenv(environmentVariable) else { return nil }
        let parts = String(cString: raw).split(separator: ":", omittingEmptySubsequences: false)
        unsetenv(environmentVariable)
        let fields = parts.dropFirst().map { Int($0) }
        let sockets = parts.first?.split(separator: ",").compactMap { Int32($0) } ?? []
        guard fields.count == 5, !sockets.isEmpty, let heartbeat = fields[0], let interval = fields[1], let budget = fields[2],
              let sendsMetrics = fields[3], let age = fields[4] else {
            return nil
        }
        return WorkerLink(
            listeningDescriptors: sockets, heartbeatDescriptor: Int32(heartbeat),
            heartbeatInterval: .milliseconds(interval), budget: budget > 0 ? budget : nil, sendsMetrics: sendsMetrics == 1, age: age
        )
    }

    /// Whether this process is a worker a master started (its link not yet taken by
    /// ``ProcessRole/current(_:listeners:backlog:umask:logger:)``): what the master already
    /// reported, a worker need not report again.
    public static var isWorkerProcess: Bool { getenv(environmentVariable) != nil }

    /// The environment entry a master gives a worker.
    static func environmentEntry(sockets: [Int32], heartbeat: Int32, interval: Duration, budget: Int?, sendsMetrics: Bool, age: Int) -> String {
        let socketList = sockets.map(String.init).joined(separator: ",")
        return "\(environmentVariable)=\(socketList):\(heartbeat):\(interval.milliseconds):\(budget ?? 0):\(sendsMetrics ? 1 : 0):\(age)"
    }

    /// Makes `configuration` serve the inherited sockets, as one of several processes, reporting to
    /// this link (its metrics too, when the master collects them). A worker's application on its loop thread streams large request bodies: while
    /// it waits for one client, the other workers serve (gunicorn's sync workers).
    public func configure(_ configuration: inout ServerConfiguration) {
        // The master may have listeners this process's arguments do not name (systemd's sockets).
        if configuration.listeners.count != listeningDescriptors.count {
            configuration.listeners = listeningDescriptors.map { .descriptor($0) }
        }
        configuration.inheritedDescriptors = listeningDescriptors
        configuration.multiprocess = true
        configuration.loopThreadBodies = .streamed
        configuration.monitor = self
        if let metrics { configuration.metrics = ServerMetrics(factory: metrics) }
    }

    // MARK: ServerMonitor

    /// The server stopped: its final counts go to the master (the counts since the last beat
    /// would be lost otherwise, with the worker). Nothing without metrics.
    public func serverStopped() {
        guard metrics != nil else { return }
        _ = heartbeat()
    }

    public func heartbeat() -> Bool {
        // One write per frame (WorkerMetricsFrame): a full pipe refuses it whole, and the next
        // beat carries newer counts anyway.
        let frame = metrics.flatMap { WorkerMetricsFrame.encode($0.snapshot()) } ?? [WorkerMetricsFrame.beat]
        return frame.withUnsafeBytes { write(heartbeatDescriptor, $0.baseAddress, $0.count) } >= 0 || errno != EPIPE
    }

    public func responseCompleted() -> Bool {
        guard let budget else { return false }
        return served.add(1, ordering: .relaxed).newValue == budget
    }
}
