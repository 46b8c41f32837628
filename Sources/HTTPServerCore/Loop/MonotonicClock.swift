import Glibc

/// Nanoseconds of the monotonic clock (the vDSO's `clock_gettime`, no system call): how long a
/// request took, for the access log and the metrics, read once at each end of it.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }
}
