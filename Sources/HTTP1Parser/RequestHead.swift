/// The HTTP versions of a request. The parser accepts 1.0 and 1.1 (any other well-formed version
/// is `.unsupportedVersion`, 505); `.http2` marks a head translated from an HTTP/2 stream, which the
/// parser read as HTTP/1.1.
public enum HTTPVersion: Sendable {
    case http1_0
    case http1_1
    case http2

    /// CGI's `SERVER_PROTOCOL`: `HTTP/1.1`, `HTTP/1.0`, `HTTP/2` (RFC 9113 names no minor version).
    public var serverProtocol: StaticString {
        switch self {
        case .http1_0: "HTTP/1.0"
        case .http1_1: "HTTP/1.1"
        case .http2: "HTTP/2"
        }
    }
}

/// The four request-target forms of RFC 9112 §3.2.
public enum TargetForm: Sendable {
    /// `/path?query`, the usual form.
    case origin
    /// `scheme://authority/path?query`, sent to proxies; servers must accept it too.
    case absolute
    /// `host:port`, CONNECT only.
    case authority
    /// `*`, OPTIONS only.
    case asterisk
}

/// What the client's `Expect` field asks for.
public enum Expectation: Sendable {
    /// No Expect field, or an HTTP/1.0 request (Expect is an HTTP/1.1 feature).
    case none
    /// `Expect: 100-continue` (case-insensitive): the client waits for `100 Continue` before the body.
    case `continue`
    /// Any other Expect value; a server answers 417.
    case unsupported
}

/// One header field line as offsets into the bytes of the `parse` call that returned `.head`.
public struct HeaderField: Sendable, Equatable {
    /// The field name, as sent (compare case-insensitively).
    public var name: Range<Int>
    /// The field value with leading and trailing SP/HTAB removed (and nothing else removed).
    public var value: Range<Int>
}

/// A parsed request head. Every `Range<Int>` is an offset into the bytes of the `parse` call that
/// returned `.head`; the head is valid until the parser sees the first byte of the next message.
///
/// A plain value (no reference counting): copying it is copying its words. ``fields`` is a view of
/// the parser's own field table, like the ranges a view of the caller's bytes; whoever keeps a head
/// longer than that copies the fields too.
public struct RequestHead: Equatable {
    /// The method, case-sensitive (`GET` and `get` differ).
    public var method: Range<Int>
    /// The whole request-target.
    public var target: Range<Int>
    public var targetForm: TargetForm
    /// Origin-form: the target up to `?` (or its end). Absolute-form: from the `/` after the authority
    /// up to `?` (or the end); an empty range at the end of the authority when the URI has no path.
    /// Authority- and asterisk-form: an empty range at the end of the target.
    public var path: Range<Int>
    /// The bytes after the first `?` of an origin- or absolute-form target (possibly empty);
    /// nil when the target has no `?`.
    public var query: Range<Int>?
    public var version: HTTPVersion
    /// Every field line in order, duplicates kept: a view of the parser's field table, valid until
    /// the parser sees the first byte of the next message.
    public var fields: UnsafeBufferPointer<HeaderField>
    /// The Content-Length, nil when absent (it is always absent when `isChunked`).
    public var contentLength: Int?
    /// Transfer-Encoding is exactly `chunked` (the only coding this parser decodes).
    public var isChunked: Bool
    /// Whether the connection may carry another request after this one: HTTP/1.1 unless Connection
    /// lists `close`; HTTP/1.0 only when Connection lists `keep-alive` and not `close`.
    public var keepAlive: Bool
    public var expectation: Expectation
    /// Bytes of the head, from the first byte of the call (including ignored empty lines before the
    /// request line) through the CRLF of the empty line. `.head` consumes exactly this many bytes.
    public var length: Int

    init() {
        method = 0..<0
        target = 0..<0
        targetForm = .origin
        path = 0..<0
        query = nil
        version = .http1_1
        fields = UnsafeBufferPointer(start: nil, count: 0)
        contentLength = nil
        isChunked = false
        keepAlive = true
        expectation = .none
        length = 0
    }

    public static func == (lhs: RequestHead, rhs: RequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.targetForm == rhs.targetForm
            && lhs.path == rhs.path && lhs.query == rhs.query && lhs.version == rhs.version
            && lhs.fields.elementsEqual(rhs.fields) && lhs.contentLength == rhs.contentLength
            && lhs.isChunked == rhs.isChunked && lhs.keepAlive == rhs.keepAlive
            && lhs.expectation == rhs.expectation && lhs.length == rhs.length
    }
}
