import Glibc
import Synchronization
import UVLoop

/// Delivers process signals to ordinary code on a dedicated thread (`sigwait`), instead of
/// running anything in a signal handler.
///
/// ``block(_:)`` must run before the threads that should not receive them start, so that they
/// inherit the blocked mask and the signals are only ever received by the waiting thread. ``stop()``
/// ends the waiting thread and restores the calling thread's mask: a command run inside a Python
/// program hands the signals back to Python's handlers when it returns.
public final class SignalWaiter: Sendable {
    private let signals: [Int32]
    /// The mask of the thread that blocked them, from before.
    private let previous: sigset_t
    /// The waiting thread, once started, and whether it is to end.
    private let waiter = Mutex<(thread: pthread_t?, stopping: Bool, handle: UVThread?)>((nil, false, nil))

    private init(signals: [Int32], previous: sigset_t) {
        self.signals = signals
        self.previous = previous
    }

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
        var set = Self.set(of: signals)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &previous)
        return SignalWaiter(signals: signals, previous: previous)
    }

    private static func set(of signals: [Int32]) -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        return set
    }

    /// Starts a thread that calls `handler` with each signal received, until ``stop()``.
    public func start(_ handler: @escaping @Sendable (Int32) -> Void) {
        let handle = UVThread.start { [self] in
            waiter.withLock { $0.thread = pthread_self() }
            var set = SignalWaiter.set(of: signals)
            while true {
                var received: Int32 = 0
                guard sigwait(&set, &received) == 0 else { continue }
                if waiter.withLock({ $0.stopping }) { return }
                handler(received)
            }
        }
        waiter.withLock { $0.handle = handle }
    }

    /// Ends the waiting thread (woken by one of its own signals, sent to it alone) and restores the
    /// mask of the calling thread, the one that blocked them. A second call only restores the mask.
    public func stop() {
        let (thread, handle) = waiter.withLock { state -> (pthread_t?, UVThread?) in
            state.stopping = true
            defer { state.handle = nil }
            return (state.thread, state.handle)
        }
        if let handle {
            // The thread records itself first thing; until then it cannot be signalled alone.
            var target = thread
            while target == nil {
                sched_yield()
                target = waiter.withLock { $0.thread }
            }
            pthread_kill(target!, signals[0])
            handle.join()
        }
        var previous = self.previous
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
}
