import HTTP1Parser
import Logging
import UVLoop
import WSGI

/// One client connection: reads requests, hands each to the application, writes its response,
/// then reads the next (keep-alive, pipelining).
///
/// The data path, top to bottom: ``streamDidRead(_:_:)`` feeds bytes to the parser
/// (``parseRequests(_:consumed:)``), a complete request goes to the ``Responder`` and is started
/// (``dispatch()``), its parts are pulled and framed one at a time (Connection+Response), and every
/// callback ends in ``settle()``, which flushes output and decides about reading and closing
/// (Connection+Closing).
///
/// Ownership: the stream holds this object as its delegate until the stream's close callback; the
/// worker's registry holds it until then too. Thread: its loop's thread only.
final class Connection: TCPStreamDelegate, PartSink {
    /// Where the current request is.
    enum Phase {
        /// Between requests, no byte of the next one seen.
        case idle
        /// Part of a head received.
        case head
        /// Head complete; body bytes (if any) arriving.
        case body
        /// The request was handed to the application; its response is in progress.
        case responding
        /// The request was refused; the error response is going out and the connection closes.
        case failed
    }

    enum Closing {
        case open
        /// FIN sent after the last response; reading and discarding until the peer closes.
        case lingering
        case closed
    }

    let id: Int
    /// The worker outlives its connections: its loop (and so the worker) ends only after every
    /// connection's close callback. That invariant makes the unchecked reference safe, and it is
    /// read several times per request, where a checked `unowned` costs an atomic retain each time.
    unowned(unsafe) let worker: LoopWorker
    let stream: TCPStream
    let info: ConnectionInfo

    // The properties below marked `@exclusivity(unchecked)` are mutated in place across calls on
    // every request (a parse, a framing step, a buffer append). They are touched only on the loop
    // thread and never re-entered while such a mutation is in progress (the parser, the framing and
    // the buffers call no code of ours), so the runtime's exclusivity bookkeeping, about 80
    // instructions per access, buys nothing here.
    @exclusivity(unchecked) var parser: RequestParser
    @exclusivity(unchecked) var input = InputBuffer()
    var phase = Phase.idle
    var closing = Closing.open

    // The request being received.
    var request = RequestSummary(isHTTP11: true, isHead: false, keepAlive: true)
    var call: (any ApplicationCall)?
    var body: RequestBody?
    /// Method and target, kept only when access logging is on.
    var requestLine: (method: String, target: String)?
    var requestStart: UInt64 = 0

    // The response being sent: its application side is either a source pulled on this thread or a
    // channel fed by a pool thread.
    // Unchecked exclusivity, for the reason given at `parser`: loop thread only, never re-entered
    // while being changed, and read on every step of every response.
    @exclusivity(unchecked) var source: (any ResponseSource)?
    @exclusivity(unchecked) var channel: PoolChannel?
    /// A response is in progress (the application side is open).
    var isResponding: Bool { source != nil || channel != nil }
    @exclusivity(unchecked) var framing: ResponseFraming?
    /// The rest of the body when the application returned a file: read block by block...
    @exclusivity(unchecked) var fileBody: FileBody?
    /// ...or sent with `sendfile(2)`, waiting on `writablePoll` when the socket is full.
    @exclusivity(unchecked) var fileTransfer: FileTransfer?
    @exclusivity(unchecked) var writablePoll: WritablePoll?
    /// A body chunk is queued: it must reach the kernel before the next part is pulled.
    var mustFlush = false
    /// Asynchronous writes (or a writability wait) in flight; nothing more is pulled meanwhile.
    var writesQueued = 0
    var writePending: Bool { writesQueued > 0 }
    /// Changes whenever a response ends, so a part returned by a response that ended while it ran
    /// (inline `write()` reached the Content-Length, or the client went away) is dropped.
    var responseGeneration = 0
    /// No further request is read; close once the current response is out.
    var closeAfterResponse = false
    /// The peer sent FIN.
    var peerFinished = false

    // Timeouts (checked by the worker's sweep).
    var timeout = Timeout.none
    var deadline: UInt64 = 0

    init(id: Int, worker: LoopWorker, stream: TCPStream, info: ConnectionInfo) {
        self.id = id
        self.worker = worker
        self.stream = stream
        self.info = info
        parser = RequestParser(limits: worker.configuration.limits, leniencies: worker.configuration.leniencies)
    }

