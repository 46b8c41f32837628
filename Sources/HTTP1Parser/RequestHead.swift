/// The HTTP versions this parser accepts; any other well-formed version is `.unsupportedVersion` (505).
public enum HTTPVersion: Sendable {
    case http1_0
    case http1_1
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
public struct RequestHead: Sendable, Equatable {
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
    /// Every field line in order, duplicates kept. The array's storage is reused for the next
    /// message (capacity kept), so keeping a copy of it past the next message forces a reallocation.
    public var fields: [HeaderField]
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
        fields = []
        contentLength = nil
        isChunked = false
        keepAlive = true
        expectation = .none
        length = 0
    }

    /// Makes this head a copy of `other` that keeps its own field storage. A head kept beyond the
    /// parser's next message (by a gateway that copied the head's bytes too) is copied this way:
    /// sharing the parser's field array would make both reallocate it, every request.
    public mutating func assign(_ other: RequestHead) {
        method = other.method
        target = other.target
        targetForm = other.targetForm
        path = other.path
        query = other.query
        version = other.version
        fields.removeAll(keepingCapacity: true)
        fields.append(contentsOf: other.fields)
        contentLength = other.contentLength
        isChunked = other.isChunked
        keepAlive = other.keepAlive
        expectation = other.expectation
        length = other.length
    }

    /// Starts the next message: empties the field table, keeping its storage (16 entries reserved
    /// on first use). Every other property is written again before the next `.head` (the request
    /// line, `InterpretedFields.complete` and the head's length), so it is left as it is.
    mutating func reset() {
        if fields.capacity == 0 {
            fields.reserveCapacity(16)
        } else {
            fields.removeAll(keepingCapacity: true)
        }
    }
}
