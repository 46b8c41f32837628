import HTTP1Parser
import HTTP2
import Logging
import UVLoop

/// One HTTP/2 connection (RFC 9113), beside the HTTP/1.1 ``Connection``: chosen by ALPN (`h2`) on
/// a TLS listener, or by the connection preface on a plain one (prior knowledge, `h2c`).
///
/// The data path: bytes received go into the ``HTTP2Session`` (nghttp2), whose callbacks open
/// ``HTTP2Stream``s and fill their requests; every event ends in ``settle()``, which pulls the
/// application's parts for the streams whose queue is empty, then hands the session's frames to
/// the transport while it takes them. When the socket is full the rest waits in one write in
/// flight; nothing more is produced meanwhile (backpressure), and reading stops too, so a peer
/// that does not read cannot make the server queue answers for it.
///
/// Each stream's request goes to a request handler as an HTTP/1.1 request does; a handler serves
/// one stream at a time and is reused once that stream's exchange ended (``takeHandler()``), so
/// gateways see what they see on HTTP/1.1 (``Responder``).
///
/// Ownership: the transport holds this object (its client) until its close callback, and so does
/// the loop's registry; this object owns its session and its streams. Thread: its loop's only.
final class HTTP2Connection: LoopConnection, TransportClient {
    enum State {
        case open
        /// GOAWAY sent (the server drains, or the connection is idle): open streams finish.
        case goingAway
        /// A connection error: what is queued (GOAWAY) goes out, then the connection lingers.
        case failing
        /// FIN sent after the last frame; input is read and discarded until the peer closes or the
        /// lingering timeout, so the peer reads the GOAWAY instead of a reset caused by unread input.
        case lingering
        case closed
    }

    let id: Int
    let context: LoopContext
    let transport: any ConnectionTransport
    let info: ConnectionInfo
    let settings: HTTP2Settings
    private(set) var session: HTTP2Session!
    /// Reads each stream's request as an HTTP/1.1 head (when ``HTTP2Stream`` starts it), one at a
    /// time; its field table is valid while that request is handed to its handler.
    var parser: RequestParser
    var state = State.open
    var streams: [Int32: HTTP2Stream] = [:]
    /// Handlers whose last stream ended, for the next streams.
    private var idleHandlers: [any RequestHandler] = []
    /// A write the socket did not take at once is in flight (its bytes are owned by it).
    var writeInFlight = false
    private var deadline: UInt64 = 0
    private var timeout = Timeout.none

    init(id: Int, context: LoopContext, transport: any ConnectionTransport, info: ConnectionInfo) throws {
        self.id = id
        self.context = context
        self.transport = transport
        self.info = info
        // A head is bounded as an HTTP/1.1 head is.
        var settings = context.configuration.http2.settings
        settings.maxHeaderListSize = UInt32(clamping: context.configuration.limits.maxHeadLength)
        self.settings = settings
        parser = RequestParser(limits: context.configuration.limits, leniencies: context.configuration.leniencies)
        session = try HTTP2Session(delegate: self, settings: settings)
    }

    var peerDescription: String { "\(info.remoteAddress):\(info.remotePort)" }
    var isHandlingRequest: Bool { !streams.isEmpty }

    /// Starts with `bytes` already received (the preface read by the HTTP/1.1 connection, or none).
    func start(with bytes: UnsafeRawBufferPointer) {
        do {
            try transport.startReading()
        } catch {
            return close()
        }
        arm(.headerRead)
        received(bytes)
    }

    // MARK: Transport events

    func received(_ bytes: UnsafeRawBufferPointer) {
        guard state == .open || state == .goingAway else { return }  // after a failure: discarded
        do {
            try session.receive(bytes)
        } catch {
            fail(error)
        }
        settle()
    }

    func receivedEOF() {
        guard state != .closed else { return }
        close()
    }

    func readFailed(_ error: UVError) {
        context.logger.debug("read failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        close()
    }

    func writeCompleted(_ error: UVError?) {
        writeInFlight = false
        if let error {
            context.logger.debug("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            return close()
        }
        settle()
    }

    func shutdownCompleted(_ error: UVError?) {
        guard state == .lingering else { return }
        if error != nil { return close() }
        arm(.lingeringClose)
        if !transport.isReading {
            do { try transport.startReading() } catch { close() }
        }
    }

    func becameWritable(_ error: UVError?) { settle() }

    func resume() { settle() }

    // MARK: Settling

    /// Every event ends here: the streams' parts are pulled and the frames written, as long as the
    /// socket takes them; then reading and closing are decided.
    func settle() {
        guard state != .closed else { return }
        // Until neither side moves: a pull gives frames to write, and writing frames may empty a
        // stream's queue (its window opened), which makes room for its next pull.
        var budget = Self.bytesPerTurn
        while !writeInFlight {
            var pulled = false
            for stream in Array(streams.values) where stream.pull() {
                session.resumeData(stream: stream.id)
                pulled = true
            }
            let wrote = flushOutput(budget: &budget)
            if !pulled && !wrote { break }
        }
        guard state != .closed, state != .lingering else { return }
        if !writeInFlight && (state == .failing || !session.isActive) {
            return startLingering()
        }
        if state == .failing { return }
        if writeInFlight {
            transport.stopReading()
        } else if !transport.isReading {
            do { try transport.startReading() } catch { return close() }
        }
        if streams.isEmpty {
            if timeout == .none || timeout == .write { arm(.keepAliveIdle) }
        } else {
            arm(writeInFlight ? .write : .none)
        }
    }

    /// A connection error from the peer: GOAWAY goes out (nghttp2 queued it, or a flood's here),
    /// then the connection closes. The GOAWAY is what is logged (``sessionSentGoAway(error:)``).
    private func fail(_ error: HTTP2Error) {
        context.logger.debug("HTTP/2 connection error", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        if error.isFlood { session.terminate(.enhanceYourCalm) }
        state = .failing
    }

    // MARK: Handlers

    func takeHandler() -> any RequestHandler {
        idleHandlers.popLast() ?? context.responder.handler(for: info, on: context.serverInfo, loop: context.responderScope)
    }

    func returnHandler(_ handler: any RequestHandler) {
        idleHandlers.append(handler)
    }

    // MARK: Timeouts, draining, closing

    func arm(_ kind: Timeout) {
        timeout = kind
        deadline = kind == .none ? 0 : context.now + context.milliseconds(for: kind)
    }

    func checkTimeout(now: UInt64) {
        guard timeout != .none, deadline > 0, now >= deadline, state != .closed else { return }
        context.logger.debug("\(timeout.rawValue) timeout; closing", metadata: ["peer": "\(peerDescription)", "protocol": "h2"])
        if timeout == .keepAliveIdle || timeout == .headerRead, state == .open || state == .goingAway {
            // Idle: say goodbye properly, then close.
            session.goAway()
            state = .failing
            settle()
        } else {
            close()
        }
    }

    /// The server drains: GOAWAY, the open streams finish, then the connection closes.
    func drain() {
        guard state == .open else { return }
        state = .goingAway
        session.goAway()
        settle()
    }

    /// The session is over (GOAWAY exchanged, or a connection error): FIN once the frames are out,
    /// then read until the peer closes.
    private func startLingering() {
        state = .lingering
        arm(.none)
        do { try transport.shutdown() } catch { close() }
    }

    func close() {
        guard state != .closed else { return }
        state = .closed
        timeout = .none
        let open = streams.values
        streams.removeAll()
        for stream in open { stream.closed(error: .cancel) }
        transport.close()
    }

    func closed() {
        idleHandlers.removeAll()
        context.connectionClosed(self)
    }
}
