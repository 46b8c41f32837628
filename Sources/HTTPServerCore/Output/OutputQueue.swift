import SharedBytes
import UVLoop

/// The bytes one connection is about to write, assembled during one loop callback and flushed
/// before the callback returns, or handed over to be flushed at the loop's next flush point
/// (``LoopContext/deferOutput(of:)``).
///
/// One queue per loop, shared by its connections: only one connection writes at a time on a loop
/// thread, and every callback of a connection ends by flushing the queue, handing it over (a
/// fresh one takes its place) or discarding it (the connection closed), so it is empty whenever
/// another connection's turn starts. Small pieces
/// (heads, chunk framing, small bodies) are copied into the scratch buffer; large body chunks are
/// referenced, not copied (one per flush, between two scratch segments: enough for a chunk and its
/// chunked framing). A flush is one `writev` of at most three pieces.
/// What the socket does not take at once is moved into a write request that owns it (scratch bytes
/// copied, chunks retained), so the scratch buffer is free again when the flush returns.
///
/// The common case (everything in the scratch buffer: heads and small bodies, any number of
/// pipelined responses) is one piece and touches no array or reference.
final class OutputQueue {
    /// Chunks at least this large are referenced instead of copied.
    static let referenceThreshold = 4096

    /// A referenced chunk and where it goes: after the scratch bytes up to `scratchOffset`.
    private struct ChunkSlot {
        var scratchOffset: Int
        var chunk: Bytes
    }

    // Unchecked exclusivity: used by one connection at a time on the loop thread, and the closures
    // given to `withScratch` only append to the buffer (see Connection for the measured cost).
    @exclusivity(unchecked) private var scratch: OutputBuffer
    /// The referenced chunk of this flush, if any.
    @exclusivity(unchecked) private var referenced: ChunkSlot?

    /// - Parameter capacity: the scratch buffer's initial size (it grows as needed).
    init(capacity: Int = 64 * 1024) {
        scratch = OutputBuffer(capacity: capacity)
    }

    var isEmpty: Bool { scratch.count == 0 && referenced == nil }

    /// The scratch buffer's size.
    var capacity: Int { scratch.capacity }

    /// Appends small bytes by copying them into the scratch buffer.
    @inline(__always)
    func withScratch<R>(_ body: (inout OutputBuffer) -> R) -> R { body(&scratch) }

    /// Appends a body chunk: referenced when large (and none is yet), copied otherwise.
    func append(_ chunk: Bytes) {
        guard chunk.count >= OutputQueue.referenceThreshold, referenced == nil else {
            scratch.append(chunk.stableBytes)
            return
        }
        referenced = ChunkSlot(scratchOffset: scratch.count, chunk: chunk)
    }

    /// Writes everything queued to `transport`.
    /// - Parameter forceAsync: skip the immediate attempt and queue the write, so the loop turns
    ///   before this connection continues.
    /// - Returns: true when the transport took it all; false when the rest was queued as an
    ///   asynchronous write (the connection hears of its completion).
    func flush(to transport: any ConnectionTransport, forceAsync: Bool = false) throws -> Bool {
        defer { discard() }
        let pieces = queuedPieces()
        guard pieces.buffers.byteCount > 0 else { return true }
        let written = forceAsync ? 0 : try transport.tryWrite(pieces.buffers)
        if written == pieces.buffers.byteCount { return true }
        try queueRemainder(of: pieces, after: written, on: transport)
        return false
    }

    /// Writes everything queued before returning, blocking the loop thread while the socket is
    /// full: for an application running on this thread, whose `write()` must wait for a slow
    /// client rather than pile its data up here. Needs the transport's own queue empty (no
    /// asynchronous write in flight), so that bytes stay in order.
    /// - Parameter waitUntilWritable: blocks until the socket takes more, or throws when the client
    ///   took too long (``Connection/waitForClient(_:until:)``).
    func flushWaiting(to transport: any ConnectionTransport, waitUntilWritable: () throws -> Void) throws {
        defer { discard() }
        let pieces = queuedPieces()
        var written = 0
        while written < pieces.buffers.byteCount {
            written += try transport.tryWrite(written == 0 ? pieces.buffers : pieces.buffers.dropping(first: written))
            if written < pieces.buffers.byteCount { try waitUntilWritable() }
        }
    }

    /// What is queued, in order: scratch bytes around the referenced chunk.
    private func queuedPieces() -> Pieces {
        var pieces = Pieces()
        var start = 0
        if let referenced {
            pieces.add(scratch.bytes(0..<referenced.scratchOffset), isChunk: false)
            pieces.add(referenced.chunk.stableBytes, isChunk: true)
            start = referenced.scratchOffset
        }
        pieces.add(scratch.bytes(start..<scratch.count), isChunk: false)
        return pieces
    }

    /// The pieces of one flush, and which of them are referenced chunks (the others are scratch).
    private struct Pieces {
        var buffers = WriteBuffers()
        /// Bit `i` set: piece `i` is a chunk.
        var chunks: UInt8 = 0

        mutating func add(_ bytes: UnsafeRawBufferPointer, isChunk: Bool) {
            guard !bytes.isEmpty else { return }
            if isChunk { chunks |= 1 << buffers.count }
            buffers.append(bytes)
        }
    }

    /// Drops everything queued: a connection closed before flushing what it queued must not leave
    /// it for the next connection of the loop.
    func discard() {
        scratch.removeAll()
        referenced = nil
    }

    /// Queues what the socket did not take: scratch bytes copied (the buffer is reused at once),
    /// chunks referenced and kept alive by the write.
    private func queueRemainder(of pieces: Pieces, after written: Int, on transport: any ConnectionTransport) throws {
        var rest = WriteBuffers()
        var copies = [ByteStorage]()
        var skip = written
        for index in 0..<pieces.buffers.count {
            let piece = pieces.buffers[index]
            if skip >= piece.count {
                skip -= piece.count
                continue
            }
            let remaining = UnsafeRawBufferPointer(rebasing: piece[skip...])
            skip = 0
            if pieces.chunks & (1 << index) != 0 {
                rest.append(remaining)
            } else {
                let copy = ByteStorage(copying: remaining)
                copies.append(copy)
                rest.append(UnsafeRawBufferPointer(start: copy.base, count: copy.count))
            }
        }
        try transport.write(rest, keepingAlive: PendingWrite(copies: copies, chunk: referenced?.chunk))
    }
}

/// Keeps the bytes of an asynchronous write alive until libuv's write callback.
private final class PendingWrite {
    let copies: [ByteStorage]
    let chunk: Bytes?

    init(copies: [ByteStorage], chunk: Bytes?) {
        self.copies = copies
        self.chunk = chunk
    }
}
