import CNGHTTP2

/// A failure nghttp2 reported (its negative error codes), with its text.
public struct HTTP2Error: Error, CustomStringConvertible, Equatable {
    public let code: Int32

    public init(code: Int32) { self.code = code }

    public var description: String { String(cString: nghttp2_strerror(code)) }

    /// The peer sent more than a limit allows (SETTINGS, PING, resets, CONTINUATION...).
    /// The peer sent more than a limit allows (SETTINGS, PING, resets, CONTINUATION...), or a
    /// callback refused what it sent (empty DATA frames past their limit).
    public var isFlood: Bool { code == NGHTTP2_ERR_FLOODED.rawValue || code == NGHTTP2_ERR_CALLBACK_FAILURE.rawValue }

    static func check(_ status: Int32) throws(HTTP2Error) {
        if status < 0 { throw HTTP2Error(code: status) }
    }
}

/// RFC 9113 §7's error codes, as RST_STREAM and GOAWAY carry them.
public struct HTTP2ErrorCode: RawRepresentable, Sendable, Equatable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let noError = HTTP2ErrorCode(rawValue: 0)
    public static let protocolError = HTTP2ErrorCode(rawValue: 1)
    public static let internalError = HTTP2ErrorCode(rawValue: 2)
    public static let refusedStream = HTTP2ErrorCode(rawValue: 7)
    public static let cancel = HTTP2ErrorCode(rawValue: 8)
    public static let enhanceYourCalm = HTTP2ErrorCode(rawValue: 11)

    public var description: String { String(cString: nghttp2_http2_strerror(rawValue)) }
}
