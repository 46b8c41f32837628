import HTTPServerCore
import SharedBytes
import WSGI

/// PEP 3333's rules for one response, as a state machine that any application runtime drives: the
/// Swift gateway with Swift values, a Python host with Python objects. It is told what the
/// application does (is called, calls `start_response` or `write`, returns, yields chunks, fails)
/// and answers with the parts the core sends, or with the error the application must get.
///
/// The rules (numbers from docs/CONFORMANCE.md):
/// - `start_response` once, unless with an error (`exc_info`): while nothing was sent the new head
///   replaces the held one; once the head is out the application's error is raised again (S45-S47).
/// - The head is held until the first non-empty data, from `write()` or the body, or until the end
///   of an empty body (S44); `write()` data precedes what the same step returns (S57, S58).
/// - `write()` while the application callable runs and during the body's iteration (a generator
///   that calls `start_response` and `write()`, as Mercurial's hgweb does; PEP 3333 does not forbid
///   it), never after the response is over.
/// - Empty chunks are skipped (S55). A body known to be a single chunk gets a computed
///   Content-Length (S5); an empty body says `Content-Length: 0`, unless it answers HEAD (the GET
///   body's length is unknown) or its status has no body (for 304 a length would describe the
///   representation, RFC 9110 §8.6).
/// - Data or an end before a successful `start_response` is an application error; so is any
///   exception: before the head it becomes a generic 500, after it the response is aborted (S63).
///
/// The wire rules for the body itself (never more than Content-Length, a short body closes the
/// connection, nothing on HEAD, 1xx, 204 and 304: ``ResponseHead/forbidsBody(status:)``) are the
/// core's framing, which enforces them for every producer.
///
/// Two enums say where a response is: ``stage`` (what the application is doing) and ``head``
/// (where the status and headers are). A value type: the runtime's exchange object owns one.
public struct ResponseProtocol: Sendable {
    /// What the application is doing.
    public enum Stage: Sendable, Equatable {
        /// Not called yet.
        case ready
        /// The application callable runs: `start_response` and `write()` may be called.
        case running
        /// The application returned its body, which is being iterated: `start_response` (before
        /// the head is out) and `write()` may still be called from the iteration.
        case iterating
        /// The response is over: complete, failed, or closed.
        case finished
    }

    /// Where the status and headers are.
    public enum Head: Sendable {
        /// `start_response` has not been called.
        case notStarted
        /// The last `start_response` refused its arguments (the application got the error).
        case refused
        /// Accepted and held until the first non-empty data.
        case held(ResponseHead)
        /// On their way to the client.
        case sent
    }

    /// What a `start_response` call with an error must do.
    public enum ErrorCall: Sendable, Equatable {
        /// Go on: check the new status and headers, which replace any held ones.
        case replace
        /// The head is out: raise the application's error again.
        case reraise
    }

    public private(set) var stage = Stage.ready
    public private(set) var head = Head.notStarted
    private let isHeadRequest: Bool

    /// - Parameter isHeadRequest: the request's method is HEAD.
    public init(isHeadRequest: Bool) {
        self.isHeadRequest = isHeadRequest
    }

    // MARK: The application's calls

    /// The application callable is about to run.
    public mutating func applicationCalled() {
        if stage == .ready { stage = .running }
    }

    /// The application callable returned its body; iterating it starts.
    public mutating func applicationReturned() {
        if stage == .running { stage = .iterating }
    }

    /// `start_response` is called; `withError` when the application passed an error (`exc_info`).
    /// After `.replace` (or no throw, without error), check the arguments and hand the head to
    /// ``accept(_:)``; until then the call counts as refused.
    /// - Throws: ``WSGIError/startResponseCalledTwice`` for a second call without an error.
    @discardableResult
    public mutating func startResponse(withError: Bool) throws(WSGIError) -> ErrorCall {
        if withError {
            if case .sent = head { return .reraise }
        } else if case .notStarted = head {
        } else {
            throw .startResponseCalledTwice
        }
        head = .refused
        return .replace
    }

