import HTTP1Parser
import HTTP2
import Logging
import SharedBytes

/// The request: fields, the body (spooled or streamed, and the window it gives back), and the
/// hand-over to a request handler.
extension HTTP2Stream {
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
    func openWindow() -> Bool {
        guard case .streamed(let body, let delivered, let opened) = incoming else { return false }
        let read = body.takeReadCount()
        guard read > 0 else { return false }
        incoming = .streamed(body, delivered: delivered, opened: opened + read)
        connection.session.consume(read, stream: id)
        return true
    }

    /// No more of the body is wanted here (complete, answered, reset): what the window still owes
    /// the peer is given back, so the connection's window never shrinks for good.
    func stopReceiving() {
        if case .streamed(_, let delivered, let opened) = incoming { connection.session.consume(delivered - opened, stream: id) }
        incoming = .done
    }

    /// Reads the head as an HTTP/1.1 head and hands the request to its handler (or answers the
    /// refusal the parser gives).
    func startRequest(body: RequestBody?, bodyLength: Int) {
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

    func accept(_ request: borrowing IncomingRequest, headBytes: UnsafeRawBufferPointer) {
        if context.accessLog != nil {
            let record = AccessRecord()
            accessRecord = record
            context.accessLog?.begin(record, head: request.head, headBytes: headBytes)
        }
        switch ServerAnswer.to(request, context: context) {
        case .healthCheck(let answer)?:
            accessRecord = nil
            source = answer
        case .staticFile(let answer)?:
            source = answer
        case nil:
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
}
