import HTTP1Parser
import HTTP2
import Logging
import SharedBytes

/// One HTTP/2 stream: its request arriving, then its application's response leaving as DATA
/// frames, one part at a time.
///
/// The request: fields gather into an ``HTTP2RequestHead``, read as an HTTP/1.1 head would be and
/// handed to a request handler. With application threads and a body, that happens at once and the
/// application reads the body as it arrives (``StreamedBody``, full duplex): the peer's window
/// opens by what the application read, so an upload never waits here beyond the window. Otherwise
/// the body is spooled (memory, then a file), its window opening as it is stored, and the request
/// goes to the handler once complete (END_STREAM), as an application on the loop thread must never
/// wait for the network. The response: the application's parts go into ``queue``; nghttp2 copies
/// the queue into DATA frames as the peer's windows allow (``read(into:)``), and the next part is
/// asked for only once the queue is empty: a slow stream holds one part, and never blocks the
/// others.
///
/// Ownership: its connection's registry holds it from the first HEADERS frame until nghttp2
/// closes the stream; it holds its connection `unowned` (the connection outlives its streams).
/// Thread: the loop's, except what its ``PoolChannel`` and its ``StreamedBody`` carry.
final class HTTP2Stream: PartSink {
    /// Where the response is.
    enum Phase {
        /// Not started: the request is arriving.
        case receiving
        /// The application answers: parts are pulled while the queue is empty.
        case running
        /// The last part is queued: the body ends after the queue.
        case ending
        /// The body ended (or the stream was reset): nothing more goes out.
        case finished
    }

    /// Where the request body goes (orthogonal to the response: with a streamed body the response
    /// may run while the body arrives).
    enum Incoming {
        /// Stored until the request is complete (created at the first DATA).
        case spooled(SpooledBody?)
        /// Read by the application while it arrives; `delivered` bytes appended so far, `opened`
        /// of them given back to the peer's window.
        case streamed(StreamedBody, delivered: Int, opened: Int)
        /// Complete, or no longer wanted (answered, reset): further DATA is only counted back
        /// into the window.
        case done
    }

    let id: Int32
    private unowned let connection: HTTP2Connection
    private var context: LoopContext { connection.context }
    private(set) var phase = Phase.receiving
    private var incoming = Incoming.spooled(nil)

    // The request.
    private var head = HTTP2RequestHead()
    /// Set when a field went past the head's limit: the request is answered 431 once complete.
    private var headTooLarge = false
    private var bodyLength = 0
    private var isHeadRequest = false

    // The application's side: exactly one of `source` and `channel` once it runs, until closed.
    private var handler: (any RequestHandler)?
    private var source: (any ResponseSource)?
    private var channel: PoolChannel?

    // The response.
    private var queue: [Bytes] = []
    private var queueOffset = 0
    private var file: FileBody?
    /// What the declared Content-Length still allows; nil without one.
    private var remainingLength: Int?
    private var status = 0
    private var bodyBytes = 0
    private var accessRecord: AccessRecord?
    private var requestStart: UInt64 = 0

    init(id: Int32, connection: HTTP2Connection) {
        self.id = id
        self.connection = connection
        if context.timesRequests { requestStart = context.clock.nanoseconds }
    }

    // MARK: The request (from the session's callbacks)

    func addField(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) -> Bool {
        guard !headTooLarge else { return true }
        if !head.add(name: name, value: value, maxSize: Int(connection.settings.maxHeaderListSize)) { headTooLarge = true }
        return true
    }

    /// The head is complete. Without a body the request is complete too; with one, on application
    /// threads, the application starts now and reads the body as it arrives.
    func headEnded(endsStream: Bool) {
        if endsStream { return requestEnded() }
        guard !headTooLarge, let resume = context.resumeConnection else { return }
        let connectionID = connection.id
        let responder = context.responder
        let body = StreamedBody(expectsContinue: false, arrival: .windowed(wake: { resume(connectionID) }, willWait: { responder.threadWillWait() }))
        incoming = .streamed(body, delivered: 0, opened: 0)
        startRequest(body: RequestBody(.streamed(body)), bodyLength: 0)
    }