    /// Starts reading; a new connection has ``ServerConfiguration/Timeouts/headerRead`` to send
    /// its first request.
    func start() {
        stream.delegate = self
        do {
            try stream.setNoDelay(true)
            try stream.startReading()
        } catch {
            worker.logger.debug("cannot start connection", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            closeNow()
            return
        }
        arm(.headerRead)
    }

    var peerDescription: String { "\(info.remoteAddress):\(info.remotePort)" }

    // MARK: Reading

    func streamDidRead(_ stream: TCPStream, _ bytes: UnsafeRawBufferPointer) {
        // Lingering, closed, or done with this connection's input: discard.
        guard closing == .open, !closeAfterResponse else { return }
        if input.isEmpty {
            // The common case: parse straight out of the loop's shared buffer, keep only leftovers.
            let consumed = drive(bytes)
            if consumed < bytes.count, closing == .open, !closeAfterResponse {
                input.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
            }
        } else {
            input.append(bytes)
            driveBufferedInput()
        }
        settle()
    }

    func streamDidReachEOF(_ stream: TCPStream) {
        peerFinished = true
        switch closing {
        case .closed: return
        case .lingering: closeNow(); return
        case .open: break
        }
        // Requests already received are still answered (clients that half-close after sending);
        // a partial request is dropped.
        if !isResponding && !writePending { driveBufferedInput() }
        if !isResponding && (phase == .head || phase == .body) {
            worker.logger.debug("client closed mid-request", metadata: ["peer": "\(peerDescription)"])
        }
        closeAfterResponse = true
        settle()
    }

    func streamDidFail(_ stream: TCPStream, _ error: UVError) {
        worker.logger.debug("read failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        closeNow()
    }

    /// Runs parsing and responding over `view` (unconsumed input) as far as possible now.
    /// - Returns: how many bytes of `view` were consumed.
    func drive(_ view: UnsafeRawBufferPointer) -> Int {
        var consumed = 0
        var synchronousFlushes = 0
        while closing == .open && !writePending {
            if fileTransfer != nil {
                guard continueFileTransfer() else { break }
                continue
            }
            if isResponding {
                if mustFlush {
                    mustFlush = false
                    // Fairness: after a run of chunks the kernel took at once, queue the next
                    // write asynchronously so other connections on this loop get their turn.
                    synchronousFlushes += 1
                    guard flush(forceAsync: synchronousFlushes > 16) else { break }
                }
                let generation = responseGeneration
                guard let part = nextPart() else { break }
                guard closing == .open, generation == responseGeneration else { continue }
                handle(part)
                continue
            }
            if closeAfterResponse || phase == .failed { break }
            guard parseRequests(view, consumed: &consumed) else { break }
        }
        return consumed
    }

    /// ``drive(_:)`` over the connection's own buffered input.
    func driveBufferedInput() {
        let consumed = drive(input.bytes)
        if closing == .open { input.consume(consumed) }
    }

    /// Parses from `view` until a request is complete and dispatched (true) or more bytes are
    /// needed or the request failed (false).
    func parseRequests(_ view: UnsafeRawBufferPointer, consumed: inout Int) -> Bool {
        while true {
            let rest = UnsafeRawBufferPointer(rebasing: view[consumed...])
            // After a head, the parser may complete the message with no further byte.
            if rest.isEmpty && phase != .body { return false }
            let (event, count) = parser.parse(rest)
            switch event {
            case .needMore:
                consumed += count
                if phase == .idle && !parser.isBetweenMessages {
                    phase = .head
                    arm(.headerRead)
                }
                return false
            case .head:
                consumed += count
                beginRequest(headBytes: rest)
                if phase == .failed {
                    consumed = view.count
                    return false
                }
            case .body(let range):
                consumed += count
                receiveBody(UnsafeRawBufferPointer(rebasing: rest[range]))
                if phase == .failed {
                    consumed = view.count
                    return false
                }
            case .end:
                consumed += count
                dispatch()
                return true
            case .error(let error):
                consumed = view.count
                refuse(status: error.status, detail: error.reason, level: .info)
                return false
            }
        }
    }

    /// A head arrived: decide about the body and Expect, then hand the head to the responder
    /// while its bytes are valid.
    func beginRequest(headBytes: UnsafeRawBufferPointer) {
        let head = parser.head
        let method = UnsafeRawBufferPointer(rebasing: headBytes[head.method])
        request = RequestSummary(
            isHTTP11: head.version == .http1_1,
            isHead: method.elementsEqual("HEAD".utf8),
            keepAlive: head.keepAlive && !worker.isDraining
        )
        if worker.accessLogger != nil {
            requestLine = (Latin1.string(method), Latin1.string(UnsafeRawBufferPointer(rebasing: headBytes[head.target])))
            requestStart = worker.loop.now
        }
        if head.expectation == .unsupported {
            refuse(status: 417, detail: "only 100-continue is supported", level: .info)
            return
        }
        let hasBody = head.isChunked || (head.contentLength ?? 0) > 0
        let body: RequestBody
        if hasBody {
            body = RequestBody(
                memoryThreshold: worker.configuration.bodyMemoryThreshold,
                spoolDirectory: worker.configuration.spoolDirectory,
                expectedLength: head.contentLength
            )
            if head.expectation == .continue {
                worker.out.withScratch { $0.append("HTTP/1.1 100 Continue\r\n\r\n") }
            }
            arm(.bodyRead)
        } else {
            body = RequestBody.empty
            arm(.none)
        }
        self.body = body
        phase = .body
        call = worker.responder.accept(IncomingRequest(
            head: head, headBytes: headBytes, body: body, connection: info, server: worker.serverInfo
        ))
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) {
        do {
            try body?.append(bytes)
            arm(.bodyRead)
        } catch {
            worker.logger.error("cannot store request body", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            refuse(status: 500, detail: "the request body could not be stored", level: .error)
        }
    }

    /// The request is complete: start the application.
    func dispatch() {
        guard let call else { return }
        self.call = nil
        if let body, body !== RequestBody.empty { body.finish() }
        phase = .responding
        arm(.none)
        if let pool = worker.pool {
            channel = worker.submit(call, for: self, to: pool)
        } else {
            source = call.start()
        }
    }

    /// Answers with an error status and closes: nothing after a refused request is ever read.
    func refuse(status: Int, detail: String, level: Logger.Level) {
        worker.logger.log(level: level, "refused request", metadata: [
            "peer": "\(peerDescription)", "status": "\(status)", "reason": "\(detail)",
        ])
        phase = .failed
        call = nil
        body = nil
        ErrorResponse.write(status: status, detail: detail, to: worker.out, date: worker.date, serverLine: worker.serverLine)
        closeAfterResponse = true
    }
}
