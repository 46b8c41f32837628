/// A stream's request head as its fields arrive, and its translation into the HTTP/1.1 head that
/// the core's parser reads, so that an HTTP/2 request reaches gateways as the same
/// ``IncomingRequest`` (the same environ rules, limits and checks) with its version `.http2`.
///
/// RFC 9113 §8.3: `:method` and `:path` make the request line (`:scheme` is the connection's,
/// as `wsgi.url_scheme` is), `:authority` the `Host` field unless one was sent; `cookie` fields
/// are joined with `; ` (§8.2.3). nghttp2 has already checked the pseudo-header fields, their
/// order, and that no connection-specific field is present.
struct HTTP2RequestHead {
    private var method: [UInt8] = []
    private var path: [UInt8] = []
    private var authority: [UInt8] = []
    private var hasHost = false
    private var cookies: [UInt8] = []
    private var hasContentLength = false
    /// The regular fields as HTTP/1.1 field lines.
    private var lines: [UInt8] = []
    /// RFC 9113's size of the head so far: each name and value, plus 32.
    private(set) var size = 0

    /// Adds one field; false when the head grows past `maxSize` (431).
    mutating func add(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, maxSize: Int) -> Bool {
        size += name.count + value.count + 32
        guard size <= maxSize else { return false }
        if name.first == UInt8(ascii: ":") {
            if name.elementsEqual(":method".utf8) {
                method = Array(value)
            } else if name.elementsEqual(":path".utf8) {
                path = Array(value)
            } else if name.elementsEqual(":authority".utf8) {
                authority = Array(value)
            }
            // :scheme is the connection's; :protocol (extended CONNECT) is not offered.
            return true
        }
        if name.elementsEqual("cookie".utf8) {
            if !cookies.isEmpty { cookies += "; ".utf8 }
            cookies += value
            return true
        }
        if name.elementsEqual("host".utf8) { hasHost = true }
        if name.elementsEqual("content-length".utf8) { hasContentLength = true }
        appendLine(name, value)
        return true
    }

    /// The HTTP/1.1 head: request line, fields, and `Content-Length: bodyLength` when the client
    /// sent none (the body is complete by then, so the application is told its length).
    func http1Head(bodyLength: Int) -> [UInt8] {
        var head = method
        head += " ".utf8
        head += path
        head += " HTTP/1.1\r\n".utf8
        var extra = HTTP2RequestHead()
        if !hasHost && !authority.isEmpty { extra.appendLine("host".utf8, authority) }
        if !cookies.isEmpty { extra.appendLine("cookie".utf8, cookies) }
        if !hasContentLength && bodyLength > 0 { extra.appendLine("content-length".utf8, Array(String(bodyLength).utf8)) }
        head += extra.lines
        head += lines
        head += "\r\n".utf8
        return head
    }

    var isHead: Bool { method.elementsEqual("HEAD".utf8) }

    private mutating func appendLine(_ name: some Sequence<UInt8>, _ value: some Sequence<UInt8>) {
        lines += name
        lines += ": ".utf8
        lines += value
        lines += "\r\n".utf8
    }
}