    /// Body bytes arrived. Returns how many of them the peer's window gets back now: those
    /// stored or dropped; a streamed body's come back as the application reads them.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        switch incoming {
        case .spooled(let spooled):
            do {
                let configuration = context.configuration
                let body = spooled ?? SpooledBody(
                    memoryThreshold: configuration.bodyMemoryThreshold, spoolDirectory: configuration.spoolDirectory, expectedLength: nil)
                incoming = .spooled(body)
                try body.append(bytes)
                bodyLength += bytes.count
            } catch {
                context.logger.error("cannot store request body", metadata: ["peer": "\(connection.peerDescription)", "error": "\(error)"])
                incoming = .done
                respondWithError(status: 500, detail: "the request body could not be stored")
            }
            return bytes.count
        case .streamed(let body, let delivered, let opened):
            body.append(bytes)
            incoming = .streamed(body, delivered: delivered + bytes.count, opened: opened)
            return 0
        case .done:
            return bytes.count
        }
    }

    /// The request is complete (END_STREAM): a streamed body ends; a spooled request starts.
    func requestEnded() {
        switch incoming {
        case .streamed(let body, _, _):
            body.finish()
            stopReceiving()
        case .spooled(let body):
            incoming = .done
            body?.finish()
            guard case .receiving = phase else { return }
            guard !headTooLarge else { return respondWithError(status: 431, detail: "request header fields too large") }
            startRequest(body: body.map { RequestBody(.spooled($0)) }, bodyLength: bodyLength)
        case .done:
            break
        }
    }

    /// Gives the peer's window back what the application read of a streamed body. Returns whether
    /// it opened anything (WINDOW_UPDATE to send).
    private func openWindow() -> Bool {
        guard case .streamed(let body, let delivered, let opened) = incoming else { return false }
        let read = body.takeReadCount()
        guard read > 0 else { return false }
        incoming = .streamed(body, delivered: delivered, opened: opened + read)
        connection.session.consume(read, stream: id)
        return true
    }

    /// No more of the body is wanted here (complete, answered, reset): what the window still owes
    /// the peer is given back, so the connection's window never shrinks for good.
    private func stopReceiving() {
        if case .streamed(_, let delivered, let opened) = incoming { connection.session.consume(delivered - opened, stream: id) }
        incoming = .done
    }

    /// Reads the head as an HTTP/1.1 head and hands the request to its handler (or answers the
    /// refusal the parser gives).
    private func startRequest(body: RequestBody?, bodyLength: Int) {
        let bytes = head.http1Head(bodyLength: bodyLength)
        isHeadRequest = head.isHead
        connection.parser.startNewMessage()
        bytes.withUnsafeBytes { raw in
            let (event, _) = connection.parser.parse(raw)
            switch event {
            case .head:
                var requestHead = connection.parser.head
                requestHead.version = .http2
                accept(IncomingRequest(head: requestHead, bytes: raw, body: body, isHead: isHeadRequest), headBytes: raw)
            case .error(let error):
                context.refusalLog.log(context.logger, level: .info, "refused request", metadata: [
                    "peer": "\(connection.peerDescription)", "status": "\(error.status)", "reason": "\(error.reason)", "stream": "\(id)",
                ], now: context.now)
                respondWithError(status: error.status, detail: error.reason)
            default:
                respondWithError(status: 400, detail: "incomplete request head")
            }
        }
    }

    private func accept(_ request: borrowing IncomingRequest, headBytes: UnsafeRawBufferPointer) {
        if context.accessLog != nil {
            let record = AccessRecord()
            accessRecord = record
            context.accessLog?.begin(record, head: request.head, headBytes: headBytes)
        }
        let method = UnsafeRawBufferPointer(rebasing: headBytes[request.head.method])
        if let probe = context.configuration.healthCheck,
           probe.matches(path: UnsafeRawBufferPointer(rebasing: headBytes[request.head.path]), method: method) {
            accessRecord = nil
            source = probe.response()
        } else if context.servesStaticFiles, let file = StaticMount.response(for: request, mounts: context.configuration.staticMounts) {
            source = file
        } else {
            let handler = connection.takeHandler()
            self.handler = handler
            source = handler.accept(request)
        }
        phase = .running
        if let runOnPool = context.runOnPool, let source {
            self.source = nil
            channel = runOnPool(source, connection.id)
        }
    }

    // MARK: The response

    /// Asks the application for its next part when the queue is empty. Returns whether something
    /// changed (a part arrived, or the response ended): the caller resumes the stream's data then.
    func pull() -> Bool {
        let opened = openWindow()
        guard case .running = phase, queue.isEmpty else { return opened }
        if var reading = file {
            do {
                if let block = try reading.nextBlock() {
                    file = reading
                    enqueue(block)
                } else {
                    file = nil
                    phase = .ending
                }
            } catch {
                abort("file body: \(error)")
            }
            return true
        }
        if let channel {
            guard let part = channel.takePart() else { return false }
            handle(part)
        } else if let source {
            handle(source.next(into: self))
        } else {
            return false
        }
        return true
    }

    /// Written data of an application on the loop thread (`write()`): queued, then sent as far as
    /// the socket and the peer's window take it now.
    func push(_ part: ResponsePart) throws {
        guard case .running = phase else { throw ResponseAbandoned() }
        handle(part)
        connection.session.resumeData(stream: id)
        var budget = HTTP2Connection.bytesPerTurn
        connection.flushOutput(budget: &budget)
        guard case .running = phase else { throw ResponseAbandoned() }
    }

    private func handle(_ part: consuming ResponsePart) {
        switch consume part {
        case .head(let head, let chunk, let final):
            guard status == 0 else { return abort("a second response head") }
            status = head.status
            let hasBody = !isHeadRequest && !ResponseHead.forbidsBody(status: head.status)
            remainingLength = head.contentLength
            if let accessRecord { context.accessLog?.captureResponse(accessRecord, lines: head.lines.stableBytes) }
            do {
                try connection.session.respond(stream: id, fields: HTTP2ResponseHead.fields(of: head, context: context), hasBody: hasBody)
            } catch {
                return abort("response head: \(error)")
            }
            guard hasBody else { return complete() }
            if let chunk { enqueue(chunk) }
            if final { phase = .ending }
        case .chunk(let chunk, let final):
            guard status != 0 else { return abort("body chunk before the response head") }
            enqueue(chunk)
            if final { phase = .ending }
        case .file(let slice):
            guard status != 0 else { return abort("file body before the response head") }
            var limited = slice
            if let remainingLength { limited.length = min(limited.length ?? Int.max, remainingLength) }
            file = FileBody(limited)
        case .end:
            guard status != 0 else { return abort("response ended without a head") }
            phase = .ending
        case .abort(let reason):
            abort(reason)
        }
    }

    /// Queues a chunk, cut at the declared Content-Length (the rest is dropped and logged).
    private func enqueue(_ chunk: Bytes) {
        guard case .running = phase, !chunk.isEmpty else { return }
        var chunk = chunk
        if let remaining = remainingLength {
            if chunk.count >= remaining {
                if chunk.count > remaining {
                    context.logger.warning("application sent more than its Content-Length; extra bytes dropped", metadata: [
                        "peer": "\(connection.peerDescription)", "excess": "\(chunk.count - remaining)",
                    ])
                    chunk = chunk.slice(0..<remaining)
                }
                phase = .ending
            }
            remainingLength = remaining - chunk.count
        }
        if !chunk.isEmpty { queue.append(chunk) }
    }

    /// nghttp2 asks for DATA: the queue's bytes, the end once the queue is empty and the last
    /// part came, or wait (the connection pulls the next part and resumes the stream).
    func read(into buffer: UnsafeMutableRawBufferPointer) -> BodyRead {
        var filled = 0
        while filled < buffer.count, !queue.isEmpty {
            let taken = queue[0].withUnsafeBytes { chunk in
                let count = min(chunk.count - queueOffset, buffer.count - filled)
                UnsafeMutableRawBufferPointer(rebasing: buffer[filled..<(filled + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: chunk[queueOffset..<(queueOffset + count)]))
                return count
            }
            filled += taken
            queueOffset += taken
            if queueOffset == queue[0].count {
                queue.removeFirst()
                queueOffset = 0
            }
        }
        bodyBytes += filled
        guard queue.isEmpty else { return .bytes(filled) }
        switch phase {
        case .ending where file == nil:
            if let remainingLength, remainingLength > 0 {
                context.logger.error("application sent less than its Content-Length; resetting the stream", metadata: [
                    "peer": "\(connection.peerDescription)", "stream": "\(id)", "missing": "\(remainingLength)",
                ])
                finishExchange(logged: false)
                return .fail
            }
            complete()
            return .end(filled)
        case .finished:
            return .fail
        default:
            return filled > 0 ? .bytes(filled) : .wait
        }
    }

    /// The response is complete: logged, counted, and the application's side closed.
    private func complete() {
        finishExchange(logged: true)
    }

    /// The application failed after its head, or broke the protocol: the stream is reset (the
    /// client sees the response is incomplete); the connection goes on.
    private func abort(_ reason: String) {
        context.logger.error("response aborted", metadata: ["peer": "\(connection.peerDescription)", "stream": "\(id)", "reason": "\(reason)"])
        finishExchange(logged: false)
        connection.session.reset(stream: id, error: .internalError)
    }

    /// A request refused before any application saw it: a short text answer.
    private func respondWithError(status: Int, detail: String) {
        self.status = status
        let text = Bytes(Array("\(status) \(ErrorResponse.reasonPhrase(status)): \(detail)\n".utf8))
        var fields = HTTP2Fields(status: status)
        fields.append(name: "content-type", value: "text/plain; charset=utf-8")
        fields.append(name: "content-length", value: String(text.count))
        context.metrics?.refused(status: status)
        phase = .running
        do {
            try connection.session.respond(stream: id, fields: fields, hasBody: !isHeadRequest)
        } catch {
            return abort("error response: \(error)")
        }
        enqueue(text)
        phase = .ending
    }

    /// The stream closed (answered, or reset by either side): whatever runs is told.
    func closed(error: HTTP2ErrorCode) {
        if case .finished = phase { return }
        if error != .noError {
            context.logger.debug("stream reset", metadata: ["peer": "\(connection.peerDescription)", "stream": "\(id)", "error": "\(error)"])
        }
        if case .streamed(let body, _, _) = incoming { body.abandon("the stream was reset before its body arrived") }
        incoming = .done
        finishExchange(logged: false)
    }

    /// Ends the application's side exactly once: the source closed (here, or by its application
    /// thread), the handler free for another stream.
    private func finishExchange(logged: Bool) {
        if case .finished = phase { return }
        phase = .finished
        queue = []
        file = nil
        if logged {
            let elapsed = context.timesRequests ? context.clock.nanoseconds &- requestStart : 0
            if let accessRecord { context.logAccess(accessRecord, peer: connection.info, status: status, bytes: bodyBytes, elapsed: elapsed) }
            context.metrics?.responseCompleted(status: status, bytes: bodyBytes, nanoseconds: elapsed)
            context.responseCompleted()
        }
        if case .streamed(let body, _, _) = incoming {
            // Answered before the body was all read: the rest is not wanted (RFC 9113 §8.1).
            body.abandon("the response ended before the body was read")
            stopReceiving()
        }
        let source = self.source.take()
        let channel = self.channel.take()
        if let handler = self.handler.take() { connection.returnHandler(handler) }
        if let channel {
            channel.finish()
        } else {
            source?.close()
        }
    }
}
