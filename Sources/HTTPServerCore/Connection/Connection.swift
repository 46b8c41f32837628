import HTTP1Parser
import Logging
import UVLoop

/// One client connection: reads requests, hands each to the application, writes its response,
/// then reads the next (keep-alive, pipelining).
///
/// The data path, top to bottom: ``received(_:)`` feeds bytes to ``advance(over:)``, which parses
/// them (Connection+Reading); a complete request's source is pulled part by part, each part framed
/// and written before the next is asked for (Connection+Responding); every event ends in
/// ``settle()``, which hands the output to the loop's next flush point and decides about reading and
/// closing (Connection+Closing).
///
/// Where the connection is lives in one place, ``state``; ``exchange`` holds the request and
/// response in progress (in ``State/readingBody`` and ``State/responding``). Two facts are
/// orthogonal to the state: the peer may have finished sending (``inputEnded``), and writes of ours
/// may be in flight (``writesInFlight``: nothing advances meanwhile, so output stays in order and
/// the application never outruns the client).
///
/// Nothing re-enters the connection: the application's `write()` data (``push(_:)``) is framed and
/// written at once, the application waiting for the client, but what would change the
/// connection's state (the body complete, a failed write) waits until the application returns
/// control (Connection+Pushing). Likewise its reads of a body streamed on this thread receive from
/// the socket at once, beside libuv, and a failure there is acted on once the application returned
/// (Connection+ReceivingBody).
///
/// Ownership: the transport holds this object (as its delegate) until the transport's close
/// callback, and so does the loop's registry. Thread: its loop's thread only.
final class Connection: PartSink {
    enum State: Equatable {
        /// No byte of a request since the connection opened or the last response completed.
        case awaitingRequest
        /// Part of a request head arrived.
        case readingHead
        /// The head was accepted (``exchange``); the body, if any, is arriving. With application
        /// threads the response may already be under way (full duplex).
        case readingBody
        /// The application's response is in progress (``exchange``).
        case responding
        /// No further request will be read: what is queued (the last response, or a refusal) is
        /// written, then FIN.
        case finishing
        /// FIN sent; input is read and discarded until the peer closes (lingering close).
        case lingering
        case closed
    }

    let id: Int
    /// What this loop's connections share. A strong `let`, read many times per request: the
    /// compiler borrows it from `self` without reference counting (an `unowned` reference would be
    /// retained around every use).
    let context: LoopContext
    let transport: any ConnectionTransport
    let info: ConnectionInfo
    /// The application side of this connection's requests.
    let handler: any RequestHandler

    // Unchecked exclusivity, for every property below: read and changed in place several times per
    // request, on the loop thread only, and never re-entered while being changed (parts the
    // application pushes are queued, not handled, while it runs); the runtime's bookkeeping, tens of
    // instructions per access, buys nothing here.
    @exclusivity(unchecked) var state = State.awaitingRequest
    /// The request and response in progress.
    @exclusivity(unchecked) var exchange = Exchange()
    @exclusivity(unchecked) var parser: RequestParser
    /// Unconsumed input: a partial head, or pipelined requests waiting for the current response.
    @exclusivity(unchecked) var input = InputBuffer()
    /// The peer sent FIN: requests already received are answered, then the connection closes.
    @exclusivity(unchecked) var inputEnded = false
    /// Asynchronous writes, a wait for writability, or deferred output, in flight.
    @exclusivity(unchecked) var writesInFlight = 0
    /// This connection's output waiting for the loop's flush point.
    @exclusivity(unchecked) var deferredOutput: OutputQueue?
    /// What the access log line of the current request needs; made at the first request when the
    /// access log is on.
    @exclusivity(unchecked) var accessRecord: AccessRecord?
    /// Monotonic nanoseconds when the current request's head arrived (kept when
    /// ``LoopContext/timesRequests``).
    @exclusivity(unchecked) var requestStart: UInt64 = 0
    /// Wall-clock microseconds when the current request's first byte was read (kept when
    /// ``ServerConfiguration/stampsRequestStart``; 0 until then).
    @exclusivity(unchecked) var firstByteAt: UInt64 = 0

    // The timeout in force, checked by the loop's sweep.
    @exclusivity(unchecked) var timeout = Timeout.none
    @exclusivity(unchecked) var deadline: UInt64 = 0

