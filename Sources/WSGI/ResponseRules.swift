/// An application broke the WSGI contract. Servers raise these from `start_response` and `write`
/// (so the error surfaces while the application still runs) and answer 500 when nothing was sent.
public enum WSGIError: Error, Equatable, CustomStringConvertible {
    /// Not three digits (100-999), one space and a reason without control characters.
    case invalidStatus(String)
    /// Not an RFC 9110 token.
    case invalidHeaderName(String)
    /// A control character (CR, LF, NUL, ...) in a header value: response splitting.
    case invalidHeaderValue(name: String)
    /// A scalar above U+00FF in a status or header string (PEP 3333: native strings are latin-1).
    case notLatin1(String)
    /// A hop-by-hop header (Connection, Transfer-Encoding, ...): connection management is the server's.
    case hopByHopHeader(String)
    /// A `Status` header (CGI's spelling of the status line), refused as wsgiref.validate does.
    case statusHeader
    /// `start_response` called again without an error.
    case startResponseCalledTwice
    /// `write` called before `start_response`.
    case writeBeforeStartResponse
    /// The body ended (or produced data) but `start_response` was never called.
    case startResponseNotCalled
    /// The body ended (or produced data) after `start_response` had refused its arguments: the
    /// application caught that error and went on.
    case startResponseFailed

    public var description: String {
        switch self {
        case .invalidStatus(let status): return "invalid status line \(status.debugDescription)"
        case .invalidHeaderName(let name): return "invalid header name \(name.debugDescription)"
        case .invalidHeaderValue(let name): return "control character in the value of header \(name.debugDescription)"
        case .notLatin1(let text): return "string is not ISO-8859-1: \(text.debugDescription)"
        case .hopByHopHeader(let name): return "hop-by-hop header \(name.debugDescription) is the server's to send"
        case .statusHeader: return "a Status header is not allowed; pass the status to start_response"
        case .startResponseCalledTwice: return "start_response called a second time without an error"
        case .writeBeforeStartResponse: return "write() called before start_response()"
        case .startResponseNotCalled: return "the application returned without calling start_response()"
        case .startResponseFailed: return "the application went on after start_response() refused its arguments"
        }
    }
}

/// The rules a status line and response headers must follow (PEP 3333 and RFC 9110), shared by
/// servers (checked inside `start_response`) and by ``Validator``.
public enum ResponseRules {
    /// The numeric code of a status line like `"200 OK"`, or throws ``WSGIError/invalidStatus(_:)``.
    public static func statusCode(of status: String) throws -> Int {
        try withBytes(of: status) { try statusCode(utf8: $0) }
    }

    /// ``statusCode(of:)`` for a status line given as its UTF-8 bytes (servers whose runtime holds
    /// strings in another form, such as Python's `str`).
    public static func statusCode(utf8 bytes: UnsafeRawBufferPointer) throws -> Int {
        let invalid = { WSGIError.invalidStatus(String(decoding: bytes, as: UTF8.self)) }
        guard bytes.count >= 4, bytes[3] == UInt8(ascii: " ") else { throw invalid() }
        var code = 0
        for index in 0..<3 {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { throw invalid() }
            code = code * 10 + Int(digit)
        }
        guard code >= 100 else { throw invalid() }
        try checkText(bytes[4...], of: bytes, invalid: invalid)
        return code
    }

    /// Checks one header pair; throws the precise ``WSGIError``.
    public static func check(headerName name: String, value: String) throws {
        _ = try classify(headerName: name, value: value)
    }

    /// The headers a server treats specially, told apart while checking them.
    public enum HeaderKind: Sendable {
        case contentLength, date, server, other
    }

    /// Checks one header pair (as ``check(headerName:value:)``) and says which kind it is, in one
    /// pass over each string: this runs for every header of every response.
    public static func classify(headerName name: String, value: String) throws -> HeaderKind {
        try withBytes(of: name) { name in try withBytes(of: value) { value in try classify(nameUTF8: name, valueUTF8: value) } }
    }

