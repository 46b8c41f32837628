import Foundation
import Synchronization

/// A thread-safe counter for tests (apps run on loop or pool threads).
public final class Counter: Sendable {
    private let value = Mutex(0)
    public init() {}
    @discardableResult
    public func increment() -> Int { value.withLock { $0 += 1; return $0 } }
    public var count: Int { value.withLock { $0 } }

    /// Waits until `condition(count)` holds or `timeout` passes; returns the last count.
    @discardableResult
    public func wait(timeout: Double = 5, until condition: (Int) -> Bool) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition(count) && Date() < deadline { usleep(5_000) }
        return count
    }
}

/// A gate an application thread waits on until the test opens it.
public final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    public init() {}
    public func open() { semaphore.signal() }
    /// True when opened within `timeout`.
    @discardableResult
    public func wait(timeout: Double = 10) -> Bool { semaphore.wait(timeout: .now() + timeout) == .success }
}

/// Waits for an event another thread or process causes: polls `condition` until it holds, or
/// `timeout` seconds pass (a bound for failures, not a duration the test relies on).
public func eventually(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while try !condition() {
        if Date() >= deadline { return false }
        usleep(2_000)
    }
    return true
}

/// Runs blocking test code (a socket client, a wait) on a thread of its own and awaits its result.
///
/// Blocking inside a Swift concurrency task would hold one of the cooperative pool's few threads
/// (two on a two-core machine): the tasks the test waits for could then never run.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try body() })
        }
    }
}

/// Memory of a process, from /proc.
public enum ProcessMemory {
    /// Whether resident memory tells about the server's own: not under AddressSanitizer or
    /// ThreadSanitizer (`make test-asan`, `make test-tsan` set `SWIFT_WSGI_SANITIZER`), whose shadow
    /// memory and freed-memory quarantine grow with every allocation. Their leak checks and the
    /// plain `make test` cover memory there.
    public static var isMeaningful: Bool { ProcessInfo.processInfo.environment["SWIFT_WSGI_SANITIZER"] == nil }

    /// Resident set size in KiB (VmRSS), or peak (VmHWM).
    public static func residentKiB(pid: Int32, peak: Bool = false) throws -> Int { try resident(pid: pid, peak: peak) / 1024 }

    /// Resident set size in bytes (VmRSS), or peak (VmHWM). Throws when it cannot be read (the
    /// process is gone): a bound on memory must never pass for want of a measurement.
    public static func resident(pid: Int32, peak: Bool = false) throws -> Int {
        let path = "/proc/\(pid)/status"
        guard let status = try? String(contentsOfFile: path, encoding: .utf8) else { throw Unmeasured("cannot read \(path)") }
        let key = peak ? "VmHWM:" : "VmRSS:"
        for line in status.split(separator: "\n") where line.hasPrefix(key) {
            guard let kilobytes = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap({ Int($0) }) else { break }
            return kilobytes * 1024
        }
        throw Unmeasured("no \(key) in \(path)")
    }

    public struct Unmeasured: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