    /// The status and headers of the current `start_response` call passed their checks.
    public mutating func accept(_ newHead: ResponseHead) {
        head = .held(newHead)
    }

    /// `write(data)`: the part to send now, nil for empty data (which commits nothing).
    /// - Throws: ``WSGIError`` when `write` may not be called now; ``ResponseAbandoned`` when the
    ///   response is over.
    public mutating func write(_ data: Bytes) throws -> ResponsePart? {
        if stage == .finished { throw ResponseAbandoned() }
        switch head {
        case .notStarted: throw WSGIError.writeBeforeStartResponse
        case .refused: throw WSGIError.startResponseFailed
        case .held(let held):
            guard !data.isEmpty else { return nil }
            head = .sent
            return .head(held, body: data, final: false)
        case .sent:
            guard !data.isEmpty else { return nil }
            return .chunk(data, final: false)
        }
    }

    // MARK: The body

    /// A chunk the body yielded: the part to send, or nil when there is nothing to send (an empty
    /// chunk that is not the last). `isLast`: the body is known to end after it (a list's last item).
    public mutating func chunk(_ data: Bytes, isLast: Bool) throws(WSGIError) -> ResponsePart? {
        guard !data.isEmpty else { return isLast ? try end() : nil }
        switch head {
        case .notStarted: throw .startResponseNotCalled
        case .refused: throw .startResponseFailed
        case .held(let held):
            head = .sent
            if isLast { stage = .finished }
            // The whole body is this chunk: its length is known.
            let length = isLast && held.contentLength == nil && !ResponseHead.forbidsBody(status: held.status)
            return .head(length ? held.withComputedLength(data.count) : held, body: data, final: isLast)
        case .sent:
            if isLast { stage = .finished }
            return .chunk(data, final: isLast)
        }
    }

    /// The body ended: the head for an empty body, or the end.
    public mutating func end() throws(WSGIError) -> ResponsePart {
        switch head {
        case .notStarted: throw .startResponseNotCalled
        case .refused: throw .startResponseFailed
        case .held(let held):
            head = .sent
            stage = .finished
            let length = held.contentLength == nil && !isHeadRequest && !ResponseHead.forbidsBody(status: held.status)
            return .head(length ? held.withComputedLength(0) : held, body: nil, final: true)
        case .sent:
            stage = .finished
            return .end
        }
    }

    /// The body is the rest of a file, `available` bytes from its current position. Returns the
    /// head to send before it and how many bytes of the file to send (nil: to its end), or nil when
    /// the file cannot be sent as such (no head held: data already went out) and must be iterated.
    public mutating func file(available: Int) -> (head: ResponsePart, length: Int?)? {
        guard case .held(let held) = head else { return nil }
        head = .sent
        stage = .finished
        let computes = held.contentLength == nil && !ResponseHead.forbidsBody(status: held.status)
        let sent = computes ? held.withComputedLength(available) : held
        return (.head(sent, body: nil, final: false), sent.contentLength)
    }

    /// The application failed (an exception, or one of the errors above): a generic 500 when
    /// nothing was sent, else the response is aborted. The caller logs the error.
    public mutating func fail() -> ResponsePart {
        stage = .finished
        if case .sent = head { return .abort("the application failed after the response head") }
        head = .sent
        return .head(Self.internalServerError, body: Self.internalServerErrorBody, final: true)
    }

    /// The exchange is over (`close()`): later calls of `write` are refused.
    public mutating func finish() {
        stage = .finished
    }

    /// What a client gets when the application fails before its head: no detail of the error.
    static let internalServerErrorBody: Bytes = "Internal Server Error\n"
    static let internalServerError = ResponseHead(
        status: 500,
        lines: "500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 22\r\n",
        contentLength: 22
    )
}
