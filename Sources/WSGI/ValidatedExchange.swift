import Synchronization

/// One request under ``Validator``: what the application declared through `start_response`, what
/// it has produced, and where the server is in driving the body.
///
/// Threading: the request's `start_response`, `write`, body and input proxy all share this object
/// and a server may call them from different threads one after another, so every field lives
/// behind one lock. The lock is never held while application code or the violation handler runs.
final class ValidatedExchange: Sendable {
    private struct State {
        var started = false
        var statusCode = 0
        /// The `Content-Length` of the headers in force, when they declare one.
        var declaredLength: Int?
        /// Bytes given to `write` plus bytes of the body's chunks.
        var produced = 0
        /// The body's `count` when it returned, and the chunks produced since.
        var expectedChunks: Int?
        var chunks = 0
        var ended = false
        var closed = false
        /// The body is a `wsgi.file_wrapper`: PEP 3333 sends a file "until the end is reached, or
        /// until Content-Length bytes have been written", so a file longer than the declared
        /// length is not an error (a server stops at the length).
        var bodyIsFile = false

        mutating func produce(_ count: Int) -> Violation? {
            produced += count
            guard let declared = declaredLength, produced > declared, !bodyIsFile else { return nil }
            return Violation(.responseLength, "\(produced) bytes produced but Content-Length is \(declared)")
        }

        /// The body's natural end, checked once: the response must be complete.
        mutating func end(requestMethod: String) -> Violation? {
            guard !ended else { return nil }
            ended = true
            guard started else {
                return Violation(.startResponseNotCalled, "the body ended but start_response was never called")
            }
            // A HEAD or 304 response may declare the length of a body it does not send.
            if let declared = declaredLength, produced < declared,
                requestMethod != "HEAD", statusCode != 304
            {
                return Violation(.responseLength, "the body ended after \(produced) of the \(declared) bytes Content-Length declared")
            }
            if let expected = expectedChunks, expected != chunks {
                return Violation(.chunkCount, "the body's count was \(expected) but it produced \(chunks) chunks")
            }
            return nil
        }
    }

    private let requestMethod: String
    private let onViolation: Validator.ViolationHandler
    private let state = Mutex(State())

    init(environ: Environ, onViolation: @escaping Validator.ViolationHandler) {
        requestMethod = environ["REQUEST_METHOD", default: ""]
        self.onViolation = onViolation
    }

    /// Hands a violation to the handler and carries on: for server-side rules, and for
    /// application-side ones found where nothing can be thrown.
    func report(_ violation: Violation) { onViolation(violation) }

    /// Hands an application-side violation to the handler, then throws it into the server.
    private func fail(_ violation: Violation) throws -> Never {
        onViolation(violation)
        throw violation
    }

    private func failIfFound(_ violation: Violation?) throws {
        if let violation { try fail(violation) }
    }

    // MARK: start_response and write

    /// The `start_response` the application gets: checks each call, then forwards it to the
    /// server's, and wraps the `write` the server returns.
    func startResponse(forwardingTo server: StartResponse) -> StartResponse {
        StartResponse { status, headers, error in
            let (code, length) = try self.checkStart(status: status, headers: headers, error: error)
            // Once data went out, so did the headers: the server can only rethrow the error.
            let headersSent = self.state.withLock { $0.produced > 0 }
            let write = try server(status, headers, error)
            if let error, headersSent {
                self.report(Violation(.errorNotRethrown, "start_response(..., \(error)) returned after the headers were sent"))
            }
            self.state.withLock { state in
                state.statusCode = code
                state.declaredLength = length
            }
            return Write { data in
                try self.checkWrite(byteCount: data.count)
                try write(data)
            }
        }
    }

    private func checkStart(status: String, headers: ResponseHeaders, error: (any Error)?) throws -> (Int, Int?) {
        // A call counts even when it fails: PEP 3333 makes any later call without an error fatal.
        let calledBefore = state.withLock { state in
            defer { state.started = true }
            return state.started
        }
        if calledBefore && error == nil {
            try fail(Violation(.startResponseCalledTwice, "start_response called a second time without an error"))
        }
        let code: Int
        do { code = try ResponseRules.statusCode(of: status) } catch { try fail(Violation(.status, "\(error)")) }
        var length: Int?
        for (name, value) in headers {
            do { try ResponseRules.check(headerName: name, value: value) } catch { try fail(Violation(.header, "\(error)")) }
            guard ResponseRules.equalsIgnoringCase(name, "content-length") else { continue }
            guard length == nil else { try fail(Violation(.header, "Content-Length given twice")) }
            guard Validator.isDecimal(value), let parsed = Int(value) else {
                try fail(Violation(.header, "Content-Length is not a decimal number: \(value.debugDescription)"))
            }
            length = parsed
        }
        return (code, length)
    }

    private func checkWrite(byteCount: Int) throws {
        try failIfFound(state.withLock { state in
            if state.closed { return Violation(.writeAfterClose, "write() called after the server closed the body") }
            return state.produce(byteCount)
        })
    }

    // MARK: The body

    /// Records the body's `count` (Python's `len()`) and whether it is a file wrapper, when the
    /// application returned it.
    func bodyReturned(count: Int?, isFile: Bool) {
        state.withLock { state in
            state.expectedChunks = count
            state.bodyIsFile = isFile
        }
    }

    /// One step of the body: `produce` runs the application's `next()` outside the lock.
    func step(_ produce: () throws -> Bytes?) throws -> Bytes? {
        if state.withLock({ $0.closed }) {
            report(Violation(.nextAfterClose, "next() called on the body after close()"))
            return nil
        }
        guard let chunk = try produce() else {
            try failIfFound(state.withLock { $0.end(requestMethod: requestMethod) })
            return nil
        }
        try failIfFound(state.withLock { state in
            state.chunks += 1
            if chunk.isEmpty { return nil }
            guard state.started else {
                return Violation(.startResponseNotCalled, "the body produced data before start_response was called")
            }
            return state.produce(chunk.count)
        })
        return chunk
    }

    /// The server closes the body: `closeBody` runs the application's `close()` the first time only.
    func close(_ closeBody: () -> Void) {
        let first = state.withLock { state in
            defer { state.closed = true }
            return !state.closed
        }
        guard first else {
            report(Violation(.bodyClosedTwice, "close() called on the body a second time"))
            return
        }
        closeBody()
    }

    /// The body was released: the server must have closed it.
    func bodyReleased() {
        if !state.withLock({ $0.closed }) {
            report(Violation(.bodyNotClosed, "the body was released without close()"))
        }
    }
}
