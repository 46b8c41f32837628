import Glibc
import HTTPServerCore
import Logging
import WSGI

/// One request/response of a WSGI application: the server side of PEP 3333.
///
/// It calls the application, implements `start_response` and `write`, and turns the returned body
/// into ``ResponsePart``s for the core:
/// - status and headers are checked inside `start_response` (which throws there), stored, and sent
///   only with the first non-empty chunk, or at the end of an empty body (S44);
/// - `start_response` may be called by the body's first step (S3); a second call needs an error,
///   which replaces unsent headers or is rethrown once headers are out (S45-S47);
/// - `write` data goes out while the application runs, before the body's chunks (S57, S58); it
///   sends the headers with it, so an error after it is rethrown by `start_response` and aborts the
///   response after that data (S46);
/// - empty chunks are skipped (S55); a one-chunk body without Content-Length gets one (S5);
/// - an error before the head gives a 500 with a generic body and one log record; after it, the
///   response is aborted (S62, S63);
/// - ``close()`` closes the body once (S53).
///
/// One object per request does all of it (the application call handed to the core, the response
/// source, and the `start_response`/`write` callee), so a request costs no closures.
///
/// Thread: `@unchecked Sendable` is sound because the object crosses threads once, before any of
/// its mutable state is touched: it is created on the loop thread (``Gateway/accept(_:)``) and
/// handed, through the core's pool queue (a lock, which orders the hand-over), to the one thread
/// that calls ``start()``; from then on only that thread uses it.
final class WSGIExchange: ApplicationCall, ResponseSource, ResponseStarter, @unchecked Sendable {
    private let context: GatewayContext
    private let environ: Environ

    private var started = false
    /// Unchecked exclusivity: pulling the next chunk mutates the body while application code runs,
    /// and that code cannot reach this property (it is private to the exchange, used by one thread).
    @exclusivity(unchecked) private var body: ResponseBody?
    /// Body chunks pulled so far (to know when a list body is exhausted).
    private var pulled = 0
    private var pendingHead: ResponseHead?
    private var startResponseCalled = false
    private var headersSent = false
    private var finished = false
    private var usedWrite = false
    private var iterating = false
    /// The rest of the body when it is a file sent by the core (`wsgi.file_wrapper`).
    private var pendingFile: FileSlice?
    /// Where `write()` data goes: the core's sink, during ``next(into:)`` only.
    private var sink: (any PartSink)?

    init(context: GatewayContext, environ: Environ) {
        self.context = context
        self.environ = environ
    }

    func start() -> any ResponseSource { self }

    func next(into sink: any PartSink) -> ResponsePart {
        guard !finished else { return .end }
        if let file = pendingFile {
            pendingFile = nil
            return .file(file)
        }
        self.sink = sink
        defer { self.sink = nil }
        if !started {
            started = true
            do {
                body = try context.application(environ, StartResponse(self))
            } catch {
                return fail(error)
            }
            // The response was abandoned while the application ran (it wrote to a client that left).
            if finished {
                close()
                return .end
            }
            if let head = fileResponse() { return head }
        }
        do {
            while true {
                iterating = true
                let chunk = try body?.next()
                iterating = false
                guard let chunk else { return bodyEnded() }
                pulled += 1
                if chunk.isEmpty { continue }
                return emit(chunk, final: pulled == body?.count)
            }
        } catch {
            iterating = false
            return fail(error)
        }
    }

    func close() {
        finished = true
        body?.close()
        body = nil
    }

    // MARK: start_response and write

    func startResponse(_ status: String, _ headers: ResponseHeaders, _ error: (any Error)?) throws -> Write {
        if let error {
            // Headers are out (with the body, or with data given to write()): too late to replace them.
            if headersSent { throw error }
        } else if startResponseCalled {
            throw WSGIError.startResponseCalledTwice
        }
        startResponseCalled = true
        let checked = try context.checkedHeaders.lookup(status: status, headers: headers) ?? check(status, headers)
        pendingHead = ResponseHead(
            status: checked.code, statusLine: status, headers: headers, contentLength: checked.contentLength,
            hasDate: checked.hasDate, hasServer: checked.hasServer
        )
        return Write(self)
    }

