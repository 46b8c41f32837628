import HTTP1Parser
import WSGI

// The seam between the HTTP core and whatever runs applications.
//
// The core speaks HTTP: it parses, limits, frames, writes and times out. It knows nothing of environ
// or start_response. For each request it asks a `Responder` for an `ApplicationCall`, starts it on
// the application thread, and pulls `ResponsePart`s from the returned `ResponseSource` one at a time,
// asking for the next part only after the previous one has been handed to the kernel.
//
// Threads: `Responder.accept` runs on the loop thread (the request's bytes are valid only there).
// `ApplicationCall.start` and every `ResponseSource` call run on the application thread: the loop
// thread when `threads == 0`, else one pool thread for the whole response.

/// Turns requests into application calls. Implemented by the WSGI gateway.
public protocol Responder: Sendable {
    /// Copies what the application needs out of `request`. Loop thread; must not block.
    func accept(_ request: borrowing IncomingRequest) -> any ApplicationCall
}

/// A request ready to run, detached from the connection's buffers. Class-bound: the core stores
/// it per request, and a class reference moves without runtime value-witness calls.
public protocol ApplicationCall: AnyObject, Sendable {
    /// Runs the application. The returned source is used only on the calling thread.
    func start() -> any ResponseSource
}

/// The response as the application produces it, pulled by the core.
public protocol ResponseSource: AnyObject {
    /// The next part. Errors are parts too: before the head, the source itself answers 500; after
    /// it, ``ResponsePart/abort(_:)``. Data the application writes while this runs (legacy
    /// `write()`) goes to `sink` and precedes the returned part.
    func next(into sink: any PartSink) -> ResponsePart
    /// Called exactly once when the response ends, however it ends (complete, aborted, client gone,
    /// server shutdown).
    func close()
}

/// Where a source hands parts that cannot wait for the next pull: data the application writes
/// while it runs. A pushed part is handed to the kernel, or queued behind earlier writes, before
/// `push` returns; on an application thread, `push` waits until the loop has done so.
public protocol PartSink: AnyObject {
    /// Sends a non-final `.head` or `.chunk` part. Throws ``ResponseAbandoned`` when the response
    /// can no longer be sent.
    func push(_ part: ResponsePart) throws
}

/// The response can no longer be sent: the client went away or the connection is being closed.
public struct ResponseAbandoned: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the response was abandoned: the client went away or the connection closed" }
}

/// One step of a response.
public enum ResponsePart: Sendable {
    /// Status and headers, with the first non-empty body chunk when there is one. `final` means
    /// nothing follows: the core completes the response without asking again.
    case head(ResponseHead, body: Bytes?, final: Bool)
    /// A non-empty body chunk; `final` as above.
    case chunk(Bytes, final: Bool)
    /// The rest of the body is this part of a file, sent with `sendfile(2)`; always final.
    case file(FileSlice)
    /// The body is complete.
    case end
    /// The application failed after the head went out: cut the connection (no clean terminator,
    /// so the client sees the response is incomplete).
    case abort(String)
}

/// Status and headers of a response, already validated by the producer.
public struct ResponseHead: Sendable {
    /// The numeric status.
    public var status: Int
    /// The status line after the version, e.g. `"200 OK"`: ISO-8859-1 text.
    public var statusLine: String
    /// Header pairs in order: valid tokens and values, ISO-8859-1, no hop-by-hop headers.
    public var headers: [(String, String)]
    /// The value of the Content-Length header among `headers`, when present.
    public var contentLength: Int?
    /// Whether `headers` already has a `Date` / `Server` header (the core adds missing ones).
    public var hasDate: Bool
    public var hasServer: Bool

    public init(status: Int, statusLine: String, headers: [(String, String)], contentLength: Int?, hasDate: Bool = false, hasServer: Bool = false) {
        self.status = status
        self.statusLine = statusLine
        self.headers = headers
        self.contentLength = contentLength
        self.hasDate = hasDate
        self.hasServer = hasServer
    }
}

/// A part of an open file to send as the rest of a body.
public struct FileSlice: Sendable {
    /// The file; it stays open until the source's `close()`.
    public var descriptor: Int32
    /// Where sending starts.
    public var offset: Int
    /// How many bytes to send; `nil` sends to the end of the file.
    public var length: Int?

    public init(descriptor: Int32, offset: Int, length: Int?) {
        self.descriptor = descriptor
        self.offset = offset
        self.length = length
    }
}

/// The addresses of a connection, as CGI wants them.
public struct ConnectionInfo: Sendable {
    public var remoteAddress: String
    public var remotePort: Int
    public var localAddress: String
    public var localPort: Int
}

/// What the server tells applications about itself. One per server, shared by every request.
public final class ServerInfo: Sendable {
    /// `SERVER_SOFTWARE` and the `Server` header.
    public let software: String
    /// `wsgi.url_scheme`.
    public let urlScheme: String
    /// The configured host (SERVER_NAME when it is a concrete address).
    public let host: String
    /// True when the application may run on several threads at once: an application thread pool,
    /// or several event loops each running it.
    public let multithread: Bool
    /// True when several processes run the application.
    public let multiprocess: Bool

    init(software: String, urlScheme: String, host: String, multithread: Bool, multiprocess: Bool) {
        self.software = software
        self.urlScheme = urlScheme
        self.host = host
        self.multithread = multithread
        self.multiprocess = multiprocess
    }
}

/// A request as the core hands it to a ``Responder``. Valid only during `accept` on the loop thread:
/// `headBytes` point into the connection's buffer.
public struct IncomingRequest {
    /// The parsed head; its ranges are offsets into ``headBytes``.
    public let head: RequestHead
    /// The bytes of the head.
    public let headBytes: UnsafeRawBufferPointer
    /// The body. Complete (fully received) by the time the application starts.
    public let body: RequestBody
    public let connection: ConnectionInfo
    public let server: ServerInfo

    /// The bytes of `range` of the head.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: headBytes[range])
    }

    /// The bytes of `range` decoded 1:1 as ISO-8859-1 (PEP 3333's native strings).
    public func latin1(_ range: Range<Int>) -> String {
        Latin1.string(bytes(range))
    }
}
