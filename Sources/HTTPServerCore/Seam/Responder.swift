// The seam between the HTTP core and whatever runs applications (the Swift WSGI gateway, an
// embedded Python host).
//
// The core speaks HTTP: it parses, limits, frames, writes and times out; it knows nothing of
// environ or start_response. When a connection opens it asks the `Responder` for that connection's
// `RequestHandler`; for each request the handler returns a `ResponseSource`, from which the core
// pulls `ResponsePart`s one at a time, asking for the next part only after the previous one has been
// handed to the kernel (or queued behind earlier writes), and which it closes exactly once.
//
// Threads: `Responder.handler(for:)` and `RequestHandler.accept` run on the connection's loop thread
// (the request's bytes are valid only there). Every `ResponseSource` call runs on the application
// thread: the loop thread when the server has no application threads, else one pool thread for the
// whole response (`ServerInfo.applicationThreads`).

/// Turns connections into request handlers. One per server, shared by its loops.
public protocol Responder: Sendable {
    /// The handler of a newly accepted connection's requests. Loop thread; must not block.
    func handler(for connection: ConnectionInfo, on server: ServerInfo) -> any RequestHandler
}

/// The requests of one connection, one at a time. Owned by the connection; loop thread only. A
/// handler may keep per-connection state, such as objects it reuses from one request to the next.
public protocol RequestHandler: AnyObject {
    /// Takes what the application needs from `request` (its bytes are valid only during this call)
    /// and returns the source of its response. Must not block.
    func accept(_ request: borrowing IncomingRequest) -> any ResponseSource
}

/// The response to one request, as the application produces it, pulled by the core.
///
/// `Sendable` because with application threads the core hands it to one pool thread, once, before
/// any call; from then on only that thread uses it.
public protocol ResponseSource: AnyObject, Sendable {
    /// The next part; the first call runs the application. Errors are parts too: before the head the
    /// source answers with an error response itself, after it with ``ResponsePart/abort(_:)``. Data
    /// the application writes while this runs (the legacy `write()`) goes to `sink` and is sent
    /// before the returned part.
    func next(into sink: any PartSink) -> ResponsePart
    /// Called exactly once for every source ``RequestHandler/accept(_:)`` returned, however the
    /// exchange ends: complete, aborted, client gone, server shutdown, or a request that never
    /// finished arriving (then ``next(into:)`` was never called).
    func close()
}

/// Where a source hands parts that cannot wait for the next pull: data the application writes
/// while it runs. Pushed parts are sent in order, before the part the running ``ResponseSource/next(into:)``
/// returns. On the loop thread they are queued and go out as soon as the application returns
/// control, or, once more than a window of bytes is queued, at once: `push` then waits until the
/// client took them (for at most the write timeout). On an application thread, `push` waits until
/// the loop has handed the part to the kernel (or queued it behind earlier writes).
public protocol PartSink: AnyObject {
    /// Sends a non-final `.head` or `.chunk` part. Throws ``ResponseAbandoned`` when the response
    /// can no longer be sent.
    func push(_ part: ResponsePart) throws
    /// Whether pushing `part` now may wait (for the client or the loop): a gateway holding a lock
    /// that other threads need (the GIL) lets go of it around such a push.
    func mayWait(pushing part: ResponsePart) -> Bool
}

/// The response can no longer be sent: the client went away or the connection is being closed.
public struct ResponseAbandoned: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the response was abandoned: the client went away or the connection closed" }
}
