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
        let classes = CharacterClasses.shared
        let count = input.count
        var index = start
        // Bounds: every index read is below `count`.
        while index < count && classes[input[index]].contains(.token) { index += 1 }
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

        index += 1
        let versionStart = index
        while index < count && input[index] > ASCII.space && input[index] != ASCII.delete { index += 1 }
        guard index < count else { return nil }
        guard input.isLineEnd(at: index) else { throw .invalidVersion }
        guard let next = try input.lineEnd(at: index, allowBareLF: allowBareLF) else { return nil }
        let version = try parseVersion(input, versionStart..<index)

        let parts = try RequestTarget.parts(
            input, target: target, firstQuestionMark: firstQuestionMark < 0 ? target.upperBound : firstQuestionMark,
            method: method)
        return RequestLine(
            method: method, target: target, targetForm: parts.form, path: parts.path, query: parts.query,
            version: version, next: next)
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
