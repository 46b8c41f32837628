/// What a supervising process watches in a server it runs as a worker (the `Supervisor` module's
/// worker side implements it; see ``ServerConfiguration/monitor``).
public protocol ServerMonitor: Sendable {
    /// How often the first event loop calls ``heartbeat()``.
    var heartbeatInterval: Duration { get }
    /// First loop thread, every ``heartbeatInterval`` while the loop runs: a loop blocked by
    /// application code stops calling, which is how a supervisor recognises a stuck worker.
    /// - Returns: false when the supervisor is gone; the server then shuts down gracefully.
    func heartbeat() -> Bool
    /// Any loop thread, after each completed response.
    /// - Returns: true when the server should now shut down gracefully (e.g. its request budget is
    ///   spent, so that the supervisor replaces the process); return true at most once.
    func responseCompleted() -> Bool
}
