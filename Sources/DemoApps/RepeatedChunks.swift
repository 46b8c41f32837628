#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WSGI

/// A body of `count` chunks of `size` bytes of `x`, one chunk per step, optionally pausing between
/// chunks (never before the first): the streaming bodies of `stream` and echo's `/stream`.
///
/// The chunk is allocated once and the same immutable buffer is handed out at every step, so a
/// step costs no allocation or copy however large the body. Owned by one response.
struct RepeatedChunks: ResponseIterator {
    /// The largest chunk a request may ask for: a request must not be able to make the server
    /// allocate without bound.
    static let maxChunkSize = 64 << 20

    private let chunk: Bytes
    private let pauseMilliseconds: Int
    private let pause: @Sendable (_ milliseconds: Int) -> Void
    private var remaining: Int
    private var started = false

    /// Throws ``DemoAppError`` when `size` exceeds ``maxChunkSize``.
    /// - Parameter pause: how to wait between chunks (tests observe it; the default sleeps).
    init(count: Int, size: Int, pauseMilliseconds: Int = 0, pause: @escaping @Sendable (_ milliseconds: Int) -> Void = { sleep(milliseconds: $0) }) throws {
        guard size <= Self.maxChunkSize else {
            throw DemoAppError("chunk size \(size) is above the limit of \(Self.maxChunkSize) bytes")
        }
        chunk = Bytes([UInt8](repeating: UInt8(ascii: "x"), count: size))
        remaining = count
        self.pauseMilliseconds = pauseMilliseconds
        self.pause = pause
    }

    mutating func next() throws -> Bytes? {
        guard remaining > 0 else { return nil }
        if started && pauseMilliseconds > 0 { pause(pauseMilliseconds) }
        started = true
        remaining -= 1
        return chunk
    }

    /// Blocks the calling thread (the application's) for `milliseconds`, resuming after signals.
    static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
    }
}
