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
    unowned let connection: HTTP2Connection
    var context: LoopContext { connection.context }
    var phase = Phase.receiving
    var incoming = Incoming.spooled(nil)

    // The request.
    var head = HTTP2RequestHead()
    /// Set when a field went past the head's limit: the request is answered 431 once complete.
    var headTooLarge = false
    var bodyLength = 0
    var isHeadRequest = false

    // The application's side: exactly one of `source` and `channel` once it runs, until closed.
    var handler: (any RequestHandler)?
    var source: (any ResponseSource)?
    var channel: PoolChannel?

    // The response.
    var queue: [Bytes] = []
    var queueOffset = 0
    var file: FileBody?
    /// What the declared Content-Length still allows; nil without one.
    var remainingLength: Int?
    var status = 0
    var bodyBytes = 0
    var accessRecord: AccessRecord?
    var requestStart: UInt64 = 0

    init(id: Int32, connection: HTTP2Connection) {
        self.id = id
        self.connection = connection
        if context.timesRequests { requestStart = context.clock.nanoseconds }
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
    func finishExchange(logged: Bool) {
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
