import Glibc
import UVLoop

/// The time a loop and its connections go by: the loop's own time for deadlines (libuv's,
/// milliseconds, read once per iteration), the monotonic clock for durations (how long a request
/// took) and for waits that block the loop thread (during which the loop's time stands still).
///
/// The in-memory tests drive a clock of their own (``manual(startingAt:)``, ``advance(milliseconds:)``):
/// both readings then come from it, so every timeout rule is tested without waiting.
///
/// Thread: its loop's thread only. (The ``StopDeadline`` shared by loops reads the monotonic clock
/// itself.)
final class ServerClock {
    private let loop: Loop?
    /// A manual clock's time, in nanoseconds.
    @exclusivity(unchecked) private var manual: UInt64 = 0

    /// The loop's clock.
    init(loop: Loop) { self.loop = loop }

    private init(nanoseconds: UInt64) {
        loop = nil
        manual = nanoseconds
    }

    /// A clock that stands still until ``advance(milliseconds:)``.
    static func manual(startingAt milliseconds: UInt64 = 1_000_000) -> ServerClock {
        ServerClock(nanoseconds: milliseconds * 1_000_000)
    }

    /// Milliseconds: the loop's cached time.
    @inline(__always)
    var milliseconds: UInt64 {
        guard let loop else { return manual / 1_000_000 }
        return loop.now
    }

    /// Nanoseconds of the monotonic clock (the vDSO's `clock_gettime`, no system call).
    @inline(__always)
    var nanoseconds: UInt64 {
        guard loop != nil else { return manual }
        return Self.monotonicNanoseconds()
    }

    /// Moves a manual clock on.
    func advance(milliseconds: UInt64) {
        precondition(loop == nil, "only a manual clock is moved by hand")
        manual += milliseconds * 1_000_000
    }

    /// The wall clock in microseconds since the epoch (a request's queue-time stamp).
    static func wallMicroseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
    }

    /// The monotonic clock, for what any thread reads (``StopDeadline``).
    static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
