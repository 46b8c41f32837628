import Glibc
import SharedBytes

/// A request body received whole before the application runs (no application threads: the
/// application runs on the loop thread and must not wait for the network): up to a memory threshold
/// in memory, beyond it in an unlinked temporary file (so a 1 GB upload costs at most the threshold
/// in RAM, and the file disappears with its descriptor). Reads never block and end exactly at the
/// end of this body: bytes of a pipelined next request are never part of it.
///
/// Thread: `append`/`finish` on the loop thread before the application starts; reads afterwards on
/// the application thread. All state is behind one mutex, so the hand-over is ordered.
final class SpooledBody: Sendable {
    private struct State {
        /// Memory storage while receiving; adopted into `received` by `finish`.
        var buffer: UnsafeMutableRawPointer?
        var capacity = 0
        var length = 0
        var received: ByteStorage?
        /// The spool file once the body outgrew memory.
        var spool: Int32 = -1
        var position = 0
        var isFinished = false
    }

    private let state: LockedValue<State>
    private let memoryThreshold: Int
    private let spoolDirectory: String

    /// A body about to be received. `expectedLength` (from Content-Length) sizes the memory buffer
    /// at once when it fits under the threshold.
    init(memoryThreshold: Int, spoolDirectory: String?, expectedLength: Int?) {
        self.memoryThreshold = memoryThreshold
        self.spoolDirectory = spoolDirectory ?? SpooledBody.defaultSpoolDirectory
        var initial = State()
        if let expectedLength, expectedLength > 0, expectedLength <= memoryThreshold {
            initial.buffer = .allocate(byteCount: expectedLength, alignment: 16)
            initial.capacity = expectedLength
        }
        state = LockedValue(initial)
    }

    deinit {
        state.withLock { state in
            state.buffer?.deallocate()
            if state.spool >= 0 { Glibc.close(state.spool) }
        }
    }

    /// Total bytes received.
    var length: Int { state.withLock { $0.length } }

    // MARK: Receiving (loop thread)

    /// Adds received body bytes. Throws when the spool file cannot be created or written.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        try state.withLock { state in
            precondition(!state.isFinished, "body appended after finish")
            if state.spool < 0 && state.length + bytes.count <= memoryThreshold {
                appendToMemory(&state, bytes)
            } else {
                if state.spool < 0 { try startSpool(&state) }
                try writeAll(state.spool, bytes)
            }
            state.length += bytes.count
        }
    }

    /// The body is complete: from now on it is only read.
    func finish() {
        state.withLock { state in
            guard !state.isFinished else { return }
            state.isFinished = true
            if let buffer = state.buffer {
                state.received = ByteStorage(adopting: buffer, count: state.length)
                state.buffer = nil
            }
        }
    }

    private func appendToMemory(_ state: inout State, _ bytes: UnsafeRawBufferPointer) {
        if state.length + bytes.count > state.capacity {
            let capacity = min(memoryThreshold, max(state.capacity * 2, state.length + bytes.count, 4096))
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            if let old = state.buffer {
                grown.copyMemory(from: old, byteCount: state.length)
                old.deallocate()
            }
            state.buffer = grown
            state.capacity = capacity
        }
        (state.buffer! + state.length).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
    }

    private func startSpool(_ state: inout State) throws {
        var template = Array((spoolDirectory + "/wsgi-body-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SpoolError(operation: "mkstemp in \(spoolDirectory)", code: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // Unlinked at once: the file lives exactly as long as its descriptor.
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        state.spool = fd
        if let buffer = state.buffer, state.length > 0 {
            try writeAll(fd, UnsafeRawBufferPointer(start: buffer, count: state.length))
        }
        state.buffer?.deallocate()
        state.buffer = nil
        state.capacity = 0
    }

    private func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SpoolError(operation: "write to spool file", code: errno)
            }
            offset += written
        }
    }

    // MARK: Reading (application thread)

    /// Up to `size` bytes; fewer only at the end of the body; all that remains when `size < 0`.
    /// Empty at the end.
    func read(_ size: Int) throws -> Bytes {
        try state.withLock { state in
            let available = state.length - state.position
            let count = size < 0 ? available : min(size, available)
            guard count > 0 else { return Bytes() }
            let chunk = try take(&state, count)
            return chunk
        }
    }

    /// One line including its `\n`, cut at `size` bytes when `size >= 0`; empty at the end.
    func readline(_ size: Int) throws -> Bytes {
        try state.withLock { state in
            let available = state.length - state.position
            let limit = size < 0 ? available : min(size, available)
            guard limit > 0 else { return Bytes() }
            let count = try lineLength(state, limit: limit)
            return try take(&state, count)
        }
    }

    /// The next `count` bytes (available), advancing the position.
    private func take(_ state: inout State, _ count: Int) throws -> Bytes {
        defer { state.position += count }
        if let received = state.received {
            return Bytes(received, offset: state.position, count: count)
        }
        guard state.spool >= 0 else { return Bytes() }
        let block = try ByteStorage(count: count) { target in
            try readAll(state.spool, into: target, at: state.position)
        }
        return Bytes(block)
    }

    /// Bytes up to and including the next LF within `limit`.
    private func lineLength(_ state: State, limit: Int) throws -> Int {
        if let received = state.received {
            let start = received.base + state.position
            if let newline = memchr(start, Int32(UInt8(ascii: "\n")), limit) {
                return UnsafeRawPointer(newline) - start + 1
            }
            return limit
        }
        var scanned = 0
        var block = [UInt8](repeating: 0, count: 8192)
        while scanned < limit {
            let want = min(block.count, limit - scanned)
            try block.withUnsafeMutableBytes { raw in
                try readAll(state.spool, into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<want]), at: state.position + scanned)
            }
            if let index = block[0..<want].firstIndex(of: UInt8(ascii: "\n")) { return scanned + index + 1 }
            scanned += want
        }
        return limit
    }

    private func readAll(_ fd: Int32, into target: UnsafeMutableRawBufferPointer, at offset: Int) throws {
        var done = 0
        while done < target.count {
            let count = pread(fd, target.baseAddress! + done, target.count - done, off_t(offset + done))
            if count < 0 {
                if errno == EINTR { continue }
                throw SpoolError(operation: "read from spool file", code: errno)
            }
            if count == 0 { throw SpoolError(operation: "spool file ended early", code: EIO) }
            done += count
        }
    }

    private static var defaultSpoolDirectory: String {
        if let tmp = getenv("TMPDIR") { return String(cString: tmp) }
        return "/tmp"
    }
}

/// The spool file failed (disk full, directory missing): the request gets a 500.
public struct SpoolError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32
    public var description: String { "\(operation): \(String(cString: strerror(code)))" }
}
