import Glibc
import Synchronization

/// SIGTERM, SIGINT and SIGHUP for a serving process, taken on a thread of their own.
///
/// The first SIGTERM asks for a graceful stop (drain in-flight requests); SIGINT, or another
/// SIGTERM, for an immediate one. SIGHUP reloads workers in a master; in a serving process it loads
/// the TLS certificate again (nothing else is reloaded there).
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
    /// graceful stop, and `reload` for each SIGHUP.
    public func start(reload: @escaping @Sendable () -> Void = {}, _ stop: @escaping @Sendable (_ graceful: Bool) -> Void) {
        let received = Mutex(0)
        waiter.start { signal in
            guard signal != SIGHUP else { return reload() }
            let count = received.withLock { count -> Int in
                count += 1
                return count
            }
            stop(signal == SIGTERM && count == 1)
        }
    }
}
