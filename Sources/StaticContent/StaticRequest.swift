/// What a static-file answer depends on, taken from a request by whoever serves it.
public struct StaticRequest: Sendable {
    public var method: String
    /// The decoded path below the directory (`/css/site.css`; empty or `/` for the directory
    /// itself): bytes, as the request's percent-decoded path is (not necessarily UTF-8).
    public var path: [UInt8]
    public var ifNoneMatch: String?
    public var ifModifiedSince: String?
    public var range: String?
    public var acceptEncoding: String?

    public init(method: String, path: [UInt8], ifNoneMatch: String? = nil, ifModifiedSince: String? = nil, range: String? = nil, acceptEncoding: String? = nil) {
        self.method = method
        self.path = path
        self.ifNoneMatch = ifNoneMatch
        self.ifModifiedSince = ifModifiedSince
        self.range = range
        self.acceptEncoding = acceptEncoding
    }
}

/// A static-file response: status, headers (with `Content-Length`), and what the body is.
public struct StaticAnswer: Sendable {
    public enum Body: Sendable {
        /// No body (HEAD, 304, an empty file or range).
        case none
        /// A short text the answer makes itself (405, 416).
        case text(String)
        /// This part of this file.
        case file(path: String, range: Range<Int>)
    }

    public var status: Int
    public var reason: String
    /// The headers, `Content-Length` among them when ``contentLength`` is set.
    public var headers: [(String, String)]
    public var body: Body
    /// The length the `Content-Length` header states (of the file or range also for HEAD); nil
    /// for a 304.
    public var contentLength: Int?

    public init(status: Int, reason: String, headers: [(String, String)], body: Body, contentLength: Int? = nil) {
        self.status = status
        self.reason = reason
        self.headers = headers + (contentLength.map { [("Content-Length", "\($0)")] } ?? [])
        self.body = body
        self.contentLength = contentLength
    }

    /// A short plain-text answer: the reason phrase as its body.
    static func text(_ status: Int, _ reason: String, _ headers: [(String, String)]) -> StaticAnswer {
        let text = reason + "\n"
        return StaticAnswer(
            status: status, reason: reason, headers: headers + [("Content-Type", "text/plain; charset=utf-8")], body: .text(text),
            contentLength: text.utf8.count
        )
    }
}
