import Glibc
import UVLoop

/// Delivers process signals to ordinary code on a dedicated thread (`sigwait`), instead of
/// running anything in a signal handler.
///
/// ``block(_:)`` must run before any other thread starts, so that every thread inherits the
/// blocked mask and the signals are only ever received by the waiting thread.
public struct SignalWaiter: Sendable {
    private let signals: [Int32]

    /// Unblocks every signal in the calling thread. A process inherits its parent's signal mask
    /// through exec; the supervisor in particular must receive SIGCHLD (libuv learns of worker
    /// exits from it) whatever the process that started it had blocked.
    public static func clearInheritedMask() {
        var empty = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, nil)
    }

    /// Blocks `signals` in the calling thread (and so in every thread it starts afterwards).
    public static func block(_ signals: [Int32]) -> SignalWaiter {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        return SignalWaiter(signals: signals)
    }

    /// Starts a thread that calls `handler` with each signal received, forever.
    public func start(_ handler: @escaping @Sendable (Int32) -> Void) {
        let signals = self.signals
        _ = UVThread.start {
            var set = sigset_t()
            sigemptyset(&set)
            for signal in signals { sigaddset(&set, signal) }
            while true {
                var received: Int32 = 0
                if sigwait(&set, &received) == 0 { handler(received) }
            }
        }
    }
}
