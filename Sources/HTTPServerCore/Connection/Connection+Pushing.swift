import Logging
import SharedBytes

/// The sink of an application running on the loop thread: its `write()` data.
///
/// Nothing re-enters the connection while the application runs: pushed parts wait in ``pushed``
/// and are handled once it returns control (``pullPart()``). Up to ``pushWindow`` bytes, that is
/// all. Beyond it, the parts are framed and written right away, the application (and with it
/// this loop) waiting until the kernel took them, for at most the write timeout: a slow client
/// slows a writing application down instead of making the server buffer without bound, as with
/// gunicorn's sync workers. (With application threads, `write()` goes through ``PoolChannel`` and
/// waits for the loop instead.)
extension Connection {
    /// Bytes an application on the loop thread may push before its `write()` waits for the client.
    static let pushWindow = 64 * 1024

    func push(_ part: ResponsePart) throws {
        // After its body failed, the application's answer is dropped (Connection+ReceivingBody).
        guard state == .responding, exchange.bodyFailure == nil else { throw ResponseAbandoned() }
        if let first = pushed.parts.first, endsResponse(first) {
            // A part waiting to end the response: the application's later writes go nowhere.
            if case .abort = first { throw ResponseAbandoned() }
            return
        }
        pushed.append(part)
        if pushed.byteCount >= Connection.pushWindow { try sendPushedParts() }
    }

    func mayWait(pushing part: ResponsePart) -> Bool {
        pushed.byteCount + part.byteCount >= Connection.pushWindow
    }

    /// Handles the parts pushed while the application ran, once it returned control.
    func handlePushedParts() {
        let parts = pushed.takeAll()
        for part in parts where state == .responding { handle(part) }
    }

    /// Frames the pushed parts and writes them now, waiting for the client. Only parts that leave
    /// the response open are handled here: ending it closes the application's side, whose code is
    /// still running, so the part that ends it waits for ``handlePushedParts()``.
    private func sendPushedParts() throws {
        var handled = 0
        handling: while handled < pushed.parts.count {
            let part = pushed.parts[handled]
            guard !endsResponse(part) else { break handling }
            switch part {
            case .head(let head, let chunk, _):
                startFraming(head)
                if let chunk {
                    // Its chunk is judged on its own, now that the framing is known.
                    pushed.replace(at: handled, with: .chunk(chunk, final: false))
                    continue handling
                }
            case .chunk(let chunk, _):
                _ = frameBody(chunk)
            case .file, .end, .abort:
                break handling
            }
            handled += 1
        }
        pushed.removeFirst(handled)
        do {
            try flushWaitingForClient()
        } catch {
            context.out.discard()
            pushed.replaceAll(with: .abort("write(): \(error)"))
            throw ResponseAbandoned()
        }
    }

    /// Whether handling `part` now would end the response (complete or abort it).
    private func endsResponse(_ part: ResponsePart) -> Bool {
        switch part {
        case .head: return exchange.framing != nil
        case .chunk(let chunk, _): return exchange.framing.map { !$0.leavesBodyOpen(after: chunk.count) } ?? true
        case .file, .end, .abort: return true
        }
    }

    /// Writes what is queued, waiting for the client as long as the write timeout allows.
    func flushWaitingForClient() throws {
        try context.out.flushWaiting(to: transport) {
            try waitForClient(.write) { try transport.waitUntilWritable(milliseconds: $0) }
        }
    }
}

/// Parts an application on the loop thread pushed, in order, with the bytes they carry.
struct PushedParts {
    private(set) var parts: [ResponsePart] = []
    private(set) var byteCount = 0

    mutating func append(_ part: ResponsePart) {
        parts.append(part)
        byteCount += part.byteCount
    }

    mutating func replace(at index: Int, with part: ResponsePart) {
        byteCount += part.byteCount - parts[index].byteCount
        parts[index] = part
    }

    mutating func removeFirst(_ count: Int) {
        guard count > 0 else { return }
        for part in parts[..<count] { byteCount -= part.byteCount }
        parts.removeFirst(count)
    }

    mutating func replaceAll(with part: ResponsePart) {
        parts = [part]
        byteCount = part.byteCount
    }

    /// Every part, leaving none.
    mutating func takeAll() -> [ResponsePart] {
        defer {
            parts.removeAll(keepingCapacity: true)
            byteCount = 0
        }
        return parts
    }
}

extension ResponsePart {
    /// The body bytes this part carries in memory (files are not counted: they are not buffered).
    var byteCount: Int {
        switch self {
        case .head(_, let body, _): return body?.count ?? 0
        case .chunk(let chunk, _): return chunk.count
        case .file, .end, .abort: return 0
        }
    }
}
