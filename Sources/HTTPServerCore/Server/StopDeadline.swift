import Synchronization
import UVLoop

/// When a stopping server gives up on waits for clients that block a loop thread: an application
/// on the loop thread whose `write()` waits for a client that reads nothing, or whose body read
/// waits for one that sends nothing (Connection+Waiting). Such a loop cannot hear its mailbox
/// meanwhile, so the wait itself looks here.
///
/// One per server, shared by its loops; set from any thread by ``HTTPServer/shutdown(graceful:)``:
/// the graceful timeout from now (the request in flight gets that long, as every other does), or
/// now for an immediate stop. Never moved later.
final class StopDeadline: Sendable {
    /// Monotonic nanoseconds; `.max` while the server is not stopping.
    private let nanoseconds = Atomic<UInt64>(.max)

    /// The server stops: waits end `grace` from now (nil: now).
    func stop(after grace: Duration?) {
        let deadline = ServerClock.monotonicNanoseconds() &+ (grace.map { $0.milliseconds * 1_000_000 } ?? 0)
        var current = nanoseconds.load(ordering: .relaxed)
        while deadline < current {
            let (exchanged, original) = nanoseconds.compareExchange(expected: current, desired: deadline, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// Whether blocked waits must end now.
    var hasPassed: Bool {
        let deadline = nanoseconds.load(ordering: .relaxed)
        return deadline != .max && ServerClock.monotonicNanoseconds() >= deadline
    }
}

/// A wait for a client on the loop thread ended because the server is stopping.
struct ServerStopping: Error, CustomStringConvertible {
    var description: String { "the server is stopping" }
}
