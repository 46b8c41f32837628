import Logging
import UVLoop

/// Writing: the session's frames gathered into writes, as far as the socket takes them.
extension HTTP2Connection {
    /// At most this much is written at once per event; the rest goes as a write in flight, whose
    /// completion goes on: the loop's other connections get their turn meanwhile.
    static let bytesPerTurn = 256 * 1024

    /// Hands the session's frames to the transport, gathered into writes of up to 64 KiB (one
    /// system call for a turn's responses rather than one per frame), while the socket takes them
    /// and within `budget`; what it does not take, or what is past the budget, goes as one write
    /// in flight.
    /// - Returns: whether any frame was written (or put in flight).
    @discardableResult
    func flushOutput(budget: inout Int) -> Bool {
        let batch = context.frameScratch
        var wrote = false
        while !writeInFlight, state != .closed {
            // Gather frames (nghttp2's bytes are valid until its next call: copied at once).
            var filled = 0
            do {
                while filled < batch.count, let output = try session.nextOutput() {
                    let fits = min(output.count, batch.count - filled)
                    UnsafeMutableRawBufferPointer(rebasing: batch[filled..<(filled + fits)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: output[..<fits]))
                    filled += fits
                    if fits < output.count {
                        // A frame larger than what is left: the batch goes with the rest of it.
                        return send(UnsafeRawBufferPointer(rebasing: batch[..<filled]), then: UnsafeRawBufferPointer(rebasing: output[fits...]), budget: &budget)
                    }
                }
            } catch {
                context.logger.error("HTTP/2 session failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
                close()
                return false
            }
            guard filled > 0 else { return wrote }
            wrote = true
            guard send(UnsafeRawBufferPointer(rebasing: batch[..<filled]), then: nil, budget: &budget) else { return true }
        }
        return wrote
    }

    /// Writes `bytes` (then `more`) as far as the socket takes them within `budget`; the rest is
    /// copied into a write in flight. Returns false once a write is in flight or failed.
    private func send(_ bytes: UnsafeRawBufferPointer, then more: UnsafeRawBufferPointer?, budget: inout Int) -> Bool {
        do {
            var buffers = WriteBuffers()
            buffers.append(bytes)
            if let more { buffers.append(more) }
            let total = bytes.count + (more?.count ?? 0)
            let taken = budget > 0 ? try transport.tryWrite(buffers) : 0
            budget -= taken
            guard taken < total else { return true }
            let rest = OwnedBytes(total - taken)
            var skip = taken
            var filled = 0
            for piece in [bytes, more ?? UnsafeRawBufferPointer(start: nil, count: 0)] {
                let start = min(skip, piece.count)
                skip -= start
                let part = UnsafeRawBufferPointer(rebasing: piece[start...])
                UnsafeMutableRawBufferPointer(rebasing: rest.bytes[filled..<(filled + part.count)]).copyMemory(from: part)
                filled += part.count
            }
            var pending = WriteBuffers()
            pending.append(UnsafeRawBufferPointer(rest.bytes))
            writeInFlight = true
            try transport.write(pending, keepingAlive: rest)
            return false
        } catch {
            context.logger.debug("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            close()
            return false
        }
    }
}

/// Frames copied for a write in flight; freed when the write completed.
private final class OwnedBytes {
    let bytes: UnsafeMutableRawBufferPointer

    init(_ count: Int) {
        bytes = .allocate(byteCount: count, alignment: 1)
    }

    deinit { bytes.deallocate() }
}
