// The seam between the HTTP core and whatever runs applications (the Swift WSGI gateway, an
// embedded Python host).
//
// The core speaks HTTP: it parses, limits, frames, writes and times out; it knows nothing of
// environ or start_response. When a connection opens it asks the `Responder` for that connection's
// `RequestHandler`; for each request the handler returns a `ResponseSource`, from which the core
// pulls `ResponsePart`s one at a time, asking for the next part only after the previous one has been
// handed to the kernel (or queued behind earlier writes), and which it closes exactly once.
//
// Threads: `Responder.handler(for:on:loop:)` and `RequestHandler.accept` run on the connection's loop thread
// (the request's bytes are valid only there). Every `ResponseSource` call runs on the application
// thread: the loop thread when the server has no application threads, else one pool thread for the
// whole response (`ServerInfo.applicationThreads`).

/// Turns connections into request handlers. One per server, shared by its loops. It is the whole
/// wiring of an application runtime: `HTTPServer(configuration:responder:)` needs nothing else.
public protocol Responder: Sendable {
    /// The handler of a newly accepted connection's requests. Loop thread; must not block. `loop`
    /// holds what the handlers of that loop's connections share (see ``LoopScope``).
    func handler(for connection: ConnectionInfo, on server: ServerInfo, loop: LoopScope) -> any RequestHandler

    /// The calling thread, one that runs this responder's applications, is about to wait: a loop
    /// thread before each wait for I/O and once when its loop stopped; any thread running an
    /// application before it blocks inside a server call (`write()` waiting for the client or for
    /// the loop, a body read waiting for the client). A runtime with a global lock (CPython's GIL)
    /// gives it back here, so that its other threads run meanwhile, and takes it back itself when
    /// the server call returns. Must not block. The default does nothing.
    func threadWillWait()
}

extension Responder {
    public func threadWillWait() {}
}

/// The requests of one connection, one at a time. Owned by the connection; loop thread only. A
/// handler may keep per-connection state, such as objects it reuses from one request to the next.
///
/// HTTP/2 runs several streams of one connection at once: its connection asks the responder for
/// one handler per stream in flight (``Responder/handler(for:on:loop:)`` with the same connection
/// info), and gives a handler its next stream only once the previous stream's exchange ended, as
/// an HTTP/1.1 connection gives it its next request. So a handler never has two exchanges in
/// flight, whichever protocol the connection speaks.
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
/// (the legacy `write()`) during any step of ``ResponseSource/next(into:)``, the application call or
/// an iteration of its body. Pushed parts are sent in order, before the part that step returns, and
/// each is on its way before `push` returns (PEP 3333: a server may not delay a written block):
/// - on the loop thread, `push` frames the part and hands it to the kernel, waiting for the client
///   while the socket is full, for at most the write timeout;
/// - on an application thread, `push` waits until the loop has handed it to the kernel.
/// Before either wait the runtime hears ``Responder/threadWillWait()``.
public protocol PartSink: AnyObject {
    /// Sends a non-final `.head` or `.chunk` part. Throws ``ResponseAbandoned`` when the response
    /// can no longer be sent (the client went away or stopped reading; the connection is closing).
    func push(_ part: ResponsePart) throws
}

/// The response can no longer be sent: the client went away or the connection is being closed.
public struct ResponseAbandoned: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the response was abandoned: the client went away or the connection closed" }
}
