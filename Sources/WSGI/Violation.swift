/// One broken rule of the WSGI contract, found by ``Validator`` at run time.
///
/// A violation names the rule (``check``) and says what happened (``message``). The check tells
/// which side broke the contract: a server (the environ it built, how it drove the body, how its
/// `wsgi.input` behaves) or an application (what it passed to `start_response`, what it produced).
///
/// A plain value: `Sendable`, safe to collect from any thread. It is also an `Error`, which is what
/// ``Validator`` throws into the server when an application breaks a rule.
public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which party a rule binds.
    public enum Side: String, Sendable {
        case server
        case application
    }

    /// The rules ``Validator`` checks, one identifier each.
    public enum Check: String, Sendable, CaseIterable {
        // MARK: Server side: the environ (PEP 3333 "environ Variables")

        /// A key every environ must hold is absent: the CGI keys `REQUEST_METHOD`, `SCRIPT_NAME`,
        /// `PATH_INFO`, `QUERY_STRING`, `SERVER_NAME`, `SERVER_PORT`, `SERVER_PROTOCOL` and the seven
        /// `wsgi.*` keys.
        case requiredKey
        /// A key without a dot (a CGI variable) is not a string, or holds a scalar above U+00FF.
        case nativeString
        /// `REQUEST_METHOD` is empty.
        case requestMethod
        /// `SCRIPT_NAME` is neither empty nor a path starting with `/`, or it is exactly `/`.
        case scriptName
        /// `PATH_INFO` is neither empty nor a path starting with `/`.
        case pathInfo
        /// `SERVER_NAME` is empty.
        case serverName
        /// `SERVER_PORT` is empty.
        case serverPort
        /// `SERVER_PROTOCOL` is not `HTTP/` followed by a version.
        case serverProtocol
        /// `CONTENT_LENGTH` is present, not empty, and not made of decimal digits.
        case contentLength
        /// `HTTP_CONTENT_TYPE` or `HTTP_CONTENT_LENGTH` is present (they belong without the prefix).
        case contentHeaderPrefix
        /// `wsgi.version` is not `(1, 0)`.
        case wsgiVersion
        /// `wsgi.url_scheme` is not the string `http` or `https`.
        case urlScheme
        /// `wsgi.input` or `wsgi.errors` is not a stream.
        case wsgiStream
        /// `wsgi.multithread`, `wsgi.multiprocess` or `wsgi.run_once` is not a boolean.
        case wsgiFlag

        // MARK: Server side: wsgi.input

        /// `read(n)` or `readline(n)` gave more than `n` bytes, or the stream gave more bytes than
        /// `CONTENT_LENGTH`.
        case inputOverread
        /// The stream gave data after a short read had signalled the end of the body: `read(n)`
        /// must return `n` bytes unless the body ends first.
        case inputShortRead

        // MARK: Server side: driving the response body

        /// The body was released without `close()` being called.
        case bodyNotClosed
        /// `close()` was called on the body a second time.
        case bodyClosedTwice
        /// `next()` was called on the body after `close()`.
        case nextAfterClose
        /// `start_response` was called with an error after body data had gone to the server, and
        /// the server's `start_response` returned instead of throwing (it must rethrow the error).
        case errorNotRethrown

        // MARK: Application side

        /// The status line is not three digits, a space and a reason without control characters.
        case status
        /// A header name or value breaks ``ResponseRules``, or `Content-Length` is not one
        /// decimal number.
        case header
        /// `start_response` was called again without an error.
        case startResponseCalledTwice
        /// The body produced data, or ended, before `start_response` was called.
        case startResponseNotCalled
        /// `write` was called after the server closed the body.
        case writeAfterClose
        /// More bytes were produced than `Content-Length` declared (allowed for a
        /// `wsgi.file_wrapper` body, which a server cuts at the length), or fewer by the end of the body.
        case responseLength
        /// The body's `count` (Python's `len()`) did not match the number of chunks it produced.
        case chunkCount
        /// The application called `close()` on `wsgi.input`, which belongs to the server.
        case inputClosed

        /// The party the rule binds.
        public var side: Side {
            switch self {
            case .requiredKey, .nativeString, .requestMethod, .scriptName, .pathInfo, .serverName,
                .serverPort, .serverProtocol, .contentLength, .contentHeaderPrefix, .wsgiVersion,
                .urlScheme, .wsgiStream, .wsgiFlag, .inputOverread, .inputShortRead, .bodyNotClosed,
                .bodyClosedTwice, .nextAfterClose, .errorNotRethrown:
                return .server
            case .status, .header, .startResponseCalledTwice, .startResponseNotCalled,
                .writeAfterClose, .responseLength, .chunkCount, .inputClosed:
                return .application
            }
        }
    }

    /// The rule that was broken.
    public let check: Check
    /// What happened, for a log line or a test failure.
    public let message: String

    public init(_ check: Check, _ message: String) {
        self.check = check
        self.message = message
    }

    /// The party that broke the rule.
    public var side: Side { check.side }

    public var description: String { "WSGI \(side.rawValue) violation (\(check.rawValue)): \(message)" }
}
