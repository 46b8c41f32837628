import SharedBytes

/// The body of one request, readable like a file (`read`, `readline`): gateways present it to
/// applications (as `wsgi.input`, or as a Python file object). Reads end exactly at the end of this
/// body: bytes of a pipelined next request are never part of it.
///
/// How it is received depends on where the application runs and on its size:
/// - spooled (``SpooledBody``: memory, then an unlinked spool file): received whole before the
///   application starts, so that an application on the loop thread never waits for the network;
///   bodies up to the memory threshold on the loop thread, and every body there by default
///   (``ServerConfiguration/LoopThreadBodies``);
/// - streamed (``StreamedBody``): the application starts at once and its reads wait for the
///   client, memory bounded by a window; `100 Continue` goes out at its first read. Every body on
///   application threads; larger ones on the loop thread of a worker process. A read about to wait
///   tells the runtime first (``Responder/threadWillWait()``).
///
/// Thread: read by the one thread running the request's application.
public final class RequestBody: Sendable {
    enum Storage: Sendable {
        case spooled(SpooledBody)
        case streamed(StreamedBody)
    }

    let storage: Storage

    init(_ storage: Storage) { self.storage = storage }

    /// An empty body, for gateways that present a request without one.
    public static let empty: RequestBody = {
        let body = SpooledBody(memoryThreshold: 0, spoolDirectory: nil, expectedLength: 0)
        body.finish()
        return RequestBody(.spooled(body))
    }()

    /// Up to `size` bytes; fewer only at the end of the body; all that remains when `size < 0`.
    /// Empty at the end. Throws when the body cannot be read (``SpoolError``, ``BodyUnavailable``).
    public func read(_ size: Int) throws -> Bytes {
        switch storage {
        case .spooled(let body): return try body.read(size)
        case .streamed(let body): return try body.read(size)
        }
    }

    /// One line including its `\n`, cut at `size` bytes when `size >= 0`; empty at the end.
    public func readline(_ size: Int) throws -> Bytes {
        switch storage {
        case .spooled(let body): return try body.readline(size)
        case .streamed(let body): return try body.readline(size)
        }
    }

}

/// The loop's side, while the body arrives (loop thread).
extension RequestBody {
    /// Throws when a spooled body cannot be stored.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        switch storage {
        case .spooled(let body): try body.append(bytes)
        case .streamed(let body): body.append(bytes)
        }
    }

    /// Whether its reader receives it for itself: the application, on the loop thread, starts once
    /// the bytes at hand are taken (Connection+ReceivingBody).
    var isReceivedByReader: Bool {
        if case .streamed(let body) = storage { return body.isReceivedByReader }
        return false
    }

    /// Whether the loop may take more body bytes now (a streamed body's window has room).
    var wantsMore: Bool {
        if case .streamed(let body) = storage { return body.wantsMore }
        return true
    }

    func finish() {
        switch storage {
        case .spooled(let body): body.finish()
        case .streamed(let body): body.finish()
        }
    }

    /// The rest will not arrive: a streamed body's reader fails with `reason`.
    func abandon(_ reason: String) {
        if case .streamed(let body) = storage { body.abandon(reason) }
    }

    /// True once, when the application waits for a body whose client waits for `100 Continue`.
    func takeContinueRequest() -> Bool {
        if case .streamed(let body) = storage { return body.takeContinueRequest() }
        return false
    }
}