    /// Whether a request is between its head and the end of its response (the exchange is in
    /// progress; metrics' active requests).
    var isHandlingRequest: Bool { state == .readingBody || state == .responding }

    init(id: Int, context: LoopContext, transport: any ConnectionTransport, info: ConnectionInfo) {
        self.id = id
        self.context = context
        self.transport = transport
        self.info = info
        handler = context.responder.handler(for: info, on: context.serverInfo, loop: context.responderScope)
        parser = RequestParser(limits: context.configuration.limits, leniencies: context.configuration.leniencies)
    }

    /// Starts reading; a new connection has the header-read timeout to send its first request.
    func start() {
        do {
            try transport.startReading()
        } catch {
            context.logger.debug("cannot start connection", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            close()
            return
        }
        arm(.headerRead)
    }

    var peerDescription: String { "\(info.remoteAddress):\(info.remotePort)" }

    // MARK: Events

    /// Bytes arrived (valid only during this call).
    func received(_ bytes: UnsafeRawBufferPointer) {
        switch state {
        case .awaitingRequest, .readingHead, .readingBody, .responding:
            if input.isEmpty {
                // The common case: parse straight out of the loop's read buffer, keep leftovers.
                let consumed = advance(over: bytes)
                if consumed < bytes.count && acceptsInput {
                    input.append(UnsafeRawBufferPointer(rebasing: bytes[consumed...]))
                }
            } else {
                input.append(bytes)
                advanceBufferedInput()
            }
        case .finishing, .lingering, .closed:
            break  // nothing after the last request is read: discard
        }
        settle()
    }

    /// The peer finished sending.
    func receivedEOF() {
        inputEnded = true
        switch state {
        case .closed: return
        case .lingering: return close()
        default: break
        }
        advanceBufferedInput()
        settle()
    }

    func readFailed(_ error: UVError) {
        context.logger.debug("read failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        close()
    }

    /// An application thread has news (pool mode): a part is waiting, or a read of the request
    /// body freed room or waits for `100 Continue`.
    func resume() {
        switch state {
        case .responding: break
        case .readingBody where exchange.channel != nil: bodyReaderNeedsAttention()
        default: return
        }
        advanceBufferedInput()
        settle()
    }

    // MARK: Advancing

    /// Parsing and responding over `view` (the unconsumed input) as far as possible now.
    /// - Returns: how many bytes of `view` were consumed.
    func advance(over view: UnsafeRawBufferPointer) -> Int {
        var consumed = 0
        var flushes = 0
        while writesInFlight == 0 {
            switch state {
            case .awaitingRequest, .readingHead:
                guard parse(view, consumed: &consumed) else { return consumed }
            case .readingBody:
                if parse(view, consumed: &consumed) { continue }
                // The body waits for bytes (or for the application to read); an application
                // thread may be answering meanwhile: its parts are taken as in `.responding`.
                guard state == .readingBody, exchange.channel != nil, respond(flushes: &flushes) else { return consumed }
            case .responding:
                guard respond(flushes: &flushes) else { return consumed }
            case .finishing, .lingering, .closed:
                return consumed
            }
        }
        return consumed
    }

    /// One step of the response, after what is queued of it reached the kernel.
    /// - Returns: false when it must wait.
    private func respond(flushes: inout Int) -> Bool {
        // Once the head is out, whatever is queued reaches the kernel before the next part is
        // asked for. Before the head nothing of this response is queued (only earlier pipelined
        // responses, which may wait and leave in one write with this one).
        if exchange.framing != nil && !context.out.isEmpty {
            // Fairness: after a run of writes the kernel took at once, queue the next one
            // asynchronously so that the other connections of this loop get their turn.
            flushes += 1
            guard flush(forceAsync: flushes > 16) else { return false }
        }
        return stepResponse()
    }

    /// ``advance(over:)`` over the connection's own buffered input.
    func advanceBufferedInput() {
        let consumed = advance(over: input.bytes)
        if acceptsInput {
            input.consume(consumed)
        } else {
            input.removeAll()
        }
    }

    /// Whether input is still wanted: requests are read until the connection is finishing.
    private var acceptsInput: Bool {
        switch state {
        case .awaitingRequest, .readingHead, .readingBody, .responding: return true
        case .finishing, .lingering, .closed: return false
        }
    }
}
