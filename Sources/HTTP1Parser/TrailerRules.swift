/// The fields refused in a trailer section.
///
/// RFC 9110 §6.5.1 forbids in trailers the fields a recipient must evaluate before the content:
/// message framing, routing, authentication, request modifiers (controls and conditionals), response
/// controls and content format. Accepting any of them after the body would let a peer change how an
/// already-framed message is routed or read. The list, by the category the RFC names:
/// - framing: Content-Length, Transfer-Encoding, Trailer, TE
/// - connection management (framing of the next message): Connection, Keep-Alive, Upgrade,
///   Proxy-Connection
/// - routing: Host
/// - authentication: Authorization, Proxy-Authorization, Cookie
/// - request modifiers: Expect, Max-Forwards, Cache-Control, Pragma, Range, If-Match,
///   If-None-Match, If-Modified-Since, If-Unmodified-Since, If-Range
/// - content format: Content-Type, Content-Encoding, Content-Range
enum TrailerRules {
    private static let forbidden: [StaticString] = [
        "content-length", "transfer-encoding", "trailer", "te",
        "connection", "keep-alive", "upgrade", "proxy-connection",
        "host",
        "authorization", "proxy-authorization", "cookie",
        "expect", "max-forwards", "cache-control", "pragma", "range", "if-match", "if-none-match",
        "if-modified-since", "if-unmodified-since", "if-range",
        "content-type", "content-encoding", "content-range",
    ]

    /// Whether the field name at `name` may not appear in a trailer section (case-insensitive).
    static func isForbidden(_ name: Range<Int>, in input: Input) -> Bool {
        forbidden.contains { input.equalsIgnoringCase(name, $0) }
    }
}
