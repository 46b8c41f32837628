import CLibUV

/// A negative libuv status, surfaced as a Swift error: every `uv_*` call that can fail goes through
/// ``check(_:_:)`` so that no status is ever ignored.
public struct UVError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The libuv error code (negative errno on Unix, e.g. `UV_EADDRINUSE`).
    public let code: Int32
    /// The libuv call that failed, for the log line.
    public let operation: String

    public init(_ code: Int32, _ operation: String) {
        self.code = code
        self.operation = operation
    }

    /// libuv's short name of the error, e.g. `"ECONNRESET"`.
    public var name: String { String(cString: uv_err_name(code)) }

    public var description: String { "\(operation): \(name) (\(String(cString: uv_strerror(code))))" }

    /// Throws for a negative status; returns a non-negative one (some calls return counts).
    @discardableResult
    @inline(__always)
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        if status < 0 { throw UVError(status, operation()) }
        return status
    }

    public static func == (lhs: UVError, rhs: UVError) -> Bool { lhs.code == rhs.code }

    /// The peer went away (reset, broken pipe): the expected ending of many connections.
    public var isDisconnect: Bool {
        code == UV_ECONNRESET.rawValue || code == UV_EPIPE.rawValue || code == UV_ECONNABORTED.rawValue
            || code == UV_ETIMEDOUT.rawValue || code == UV_ENOTCONN.rawValue
    }

    /// The write was cancelled because its handle was closed.
    public var isCancelled: Bool { code == UV_ECANCELED.rawValue }
}
