import HTTP1Parser
import Logging

/// Reading requests: parsing, accepting a head, receiving its body, starting the response, and
/// refusing what cannot reach the application.
extension Connection {
    /// Where the parse-event loop goes after an event.
    enum ParseStep {
        /// Parse the bytes that follow.
        case next
        /// Stop: the request is complete, more bytes are needed, or the reader has what it wanted.
        case stop
        /// Stop, and take every byte at hand as consumed (held elsewhere, or never to be read).
        case stopTakingAll
    }

    /// The parse-event loop, the one place bytes go through the parser: feeds it `bytes` from
    /// `consumed` and hands each event, with the bytes it refers to and how many it consumed, to
    /// `act`, until `act` stops. Used by the connection's reads (``parse(_:consumed:)``) and by a
    /// body's reader receiving on the loop thread (Connection+ReceivingBody).
    @inline(__always)
    func forEachParseEvent(
        _ bytes: UnsafeRawBufferPointer, consumed: inout Int,
        _ act: (_ event: ParseEvent, _ rest: UnsafeRawBufferPointer, _ count: Int) throws -> ParseStep
    ) rethrows {
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            let (event, count) = parser.parse(rest)
            consumed += count
            switch try act(event, rest, count) {
            case .next: continue
            case .stop: return
            case .stopTakingAll:
                consumed = bytes.count
                return
            }
        }
    }

    /// Parses from `view` until a request is complete and its response started (true: go on), or
    /// more bytes are needed, or the request was refused (false).
    func parse(_ view: UnsafeRawBufferPointer, consumed: inout Int) -> Bool {
        guard mayParse(view.count - consumed) else { return false }
        var proceeds = false
        forEachParseEvent(view, consumed: &consumed) { event, rest, count in
            switch event {
            case .needMore:
                if state == .awaitingRequest && !parser.isBetweenMessages {
                    state = .readingHead
                    arm(.headerRead)
                    if context.configuration.stampsRequestStart { firstByteAt = ServerClock.wallMicroseconds() }
                }
                if inputEnded {
                    finishInput()
                } else if state == .readingBody && exchange.body?.isReceivedByReader == true {
                    // Every byte at hand is in the body: the application starts, on this thread,
                    // and receives the rest as it reads (Connection+ReceivingBody). An incomplete
                    // chunk line the parser left is held for its first receive.
                    exchange.heldBodyBytes = Array(rest[count...])
                    state = .responding
                    arm(.none)
                    proceeds = true
                    return .stopTakingAll
                }
                return .stop
            case .head:
                beginRequest(headBytes: rest)
            case .body(let range):
                receiveBody(UnsafeRawBufferPointer(rebasing: rest[range]))
            case .end:
                startResponse()
                proceeds = true
                return .stop
            case .error(.http2Preface) where context.switchToHTTP2 != nil:
                // An HTTP/2 client with prior knowledge: the connection is HTTP/2's from here,
                // with every byte from the preface on (this object does nothing more).
                state = .closed
                arm(.none)
                context.switchToHTTP2?(self, rest)
                return .stopTakingAll
            case .error(let error):
                refuse(status: error.status, detail: error.reason, level: .info)
                return .stopTakingAll
            }
            if state == .finishing { return .stopTakingAll }
            return mayParse(rest.count - count) ? .next : .stop
        }
        return proceeds
    }

    /// Whether the parser may take the `left` bytes at hand now.
    private func mayParse(_ left: Int) -> Bool {
        if state == .readingBody && exchange.body?.wantsMore == false {
            // The application reads slower than the client sends: hold the client back (the bytes
            // wait in the input buffer, then in the kernel) until a read frees room.
            arm(.none)
            return false
        }
        // After a head, the parser completes a message without body with no further byte.
        if left == 0 && state != .readingBody {
            if inputEnded { finishInput() }
            return false
        }
        return true
    }

    /// A head arrived: decide about the body and Expect, then hand the request to the handler
    /// while its bytes are valid.
    func beginRequest(headBytes: UnsafeRawBufferPointer) {
        let method = UnsafeRawBufferPointer(rebasing: headBytes[parser.head.method])
        let isHead = method.count == 4 && method.elementsEqual("HEAD".utf8)
        exchange.request = RequestSummary(
            isHTTP11: parser.head.version == .http1_1, isHead: isHead,
            keepAlive: parser.head.keepAlive && !context.isDraining
        )
        if context.timesRequests { requestStart = context.clock.nanoseconds }
        if context.accessLog != nil {
            let record = accessRecord ?? AccessRecord()
            accessRecord = record
            context.accessLog?.begin(record, head: parser.head, headBytes: headBytes)
        }
        if parser.head.expectation == .unsupported {
            refuse(status: 417, detail: "only 100-continue is supported", level: .info)
            return
        }
        let hasBody = parser.head.isChunked || (parser.head.contentLength ?? 0) > 0
        let streams = hasBody && context.resumeConnection != nil
        let expectsContinue = parser.head.expectation == .continue
        if streams, let resume = context.resumeConnection {
            // Application threads: the application starts now and reads the body as it arrives;
            // 100 Continue waits for its first read.
            let id = self.id
            let responder = context.responder
            let body = StreamedBody(
                expectsContinue: expectsContinue,
                arrival: .loopDelivers(wake: { resume(id) }, willWait: { responder.threadWillWait() })
            )
            exchange.body = RequestBody(.streamed(body))
        } else if hasBody && bodyIsReceivedByReader {
            // The application, on this thread, starts once the bytes at hand are in the body.
            let body = StreamedBody(expectsContinue: expectsContinue, arrival: .readerReceives(BodyReceiver(self)))
            exchange.body = RequestBody(.streamed(body))
        } else if hasBody {
            let configuration = context.configuration
            let body = SpooledBody(
                memoryThreshold: configuration.bodyMemoryThreshold,
                spoolDirectory: configuration.spoolDirectory,
                expectedLength: parser.head.contentLength
            )
            exchange.body = RequestBody(.spooled(body))
            if expectsContinue { queueContinue() }
        }
        var receivedAt: UInt64 = 0
        if context.configuration.stampsRequestStart {
            // A head that came whole in one read began now; one that came in pieces, at its first.
            receivedAt = state == .readingHead && firstByteAt != 0 ? firstByteAt : ServerClock.wallMicroseconds()
            firstByteAt = 0
        }
        // Made where it is handed over (a `var` request was copied whole: ~150 instructions).
        let request = IncomingRequest(head: parser.head, bytes: headBytes, body: exchange.body, isHead: isHead, receivedAt: receivedAt)
        switch ServerAnswer.to(request, context: context) {
        case .healthCheck(let source)?:
            exchange.request.isLogged = false
            exchange.source = source
        case .staticFile(let source)?:
            exchange.source = source
        case nil:
            exchange.source = handler.accept(request)
        }
        state = .readingBody
        arm(hasBody ? .bodyRead : .none)
        if streams { runOnPool() }
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        do {
            try exchange.body?.append(bytes)
            arm(.bodyRead)
        } catch {
            context.logger.error("cannot store request body", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            refuse(status: 500, detail: "the request body could not be stored", level: .error)
        }
    }

    /// The request is complete: its response starts, on this thread or on the pool (where it may
    /// have started already, reading the body as it arrived).
    func startResponse() {
        exchange.body?.finish()
        exchange.body = nil
        state = .responding
        arm(.none)
        runOnPool()
    }

    /// Hands the application's side to an application thread, when there are some and it is not
    /// there yet.
    private func runOnPool() {
        if let runOnPool = context.runOnPool, let source = exchange.source {
            exchange.source = nil
            exchange.channel = runOnPool(source, id)
        }
    }

    /// An application thread had news while the body still arrives: its read waits for
    /// `100 Continue`, or a part of its response is waiting (``Connection/advance(over:)`` sends
    /// it while the body goes on arriving).
    func bodyReaderNeedsAttention() {
        if exchange.body?.takeContinueRequest() == true { queueContinue() }
    }

    /// The interim response a client sending `Expect: 100-continue` waits for before its body.
    func queueContinue() {
        context.out.withScratch { $0.append("HTTP/1.1 100 Continue\r\n\r\n") }
    }

    /// Answers with an error status and finishes: nothing after a refused request is ever read.
    /// Once the application's response started (its body still arriving), no other answer can go
    /// out: the connection closes, and the client sees a truncated response.
    func refuse(status: Int, detail: String, level: Logger.Level) {
        context.refusalLog.log(context.logger, level: level, "refused request", metadata: [
            "peer": "\(peerDescription)", "status": "\(status)", "reason": "\(detail)",
        ], now: context.now)
        if exchange.framing != nil { return close() }
        exchange.close()
        context.metrics?.refused(status: status)
        ErrorResponse.write(status: status, detail: detail, context: context)
        state = .finishing
        arm(.none)
    }

    /// The peer finished sending and no complete request is left: finish. A request cut short is
    /// dropped (there is nobody left to answer).
    func finishInput() {
        switch state {
        case .readingHead, .readingBody:
            context.logger.debug("client closed mid-request", metadata: ["peer": "\(peerDescription)"])
            exchange.close()
        default:
            break
        }
        state = .finishing
        arm(.none)
    }
}
