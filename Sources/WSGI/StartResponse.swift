/// Response headers as the application gives them: an ordered list of `(name, value)` pairs,
/// duplicates allowed, exactly as Python's list of tuples.
public typealias ResponseHeaders = [(String, String)]

/// `start_response(status, response_headers, exc_info=None)`, given to the application by the server.
///
/// ```swift
/// try startResponse("200 OK", [("Content-Type", "text/plain")])
/// ```
///
/// The server checks `status` and `headers` when it is called and throws there (bad status line,
/// invalid header name or value, a code point above U+00FF, a hop-by-hop header). The headers are
/// stored, not sent: they leave with the first non-empty body chunk, or at the end of an empty body.
///
/// A second call is an error unless `error` is given (Python's `exc_info`): then, while nothing has
/// been sent, the new status and headers replace the stored ones; once headers are out, the call
/// rethrows `error` and the server aborts the response.
///
/// Returns the legacy ``Write`` callable. Use it only from the thread the application runs on.
public struct StartResponse {
    public typealias Function = (_ status: String, _ headers: ResponseHeaders, _ error: (any Error)?) throws -> Write

    // Inlinable: made and called once per request, from another module (server, application).
    @usableFromInline enum Implementation {
        case function(Function)
        case starter(any ResponseStarter)
    }

    @usableFromInline let implementation: Implementation

    /// Servers (and middleware that intercepts the call) build one from the function that does the work.
    public init(_ function: @escaping Function) { implementation = .function(function) }

    /// Calls go to `starter`: for servers that keep the state of a response in an object anyway,
    /// this costs no closure per request.
    @inlinable
    public init(_ starter: any ResponseStarter) { implementation = .starter(starter) }

    @discardableResult
    @inlinable
    public func callAsFunction(_ status: String, _ headers: ResponseHeaders, _ error: (any Error)? = nil) throws -> Write {
        switch implementation {
        case .function(let function): return try function(status, headers, error)
        case .starter(let starter): return try starter.startResponse(status, headers, error)
        }
    }
}

/// The server side of `start_response` and `write`, for servers that implement them on the object
/// holding a response's state (see ``StartResponse/init(_:)-(ResponseStarter)``).
public protocol ResponseStarter: AnyObject {
    func startResponse(_ status: String, _ headers: ResponseHeaders, _ error: (any Error)?) throws -> Write
    func write(_ data: Bytes) throws
}

/// The legacy `write(data)` callable returned by ``StartResponse``.
///
/// PEP 3333 keeps it for old frameworks: data written is treated as if the application had yielded
/// it, before the returned body's chunks. It is on its way to the client (or buffered for
/// transmission) when the call returns. New applications return a ``ResponseBody`` instead.
public struct Write {
    @usableFromInline enum Implementation {
        case function((Bytes) throws -> Void)
        case starter(any ResponseStarter)
    }

    @usableFromInline let implementation: Implementation

    public init(_ function: @escaping (Bytes) throws -> Void) { implementation = .function(function) }

    /// Calls go to `starter.write`.
    @inlinable
    public init(_ starter: any ResponseStarter) { implementation = .starter(starter) }

    @inlinable
    public func callAsFunction(_ data: Bytes) throws {
        switch implementation {
        case .function(let function): try function(data)
        case .starter(let starter): try starter.write(data)
        }
    }
}
