/// The request line (RFC 9112 §3): `method SP request-target SP HTTP-version CRLF`, one SP each,
/// no other whitespace.
struct RequestLine {
    var method: Range<Int>
    var target: Range<Int>
    var targetForm: TargetForm
    var path: Range<Int>
    var query: Range<Int>?
    var version: HTTPVersion
    /// Where the line after it starts.
    var next: Int

    /// Validates the line starting at `start` (not an empty line) in one pass up to its line end;
    /// nil if the input ends first.
    static func parse(_ input: Input, at start: Int, allowBareLF: Bool) throws(ParseError) -> RequestLine? {
        let count = input.count
        var index = start
        // Bounds: every index read is below `count`.
        while index < count && ByteClass.of(input[index]).contains(.token) { index += 1 }
        guard index < count else { return nil }
        let method = start..<index
        guard input[index] == ASCII.space && !method.isEmpty else {
            return try partEnd(input, at: index, allowBareLF, orElse: .invalidMethod)
        }

        let targetStart = index + 1
        let (targetEnd, firstQuestionMark) = input.scanTarget(from: targetStart)
        index = targetEnd
        guard index < count else { return nil }
        let target = targetStart..<index
        guard input[index] == ASCII.space && !target.isEmpty else {
            return try partEnd(input, at: index, allowBareLF, orElse: .invalidTarget)
        }

        let versionStart = index + 1
        let version: HTTPVersion
        let next: Int
        do throws(ParseError) {
            guard let found = try parseVersionAndLineEnd(input, at: versionStart, allowBareLF) else { return nil }
            (version, next) = found
        } catch .unsupportedVersion where isHTTP2Preface(input, method: method, target: target, version: versionStart) {
            throw .http2Preface
        }

        let parts = try RequestTarget.parts(
            input, target: target, firstQuestionMark: firstQuestionMark < 0 ? target.upperBound : firstQuestionMark,
            method: method)
        return RequestLine(
            method: method, target: target, targetForm: parts.form, path: parts.path, query: parts.query,
            version: version, next: next)
    }

    /// `PRI * HTTP/2.0`: nothing else parses as a request line this way (PRI is no method of
    /// HTTP/1.1; the error path alone looks).
    private static func isHTTP2Preface(_ input: Input, method: Range<Int>, target: Range<Int>, version: Int) -> Bool {
        input.equals(method, "PRI") && input.equals(target, "*") && input.equals(version..<(version + 8), "HTTP/2.0")
    }

    /// A method or target that is empty or stopped at `index` by something other than SP: a SP
    /// (an empty part) or a line end (a missing part) is `.invalidRequestLine`, the latter once the
    /// line end is known to be valid (nil if the input ends first); any other byte is `error`.
    private static func partEnd(
        _ input: Input, at index: Int, _ allowBareLF: Bool, orElse error: ParseError
    ) throws(ParseError) -> RequestLine? {
        if input[index] == ASCII.space { throw .invalidRequestLine }
        guard input.isLineEnd(at: index) else { throw error }
        guard try input.lineEnd(at: index, allowBareLF: allowBareLF) != nil else { return nil }
        throw .invalidRequestLine
    }

    /// The version starting at `start` and the line end after it: the version and where the next
    /// line starts, nil if the input ends first.
    @inline(__always)
    private static func parseVersionAndLineEnd(
        _ input: Input, at start: Int, _ allowBareLF: Bool
    ) throws(ParseError) -> (HTTPVersion, next: Int)? {
        let count = input.count
        // The common case in two loads: "HTTP/1.1" or "HTTP/1.0" and CRLF, the same answer as the
        // general path. Bounds: both reads end at start + 10 <= count.
        if start + 10 <= count && input.halfword(at: start + 8) == crlf {
            switch input.word(at: start) {
            case http11: return (.http1_1, start + 10)
            case http10: return (.http1_0, start + 10)
            default: break
            }
        }
        var index = start
        // Bounds: every index read is below `count`.
        while index < count && input[index] > ASCII.space && input[index] != ASCII.delete { index += 1 }
        guard index < count else { return nil }
        guard input.isLineEnd(at: index) else { throw .invalidVersion }
        guard let next = try input.lineEnd(at: index, allowBareLF: allowBareLF) else { return nil }
        return (try parseVersion(input, start..<index), next)
    }

    /// "HTTP/1.1", "HTTP/1.0" and CRLF as `Input.word` and `Input.halfword` read them (first byte
    /// in the low bits).
    private static let http11: UInt64 = 0x312E_312F_5054_5448
    private static let http10: UInt64 = 0x302E_312F_5054_5448
    private static let crlf: UInt16 = 0x0A0D

    /// `HTTP/` DIGIT `.` DIGIT (case-sensitive); only 1.0 and 1.1 are supported.
    private static func parseVersion(_ input: Input, _ range: Range<Int>) throws(ParseError) -> HTTPVersion {
        let start = range.lowerBound
        guard range.count == 8, input.equals(start..<(start + 5), "HTTP/"), ASCII.isDigit(input[start + 5]),
            input[start + 6] == ASCII.period, ASCII.isDigit(input[start + 7])
        else { throw .invalidVersion }
        switch (input[start + 5], input[start + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .unsupportedVersion
        }
    }
}
