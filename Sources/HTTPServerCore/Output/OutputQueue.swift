import UVLoop
import SharedBytes

/// The bytes one connection is about to write, assembled during one loop callback and flushed
/// before the callback returns.
///
/// One queue per loop, shared by its connections: only one connection writes at a time on a loop
/// thread, and every callback of a connection ends by flushing the queue (or discarding it, when the
/// connection closed), so it is empty whenever another connection's turn starts. Small pieces
/// (heads, chunk framing, small bodies) are copied into the scratch buffer; large body chunks are
/// referenced, not copied. A flush is one `writev` of at most four pieces. What the socket does not
/// take at once is moved into a write request that owns it (scratch bytes copied, chunks retained),
/// so the scratch buffer is free again when the flush returns.
final class OutputQueue {
    /// Chunks at least this large are referenced instead of copied.
    static let referenceThreshold = 4096

    private enum Piece {
        case scratch(Range<Int>)
        case chunk(Bytes)
    }

    // Unchecked exclusivity: used by one connection at a time on the loop thread, and the closures
    // given to `withScratch` only append to the buffer (see Connection for the measured cost).
    @exclusivity(unchecked) private var scratch = OutputBuffer(capacity: 64 * 1024)
    @exclusivity(unchecked) private var pieces: [Piece] = []
    private var segmentStart = 0

    init() { pieces.reserveCapacity(WriteBuffers.capacity) }

    var isEmpty: Bool { pieces.isEmpty && scratch.count == segmentStart }

    /// Appends small bytes by copying them into the scratch buffer.
    @inline(__always)
    func withScratch<R>(_ body: (inout OutputBuffer) -> R) -> R { body(&scratch) }

    /// Appends a body chunk: referenced when large (and a piece slot is free), copied otherwise.
    func append(_ chunk: Bytes) {
        // Room for: the open scratch segment, the chunk, and a scratch segment after it.
        let openSegment = scratch.count > segmentStart ? 1 : 0
        guard chunk.count >= OutputQueue.referenceThreshold, pieces.count + openSegment + 2 <= WriteBuffers.capacity else {
            scratch.append(chunk.stableBytes)
            return
        }
        closeSegment()
        pieces.append(.chunk(chunk))
    }

    /// Writes everything queued to `stream`.
    /// - Parameter forceAsync: skip the immediate attempt and queue the write, so the loop turns
    ///   before this connection continues.
    /// - Returns: true when the kernel took it all; false when the rest was queued as an
    ///   asynchronous write (the stream's delegate hears of its completion).
    func flush(to transport: any ConnectionTransport, forceAsync: Bool = false) throws -> Bool {
        closeSegment()
        defer { reset() }
        guard !pieces.isEmpty else { return true }
        var buffers = WriteBuffers()
        for piece in pieces { buffers.append(bytes(of: piece)) }
        let written = forceAsync ? 0 : try transport.tryWrite(buffers)
        if written == buffers.byteCount { return true }
        try queueRemainder(after: written, on: transport)
        return false
    }

    /// Drops everything queued: a connection closed before flushing what it queued must not leave
    /// it for the next connection of the loop.
    func discard() { reset() }

    private func bytes(of piece: Piece) -> UnsafeRawBufferPointer {
        switch piece {
        case .scratch(let range): return scratch.bytes(range)
        case .chunk(let bytes): return bytes.stableBytes
        }
    }

    private func queueRemainder(after written: Int, on transport: any ConnectionTransport) throws {
        let owner = PendingWrite()
        var buffers = WriteBuffers()
        var skip = written
        for piece in pieces {
            let all = bytes(of: piece)
            if skip >= all.count {
                skip -= all.count
                continue
            }
            let rest = UnsafeRawBufferPointer(rebasing: all[skip...])
            skip = 0
            switch piece {
            case .scratch:
                let copy = ByteStorage(copying: rest)
                owner.storages.append(copy)
                buffers.append(UnsafeRawBufferPointer(start: copy.base, count: copy.count))
            case .chunk(let chunk):
                owner.chunks.append(chunk)
                buffers.append(rest)
            }
        }
        try transport.write(buffers, keepingAlive: owner)
    }

    private func closeSegment() {
        if scratch.count > segmentStart { pieces.append(.scratch(segmentStart..<scratch.count)) }
        segmentStart = scratch.count
    }

    private func reset() {
        pieces.removeAll(keepingCapacity: true)
        scratch.removeAll()
        segmentStart = 0
    }
}

/// Keeps the bytes of an asynchronous write alive until libuv's write callback.
private final class PendingWrite {
    var storages: [ByteStorage] = []
    var chunks: [Bytes] = []
}
