/// The request line (RFC 9112 §3): `method SP request-target SP HTTP-version`, one SP each, no
/// other whitespace.
enum RequestLine {
    /// Validates the non-empty line `content` (CRLF already removed) and records method, target,
    /// target form, path, query and version in `head`.
    static func parse(_ input: Input, _ content: Range<Int>, into head: inout RequestHead) throws(ParseError) {
        let classes = CharacterClasses.shared
        let end = content.upperBound
        var index = content.lowerBound
        // Bounds: every index read is below `end`, the end of the line's content.
        while index < end && classes[input[index]].contains(.token) { index += 1 }
        let method = content.lowerBound..<index
        guard index < end else { throw .invalidRequestLine }
        try expectSpace(input[index], orElse: method.isEmpty ? .invalidRequestLine : .invalidMethod)
        guard !method.isEmpty else { throw .invalidRequestLine }

        index += 1
        let targetStart = index
        var firstQuestionMark = -1
        while index < end {
            let byte = input[index]
            guard classes[byte].contains(.target) else { break }
            if byte == ASCII.questionMark && firstQuestionMark < 0 { firstQuestionMark = index }
            index += 1
        }
        guard index < end else { throw .invalidRequestLine }
        try expectSpace(input[index], orElse: index == targetStart ? .invalidRequestLine : .invalidTarget)
        guard index > targetStart else { throw .invalidRequestLine }
        let target = targetStart..<index

        let version = try parseVersion(input, (index + 1)..<end)
        let parts = try RequestTarget.parts(
            input, target: target, firstQuestionMark: firstQuestionMark < 0 ? index : firstQuestionMark,
            method: method)
        head.method = method
        head.target = target
        head.targetForm = parts.form
        head.path = parts.path
        head.query = parts.query
        head.version = version
    }

    /// Accepts the SP that ends a part; a CR there is `.bareCR`, anything else `error`.
    @inline(__always)
    private static func expectSpace(_ byte: UInt8, orElse error: ParseError) throws(ParseError) {
        guard byte != ASCII.space else { return }
        throw byte == ASCII.cr ? .bareCR : error
    }

    /// `HTTP/` DIGIT `.` DIGIT (case-sensitive); only 1.0 and 1.1 are supported.
    private static func parseVersion(_ input: Input, _ range: Range<Int>) throws(ParseError) -> HTTPVersion {
        let start = range.lowerBound
        guard range.count == 8, input.equals(start..<(start + 5), "HTTP/"), ASCII.isDigit(input[start + 5]),
            input[start + 6] == ASCII.period, ASCII.isDigit(input[start + 7])
        else {
            for index in range where input[index] == ASCII.cr { throw .bareCR }
            throw .invalidVersion
        }
        switch (input[start + 5], input[start + 7]) {
        case (UInt8(ascii: "1"), UInt8(ascii: "1")): return .http1_1
        case (UInt8(ascii: "1"), UInt8(ascii: "0")): return .http1_0
        default: throw .unsupportedVersion
        }
    }
}
