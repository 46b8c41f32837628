import Logging
import SharedBytes

/// The sink of an application running on the loop thread: its `write()` data, from the
/// application call or from any iteration of its body.
///
/// PEP 3333 ("Buffering and Streaming"): a block written must be on its way before `write()`
/// returns. So each pushed part is framed and handed to the kernel at once; while the socket is
/// full the application (and with it this loop) waits for the client, for at most the write
/// timeout, as in a gunicorn sync worker: a slow client slows a writing application down instead
/// of making the server buffer without bound.
///
/// Nothing re-enters the connection: a push only frames and writes. What would change the
/// connection's state waits until the application returns control (``pullPart()``): a body its
/// writes completed (Content-Length reached, a response without body) is completed then, and a
/// write that failed (the client gone or too slow) closes the connection then
/// (``Exchange/Interruption``). (With application threads, `write()` goes through
/// ``PoolChannel`` and waits for the loop instead.)
extension Connection {
    func push(_ part: ResponsePart) throws {
        guard state == .responding, exchange.interruption == nil else { throw ResponseAbandoned() }
        // A body the application's writes completed takes nothing more (as gunicorn drops what a
        // write adds beyond Content-Length).
        if exchange.framing?.isComplete == true { return }
        switch part {
        case .head(let head, let chunk, _) where exchange.framing == nil:
            startFraming(head)
            if let chunk, !chunk.isEmpty { _ = frameBody(chunk) }
        case .chunk(let chunk, _) where exchange.framing != nil:
            if !chunk.isEmpty { _ = frameBody(chunk) }
        default:
            exchange.interruption = .brokenProtocol("pushed \(part.kind) out of order: only the head, then body chunks")
            throw ResponseAbandoned()
        }
        do {
            try flushWaitingForClient()
        } catch {
            context.out.discard()
            exchange.interruption = .writeFailed("write(): \(error)")
            throw ResponseAbandoned()
        }
    }

    /// Writes what is queued, waiting for the client as long as the write timeout allows.
    func flushWaitingForClient() throws {
        try context.out.flushWaiting(to: transport) {
            try waitForClient(.write) { try transport.waitUntilWritable(milliseconds: $0) }
        }
    }

    /// The application returned control after something failed under it: its answer is dropped.
    func end(after interruption: Exchange.Interruption) {
        switch interruption {
        case .bodyFailed(let failure):
            endAfterBodyFailure(failure)
        case .writeFailed(let reason):
            context.logger.debug("response abandoned", metadata: ["peer": "\(peerDescription)", "reason": "\(reason)"])
            close()
        case .brokenProtocol(let reason):
            abortResponse(reason)
        }
    }
}

extension ResponsePart {
    /// What the part is, for log lines.
    var kind: String {
        switch self {
        case .head: "a head"
        case .chunk: "a chunk"
        case .file: "a file"
        case .end: "an end"
        case .abort: "an abort"
        }
    }
}
