import Glibc
import HTTPServerCore
import Logging
import WSGI
import WSGIGateway

/// One request/response of a Swift WSGI application: calls the application, is its
/// `start_response` and `write`, and turns the returned body into parts for the core. The rules of
/// PEP 3333 are the ``ResponseProtocol``'s; this object supplies the Swift side: the call, the
/// body's iteration (S3: the body's first step may call `start_response`; any step may call
/// `write()`), the file wrapper
/// (S68-S70), the log record of an application error (S62), and `close()` exactly once (S53).
///
/// One object per request does all of it (the source handed to the core, and the callee of
/// `start_response` and `write`), so a request costs no closures; and the loop reuses it for a later
/// request, of any of its connections, when nothing else holds it (``ExchangePool``).
///
/// Thread: `@unchecked Sendable` is sound because the object crosses threads only when no other
/// thread uses it: it is created or reset on the loop thread (``ConnectionGateway/accept(_:)``,
/// while the loop's pool holds the only reference) and handed, through the core's pool queue (a lock,
/// which orders the hand-over), to the one thread that calls ``next(into:)``; from then on only that
/// thread uses it.
final class WSGIExchange: ResponseSource, ResponseStarter, @unchecked Sendable {
    // Unchecked exclusivity, for every property below: one thread uses the exchange at a time (see
    // above), and no access overlaps another: application code, run while the body is stepped or the
    // application is called, reaches the exchange only through `start_response` and `write`, which
    // touch `rules`, `sink` and the head cache, never the property being changed.
    private let context: GatewayContext
    /// The connection of the current request (the pool moves an exchange between connections).
    @exclusivity(unchecked) private var cgi: CGIContext
    @exclusivity(unchecked) private var environ: RequestEnviron
    @exclusivity(unchecked) private var rules: ResponseProtocol
    /// The application's body.
    @exclusivity(unchecked) private var body: ResponseBody?
    /// Body chunks pulled so far (to know when a list body is exhausted).
    @exclusivity(unchecked) private var pulled = 0
    /// The rest of the body when it is a file the core sends (`wsgi.file_wrapper`).
    @exclusivity(unchecked) private var pendingFile: FileSlice?
    /// Where `write()` data goes: the core's sink, during each step (the application call, an
    /// iteration of its body). Unowned: the core keeps the sink alive during the step, and this is
    /// cleared when the step returns.
    @exclusivity(unchecked) private unowned(unsafe) var sink: (any PartSink)?

    // The last status and headers `start_response` accepted and their encoding, reused while the
    // application passes equal ones (a constant response, a framework's shared defaults).
    @exclusivity(unchecked) private var lastStatus = ""
    @exclusivity(unchecked) private var lastHeaders: ResponseHeaders = []
    @exclusivity(unchecked) private var lastHead: ResponseHead?

    init(_ request: borrowing IncomingRequest, context: GatewayContext, cgi: CGIContext) {
        self.context = context
        self.cgi = cgi
        environ = RequestEnviron(request, gateway: context, cgi: cgi)
        rules = ResponseProtocol(isHeadRequest: request.isHead)
    }

    /// Makes this the exchange of `request`, of the connection `cgi` describes. Only while nothing
    /// else holds it.
    func reuse(for request: borrowing IncomingRequest, cgi: CGIContext) {
        // Most requests come from the connection before: no reference to count.
        if cgi !== self.cgi { self.cgi = cgi }
        rules = ResponseProtocol(isHeadRequest: request.isHead)
        body = nil
        pulled = 0
        pendingFile = nil
        if isKnownUniquelyReferenced(&environ) {
            environ.load(request, cgi: cgi)
        } else {
            environ = RequestEnviron(request, gateway: context, cgi: cgi)
        }
    }

    // MARK: ResponseSource

    func next(into sink: any PartSink) -> ResponsePart {
        if let file = pendingFile {
            pendingFile = nil
            return .file(file)
        }
        self.sink = sink
        defer { self.sink = nil }
        switch rules.stage {
        case .ready: return callApplication()
        case .iterating: return pull()
        case .running: preconditionFailure("next(into:) while the application runs: the core pulls one part at a time")
        case .finished: return .end
        }
    }

    func close() {
        rules.finish()
        pendingFile = nil
        var body = self.body
        self.body = nil
        body?.close()
    }

    private func callApplication() -> ResponsePart {
        rules.applicationCalled()
        do {
            body = try context.application(Environ(source: environ), StartResponse(self))
        } catch {
            return fail(error)
        }
        rules.applicationReturned()
        if let head = fileResponse() { return head }
        return pull()
    }

    /// The next non-empty chunk of the body, as a part (with the head when it is the first).
    private func pull() -> ResponsePart {
        do {
            while true {
                guard let chunk = try body?.next() else { return try rules.end() }
                pulled += 1
                if let part = try rules.chunk(chunk, isLast: pulled == body?.count) { return part }
            }
        } catch {
            return fail(error)
        }
    }

    /// When the application returned the server's own `wsgi.file_wrapper` over a regular file,
    /// unchanged: the head now, then the file from its current position, sent by the core
    /// (S68-S70). Anything else (a wrapped body, a pipe, data already written) is iterated.
    private func fileResponse() -> ResponsePart? {
        guard let wrapper = body?.fileWrapper, let descriptor = wrapper.file.fileDescriptor else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let offset = Int(lseek(descriptor, 0, SEEK_CUR))
        guard offset >= 0, let (head, length) = rules.file(available: max(0, Int(status.st_size) - offset)) else { return nil }
        pendingFile = FileSlice(descriptor: descriptor, offset: offset, length: length)
        return head
    }

    /// The application failed: one log record with the request (S62), then a 500 or an abort.
    private func fail(_ error: any Error) -> ResponsePart {
        context.logger.error("application error", metadata: [
            "error": "\(error)",
            "method": "\(environ.value(forKey: "REQUEST_METHOD")?.stringValue ?? "-")",
            "path": "\(environ.value(forKey: "PATH_INFO")?.stringValue ?? "-")",
        ])
        return rules.fail()
    }

    // MARK: start_response and write

    func startResponse(_ status: String, _ headers: ResponseHeaders, _ error: (any Error)?) throws -> Write {
        if try rules.startResponse(withError: error != nil) == .reraise, let error { throw error }
        rules.accept(try encodedHead(status, headers))
        return Write(self)
    }

    func write(_ data: Bytes) throws {
        guard let part = try rules.write(data) else { return }
        guard let sink else { throw ResponseAbandoned() }
        try sink.push(part)
    }

    /// The checked and encoded head for `status` and `headers`: the last one again when they are
    /// equal to the last ones (compared by value; strings that share storage compare at once).
    private func encodedHead(_ status: String, _ headers: ResponseHeaders) throws -> ResponseHead {
        if let lastHead, status == lastStatus, Self.equal(headers, lastHeaders) { return lastHead }
        let head = try ResponseHeadEncoder.encode(status: status, headers: headers)
        lastStatus = status
        lastHeaders = headers
        lastHead = head
        return head
    }

    private static func equal(_ a: ResponseHeaders, _ b: ResponseHeaders) -> Bool {
        guard a.count == b.count else { return false }
        for index in 0..<a.count where a[index].0 != b[index].0 || a[index].1 != b[index].1 { return false }
        return true
    }
}