    /// Checks status and headers (S39-S43, S49) and notes what the server must know of them.
    private func check(_ status: String, _ headers: ResponseHeaders) throws -> HeaderCheckCache.Checked {
        var checked = HeaderCheckCache.Checked(code: try ResponseRules.statusCode(of: status), contentLength: nil, hasDate: false, hasServer: false)
        for (name, value) in headers {
            switch try ResponseRules.classify(headerName: name, value: value) {
            case .contentLength:
                // A second Content-Length, even an equal one, would give the client two framings.
                guard checked.contentLength == nil, let length = Int(value), length >= 0,
                      value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    throw WSGIError.invalidHeaderValue(name: name)
                }
                checked.contentLength = length
            case .date: checked.hasDate = true
            case .server: checked.hasServer = true
            case .other: break
            }
        }
        context.checkedHeaders.store(status: status, headers: headers, checked: checked)
        return checked
    }

    func write(_ data: Bytes) throws {
        guard pendingHead != nil else { throw WSGIError.writeBeforeStartResponse }
        if iterating { throw WSGIError.writeDuringIteration }
        guard !data.isEmpty else { return }
        guard let sink, !finished else { throw ResponseAbandoned() }
        usedWrite = true
        try sink.push(emit(data, final: false))
    }

    // MARK: Parts

    /// A non-empty chunk: with the head when the head has not gone out yet.
    private func emit(_ chunk: Bytes, final: Bool) -> ResponsePart {
        guard !headersSent else { return .chunk(chunk, final: final) }
        guard var head = pendingHead else { return fail(WSGIError.startResponseNotCalled) }
        headersSent = true
        if head.contentLength == nil && final && !usedWrite && body?.count == 1 {
            head.headers.append(("Content-Length", String(chunk.count)))
            head.contentLength = chunk.count
        }
        return .head(head, body: chunk, final: final)
    }

    /// The body is exhausted.
    private func bodyEnded() -> ResponsePart {
        if headersSent { return .end }
        guard var head = pendingHead else { return fail(WSGIError.startResponseNotCalled) }
        headersSent = true
        // An empty body: say so, unless this answers HEAD (the GET body's length is unknown) or
        // has a status without a body, where a length describes something else: for 304 the
        // representation's (RFC 9110 §8.6: a cache would take "0" as the stored response's new
        // length), and 1xx and 204 must not carry one at all.
        let bodiless = head.status < 200 || head.status == 204 || head.status == 304
        if head.contentLength == nil && environ["REQUEST_METHOD"] != "HEAD" && !bodiless {
            head.headers.append(("Content-Length", "0"))
            head.contentLength = 0
        }
        return .head(head, body: nil, final: true)
    }

    /// When the application returned the server's own `wsgi.file_wrapper` over a regular file,
    /// unchanged, after start_response: the head now, then the file from its current position
    /// (S68-S70), sent by the core. Anything else (a wrapped body, a pipe) is iterated.
    private func fileResponse() -> ResponsePart? {
        guard let wrapper = body?.fileWrapper, let descriptor = wrapper.file.fileDescriptor,
              var head = pendingHead, !headersSent else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let offset = Int(lseek(descriptor, 0, SEEK_CUR))
        guard offset >= 0 else { return nil }
        if head.contentLength == nil {
            let length = max(0, Int(status.st_size) - offset)
            head.headers.append(("Content-Length", String(length)))
            head.contentLength = length
        }
        headersSent = true
        pendingFile = FileSlice(descriptor: descriptor, offset: offset, length: head.contentLength)
        return .head(head, body: nil, final: false)
    }

    /// The application failed: a 500 when nothing was sent, else abort.
    private func fail(_ error: any Error) -> ResponsePart {
        context.logger.error("application error", metadata: [
            "error": "\(error)",
            "method": "\(environ["REQUEST_METHOD"] ?? "-")",
            "path": "\(environ["PATH_INFO"] ?? "-")",
        ])
        finished = true
        // The core logs the abort too: its reason must not repeat the error, which is logged once,
        // here, with the request it belongs to (S62).
        guard !headersSent else { return .abort("the application failed after the response head") }
        headersSent = true
        let message: Bytes = "Internal Server Error\n"
        let head = ResponseHead(
            status: 500, statusLine: "500 Internal Server Error",
            headers: [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", String(message.count))],
            contentLength: message.count
        )
        return .head(head, body: message, final: true)
    }
}
