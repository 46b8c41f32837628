import SharedBytes

/// Status and headers of a response, validated and encoded by the producer (a gateway), so that the
/// core copies them to the wire as they are: the producer checks the application's strings once, in
/// whatever form its runtime holds them, and may reuse the encoding for responses that repeat.
///
/// The producer's contract for ``lines``: the status line after `HTTP/1.1 ` and then the header
/// lines, each ending in CRLF (`200 OK\r\nContent-Type: text/plain\r\n`); ISO-8859-1 text, names
/// that are tokens, values without control characters but HTAB; no hop-by-hop header; at most one
/// Content-Length, none when ``forbidsContentLength(status:)``. The core adds `Date`, `Server`,
/// `Connection` and `Transfer-Encoding` as the connection needs them, and the final CRLF.
public struct ResponseHead: Sendable {
    /// The numeric status.
    public var status: Int
    /// Status line and header lines, as above.
    public var lines: Bytes
    /// The body's length when known: the Content-Length among ``lines``, or one the producer
    /// computed (then ``appendsContentLength`` is true).
    public var contentLength: Int?
    /// The core writes `Content-Length: contentLength`, which ``lines`` does not hold.
    public var appendsContentLength: Bool
    /// Whether ``lines`` already has a `Date` / `Server` header (the core adds missing ones).
    public var hasDate: Bool
    public var hasServer: Bool

    public init(
        status: Int, lines: Bytes, contentLength: Int?, appendsContentLength: Bool = false,
        hasDate: Bool = false, hasServer: Bool = false
    ) {
        self.status = status
        self.lines = lines
        self.contentLength = contentLength
        self.appendsContentLength = appendsContentLength
        self.hasDate = hasDate
        self.hasServer = hasServer
    }

    /// The same head with a computed body length the core will write as `Content-Length`.
    /// Use only when ``contentLength`` is nil and the status allows a length.
    public func withComputedLength(_ length: Int) -> ResponseHead {
        var head = self
        head.contentLength = length
        head.appendsContentLength = true
        return head
    }

    /// 1xx, 204 and 304 responses never carry a body, whatever the application yields
    /// (RFC 9110 §6.4.1, §15.3.5, §15.4.5). The one place that decides it, for producers and core.
    public static func forbidsBody(status: Int) -> Bool { status < 200 || status == 204 || status == 304 }

    /// 1xx and 204 responses must not carry Content-Length at all (RFC 9110 §8.6). A 304 may: it
    /// describes the selected representation, as it does in the answer to HEAD.
    public static func forbidsContentLength(status: Int) -> Bool { status < 200 || status == 204 }
}
