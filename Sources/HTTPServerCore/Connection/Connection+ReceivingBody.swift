import HTTP1Parser

/// The request body of an application on the loop thread that reads it while it arrives
/// (``ServerConfiguration/LoopThreadBodies/streamed``, what workers use): the application starts
/// once every byte at hand went into the body (``parse(_:consumed:)``), and a read with nothing
/// unread has the connection receive more here, the loop blocked meanwhile, as in a gunicorn sync
/// worker. At most one receive's worth of the body is in memory.
///
/// Nothing re-enters the connection's event handling: bytes are received straight from the
/// socket, beside libuv (whose callbacks cannot run while this thread is busy), into a buffer of
/// the loop's own. They are peeked first and taken only as far as the body goes, so bytes of a
/// pipelined next request stay in the kernel and arrive through libuv as usual, after the
/// response.
extension Connection {
    /// Whether the body announced by the head at hand is received by its reader: on the loop thread
    /// with streamed bodies, when it may be larger than the memory threshold (chunked, or a larger
    /// Content-Length). Smaller ones are received whole first, sparing the loop any wait.
    var bodyIsReceivedByReader: Bool {
        guard context.runOnPool == nil, context.configuration.loopThreadBodies == .streamed else { return false }
        return parser.head.isChunked || (parser.head.contentLength ?? 0) > context.configuration.bodyMemoryThreshold
    }

    /// The application read everything received of its body and wants more: sends `100 Continue`
    /// when its client waits for it, then receives until body bytes (or the body's end) arrived,
    /// waiting for the client for at most the body-read timeout.
    ///
    /// A failure (timeout, the client gone, a malformed chunk) cannot end the exchange here: the
    /// application's code is running. The body is abandoned, so this and later reads throw
    /// ``BodyUnavailable``, and the failure is recorded (``Exchange/interruption``): once the
    /// application returns, its answer is dropped and the connection does what it does when a body
    /// fails before the application runs (a 408 or 400 refusal; nothing for a client gone).
    func receiveBodyForReader() throws {
        guard let body = exchange.body else { throw BodyUnavailable(reason: "the body is no longer received") }
        do {
            if body.takeContinueRequest() {
                queueContinue()
                try flushWaitingForClient()
            }
            // The bytes held from the last receive come first, then what the kernel has.
            let buffer = context.receiveScratch
            let held = exchange.heldBodyBytes.count
            guard held < buffer.count / 2 else { throw BodyFailure.refused(status: 400, detail: "a chunk framing line too long") }
            exchange.heldBodyBytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            let free = UnsafeMutableRawBufferPointer(rebasing: buffer[held...])
            var received = try transport.receive(into: free, peeking: true)
            while received == nil {
                try waitForClient(.bodyRead) { try transport.waitUntilReadable(milliseconds: $0) }
                received = try transport.receive(into: free, peeking: true)
            }
            guard let count = received, count > 0 else {
                inputEnded = true
                throw BodyFailure.clientGone
            }
            let bytes = UnsafeRawBufferPointer(rebasing: buffer[..<(held + count)])
            let consumed = try parseBody(bytes, into: body)
            // Taken for good, now that it is known how many belong to the body (they are in the
            // kernel already): at its end, the body's; before it, all, the parser's leftover held.
            let taken: Int
            if exchange.body == nil {
                exchange.heldBodyBytes = []
                taken = consumed - held
            } else {
                exchange.heldBodyBytes = Array(bytes[consumed...])
                taken = count
            }
            _ = try transport.receive(into: UnsafeMutableRawBufferPointer(rebasing: free[..<taken]), peeking: false)
            context.heartbeat?.beatIfDue()
        } catch {
            let failure: BodyFailure
            switch error {
            case let known as BodyFailure: failure = known
            case is ClientTimedOut: failure = .refused(status: 408, detail: "the request took too long to arrive")
            default: failure = .clientGone  // the socket failed
            }
            exchange.interruption = .bodyFailed(failure)
            let reason = failure.description
            abandonArrivingBody(reason)
            throw BodyUnavailable(reason: reason)
        }
    }

    /// The application returned after its body failed (``Exchange/Interruption/bodyFailed(_:)``):
    /// its answer, made without the body, is dropped, and the connection refuses the request or,
    /// the client gone, finishes.
    func endAfterBodyFailure(_ failure: BodyFailure) {
        switch failure {
        case .refused(let status, let detail):
            refuse(status: status, detail: detail, level: .info)
        case .clientGone:
            context.logger.debug("client gone mid-body", metadata: ["peer": "\(peerDescription)"])
            state = .finishing
            arm(.none)
            exchange.close()
        }
    }

    /// Parses received bytes into the body, up to its end.
    /// - Returns: how many of `bytes` the parser consumed: up to the body's end, or all but an
    ///   incomplete line.
    private func parseBody(_ bytes: UnsafeRawBufferPointer, into body: RequestBody) throws -> Int {
        var consumed = 0
        try forEachParseEvent(bytes, consumed: &consumed) { event, rest, _ in
            switch event {
            case .needMore:
                return .stop
            case .body(let range):
                try body.append(UnsafeRawBufferPointer(rebasing: rest[range]))
                return .next
            case .end:
                body.finish()
                exchange.body = nil
                return .stop
            case .error(let error):
                throw BodyFailure.refused(status: error.status, detail: error.reason)
            case .head:
                preconditionFailure("a request head inside a body")
            }
        }
        return consumed
    }

    /// The rest of the body will not be received: reads fail with `reason`, and the connection
    /// closes after the response, so that unread body bytes are never taken for a request.
    func abandonArrivingBody(_ reason: String) {
        exchange.body?.abandon(reason)
        exchange.body = nil
        exchange.request.keepAlive = false
    }
}

/// Why the body of an application on the loop thread could not be received.
enum BodyFailure: Error, CustomStringConvertible {
    /// A timeout or a malformed body: answered with `status`.
    case refused(status: Int, detail: String)
    /// The client closed or reset the connection.
    case clientGone

    var description: String {
        switch self {
        case .refused(_, let detail): detail
        case .clientGone: "the client went away before the end of the body"
        }
    }
}

/// The way from a body read on the loop thread back to the connection receiving the body.
///
/// `@unchecked Sendable`: a body with this receiver exists only when the application runs on the
/// loop thread (``Connection/bodyIsReceivedByReader``), so every read, and with it every call of
/// ``receive()``, happens on that loop's thread, the connection's own. The reference is weak: the
/// application may keep the body longer than the connection lives (its reads then find the body
/// finished or abandoned and never call).
final class BodyReceiver: @unchecked Sendable {
    private weak var connection: Connection?

    init(_ connection: Connection) { self.connection = connection }

    func receive() throws {
        guard let connection else { throw BodyUnavailable(reason: "the connection is closed") }
        try connection.receiveBodyForReader()
    }
}
