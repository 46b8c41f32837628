import UVLoop

/// How a server runs in worker processes (gunicorn's `--workers`, `--timeout`, `--graceful-timeout`,
/// `--max-requests`, `--max-requests-jitter`).
public struct WorkerSettings: Sendable {
    /// Worker processes; 0 serves in the calling process.
    public var workers: Int
    /// A worker whose heartbeat is silent this long (its loop blocked by application code) is
    /// killed and replaced.
    public var timeout: Duration = .seconds(30)
    /// How long draining workers may take before they are killed.
    public var gracefulTimeout: Duration = .seconds(30)
    /// Recycle a worker after this many responses, plus a random 0...``maxRequestsJitter`` per
    /// worker (so that workers do not all restart at once); nil: never.
    public var maxRequests: Int? = nil
    public var maxRequestsJitter: Int = 0
    /// Replace a worker whose resident memory (sampled as its heartbeat is checked) exceeds this
    /// many bytes: it drains its in-flight requests while its replacement serves. nil: never.
    public var maxWorkerMemory: Int? = nil
    /// Replace a worker after it has lived this long, plus a random 0...``maxWorkerLifetimeJitter``
    /// per worker; one such replacement at a time, so the workers never all restart at once.
    /// nil: never.
    public var maxWorkerLifetime: Duration? = nil
    public var maxWorkerLifetimeJitter: Duration = .zero
    /// `--metrics-bind` with workers: each worker sends its metrics with its heartbeats, and the
    /// master collects them here. nil: workers send beats only.
    public var metrics: WorkerMetricsBoard? = nil
    /// The exit status with which a worker says it could not load the application (gunicorn's
    /// WORKER_BOOT_ERROR): replacing it would fail the same way, so the master stops every worker
    /// and exits with this status. nil: every exit is repaired.
    public var bootFailureStatus: Int32? = nil
    /// `--reload`: directories whose Python sources are watched; a change reloads the workers as
    /// SIGHUP does. Empty: nothing is watched.
    public var reloadRoots: [String] = []
    /// What a worker process runs: an executable and its arguments (argv[0] excluded). The same
    /// executable with the same arguments by default; the Python package's command runs
    /// `sys.executable -m swift_wsgi ARGUMENTS`.
    public var workerCommand: (executable: String, arguments: [String]) = ("/proc/self/exe", Array(CommandLine.arguments.dropFirst()))

    public init(workers: Int) {
        self.workers = workers
    }

    /// How often workers beat: often enough for the timeout to be precise. A quarter of
    /// ``timeout``, between 50 ms and 1 s.
    public var heartbeatInterval: Duration {
        .milliseconds(max(50, min(1000, timeout.milliseconds / 4)))
    }
}
