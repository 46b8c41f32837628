import SharedBytes

/// Frames one response body (RFC 9112 §6; PEP 3333's framing obligations S50, S59-S61): writes the
/// head, then each chunk with the chosen framing, and says how the response ended.
///
/// - HEAD, and the statuses of ``ResponseHead/forbidsBody(status:)``: no body whatever the
///   application yields.
/// - Content-Length known: exactly that many bytes, never more; fewer means the connection closes.
/// - Otherwise HTTP/1.1: chunked; HTTP/1.0: delimited by closing the connection.
struct ResponseFraming {
    enum Framing: Equatable {
        case none
        case length(remaining: Int)
        case chunked
        case untilClose
    }

    enum ChunkOutcome: Equatable {
        /// Framed; the application may produce more.
        case more
        /// The declared Content-Length is complete: stop iterating. `excess` bytes were dropped.
        case lengthReached(excess: Int)
        /// This response carries no body: stop iterating.
        case noBody
    }

    enum Ending: Equatable {
        case complete
        /// Fewer bytes than Content-Length declared: the connection must close.
        case short(sent: Int, declared: Int)
    }

    private(set) var framing: Framing
    /// Whether the connection stays open after this response.
    private(set) var keepAlive: Bool
    private(set) var bodyBytes = 0
    let status: Int

    /// Decides the framing and writes the head into `out`.
    init(head: ResponseHead, request: RequestSummary, context: LoopContext) {
        status = head.status
        let informational = head.status < 200
        var keepAlive = request.keepAlive && !informational
        if request.isHead || ResponseHead.forbidsBody(status: head.status) {
            framing = .none
        } else if let length = head.contentLength {
            framing = .length(remaining: length)
        } else if request.isHTTP11 {
            framing = .chunked
        } else {
            framing = .untilClose
            keepAlive = false
        }
        self.keepAlive = keepAlive
        let chunked = framing == .chunked
        context.out.withScratch { buffer in
            buffer.append("HTTP/1.1 ")
            buffer.append(head.lines.stableBytes)
            if head.appendsContentLength, let length = head.contentLength {
                buffer.append("Content-Length: ")
                buffer.appendDecimal(length)
                buffer.append("\r\n")
            }
            if !head.hasDate { buffer.append(context.date.line) }
            if !head.hasServer { buffer.append(context.serverLine) }
            if !keepAlive {
                buffer.append("Connection: close\r\n")
            } else if !request.isHTTP11 {
                buffer.append("Connection: keep-alive\r\n")
            }
            if chunked { buffer.append("Transfer-Encoding: chunked\r\n") }
            buffer.append("\r\n")
        }
    }

    /// Frames one non-empty chunk into `out`.
    mutating func append(_ chunk: Bytes, to out: OutputQueue) -> ChunkOutcome {
        switch framing {
        case .none:
            return .noBody
        case .length(let remaining):
            let sent = min(remaining, chunk.count)
            out.append(sent == chunk.count ? chunk : chunk.slice(0..<sent))
            bodyBytes += sent
            framing = .length(remaining: remaining - sent)
            return remaining - sent == 0 ? .lengthReached(excess: chunk.count - sent) : .more
        case .chunked:
            out.withScratch { buffer in
                buffer.appendHex(chunk.count)
                buffer.append("\r\n")
            }
            out.append(chunk)
            out.withScratch { $0.append("\r\n") }
            bodyBytes += chunk.count
            return .more
        case .untilClose:
            out.append(chunk)
            bodyBytes += chunk.count
            return .more
        }
    }

    /// Whether the body takes no more bytes: a response without body, or its Content-Length
    /// reached.
    var isComplete: Bool {
        switch framing {
        case .none: return true
        case .length(let remaining): return remaining == 0
        case .chunked, .untilClose: return false
        }
    }

    /// Bytes the body may still carry when they are sent around this framing (`sendfile`):
    /// nil when this framing cannot carry raw bytes (chunked), 0 when it carries no body.
    var rawCapacity: Int? {
        switch framing {
        case .none: return 0
        case .length(let remaining): return remaining
        case .untilClose: return Int.max
        case .chunked: return nil
        }
    }

    /// Counts `count` body bytes sent directly to the socket (within ``rawCapacity``).
    mutating func recordRawBytes(_ count: Int) {
        bodyBytes += count
        if case .length(let remaining) = framing { framing = .length(remaining: remaining - count) }
    }

    /// Ends the body (the chunked terminator) and says whether it is complete.
    mutating func finish(into out: OutputQueue) -> Ending {
        switch framing {
        case .chunked:
            out.withScratch { $0.append("0\r\n\r\n") }
            return .complete
        case .length(let remaining) where remaining > 0:
            keepAlive = false
            return .short(sent: bodyBytes, declared: bodyBytes + remaining)
        case .none, .length, .untilClose:
            return .complete
        }
    }
}