    /// ``classify(headerName:value:)`` for a header given as the UTF-8 bytes of its name and value.
    public static func classify(nameUTF8 name: UnsafeRawBufferPointer, valueUTF8 value: UnsafeRawBufferPointer) throws -> HeaderKind {
        let nameText = { String(decoding: name, as: UTF8.self) }
        guard isToken(name) else { throw WSGIError.invalidHeaderName(nameText()) }
        let kind: HeaderKind
        switch name.count {
        case 4: kind = equalsIgnoringCase(name, "date") ? .date : .other
        case 6:
            if equalsIgnoringCase(name, "status") { throw WSGIError.statusHeader }
            kind = equalsIgnoringCase(name, "server") ? .server : .other
        case 14: kind = equalsIgnoringCase(name, "content-length") ? .contentLength : .other
        default:
            if isHopByHop(name) { throw WSGIError.hopByHopHeader(nameText()) }
            kind = .other
        }
        try checkText(value[...], of: value) { WSGIError.invalidHeaderValue(name: nameText()) }
        return kind
    }

    /// True for RFC 9110 token characters only, non-empty.
    public static func isToken(_ name: String) -> Bool { withBytes(of: name) { isToken($0) } }

    /// True for the hop-by-hop headers of RFC 9110 §7.6.1 plus `Keep-Alive`, `Trailer(s)` and
    /// `Proxy-*` (wsgiref's list), compared without case.
    public static func isHopByHop(_ name: String) -> Bool { withBytes(of: name) { isHopByHop($0) } }

    /// ASCII case-insensitive equality, for header names.
    public static func equalsIgnoringCase(_ name: String, _ lowercase: StaticString) -> Bool {
        withBytes(of: name) { equalsIgnoringCase($0, lowercase) }
    }

    /// The UTF-8 of `text` (`withUTF8` on a copy of a native string copies nothing).
    @inline(__always)
    private static func withBytes<R>(of text: String, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var text = text
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    private static func isToken(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !bytes.isEmpty else { return false }
        for byte in bytes where !isTokenByte(byte) { return false }
        return true
    }

    private static func isHopByHop(_ bytes: UnsafeRawBufferPointer) -> Bool {
        switch bytes.count {
        case 2: return equalsIgnoringCase(bytes, "te")
        case 7: return equalsIgnoringCase(bytes, "trailer") || equalsIgnoringCase(bytes, "upgrade")
        case 8: return equalsIgnoringCase(bytes, "trailers")
        case 10: return equalsIgnoringCase(bytes, "connection") || equalsIgnoringCase(bytes, "keep-alive")
        case 17: return equalsIgnoringCase(bytes, "transfer-encoding")
        case 18: return equalsIgnoringCase(bytes, "proxy-authenticate")
        case 19: return equalsIgnoringCase(bytes, "proxy-authorization")
        default: return false
        }
    }

    private static func equalsIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ lowercase: StaticString) -> Bool {
        ASCIICase.equal(bytes, lowercase: lowercase)
    }

    /// RFC 9110 tchar: a 256-bit set, bit n set for token byte n.
    @inline(__always)
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        // DIGIT, ALPHA and "!#$%&'*+-.^_`|~".
        let low: UInt64 = 0x03FF_6CFA_0000_0000   // bytes 0-63
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE  // bytes 64-127
        switch byte {
        case 0..<64: return low >> UInt64(byte) & 1 == 1
        case 64..<128: return high >> UInt64(byte - 64) & 1 == 1
        default: return false
        }
    }

    /// Text in a status reason or header value (UTF-8 `bytes`, part of the whole string `text`): no
    /// control characters but HTAB, and no scalar above U+00FF.
    private static func checkText(
        _ bytes: Slice<UnsafeRawBufferPointer>, of text: UnsafeRawBufferPointer, invalid: () -> WSGIError
    ) throws {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte < 0x80 {
                if (byte < 0x20 && byte != 0x09) || byte == 0x7F { throw invalid() }
                index += 1
            } else {
                // Two-byte UTF-8 sequences starting C2 or C3 encode U+0080...U+00FF (RFC 9110's
                // obs-text, allowed); any other lead byte is a scalar above U+00FF.
                guard byte == 0xC2 || byte == 0xC3 else { throw WSGIError.notLatin1(String(decoding: text, as: UTF8.self)) }
                index += 2
            }
        }
    }
}
