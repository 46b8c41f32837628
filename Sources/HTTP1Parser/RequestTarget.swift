/// The four request-target forms (RFC 9112 §3.2), the methods allowed to use them, and the path and
/// query of each.
enum RequestTarget {
    struct Parts {
        var form: TargetForm
        var path: Range<Int>
        var query: Range<Int>?
    }

    /// Classifies `target` (already checked to hold only `ByteClass.target` bytes) sent with `method`.
    ///
    /// - Parameter firstQuestionMark: the index of the target's first `?`, or its upper bound if none.
    static func parts(
        _ input: Input, target: Range<Int>, firstQuestionMark: Int, method: Range<Int>
    ) throws(ParseError) -> Parts {
        let isConnect = input.equals(method, "CONNECT")
        let first = input[target.lowerBound]
        let pathStart: Int
        if first == ASCII.slash {
            pathStart = target.lowerBound
        } else if first == ASCII.asterisk && target.count == 1 {
            guard !isConnect && input.equals(method, "OPTIONS") else { throw .targetFormNotAllowed }
            return Parts(form: .asterisk, path: target.upperBound..<target.upperBound, query: nil)
        } else if let authorityEnd = absoluteFormAuthorityEnd(input, target) {
            pathStart = authorityEnd
        } else if isAuthorityForm(input, target) {
            guard isConnect else { throw .targetFormNotAllowed }
            return Parts(form: .authority, path: target.upperBound..<target.upperBound, query: nil)
        } else {
            throw .invalidTarget
        }
        guard !isConnect else { throw .targetFormNotAllowed }
        let query = firstQuestionMark < target.upperBound ? (firstQuestionMark + 1)..<target.upperBound : nil
        return Parts(
            form: pathStart == target.lowerBound ? .origin : .absolute,
            path: pathStart..<firstQuestionMark,
            query: query)
    }

    /// For `scheme "://" authority [path] ["?" query]`, the index where the authority ends (the path's
    /// first `/`, the `?`, or the end of the target); nil for any other shape. The authority must be
    /// non-empty and made of `ByteClass.host` bytes, which excludes userinfo (`@`).
    private static func absoluteFormAuthorityEnd(_ input: Input, _ target: Range<Int>) -> Int? {
        let end = target.upperBound
        var index = target.lowerBound
        // Bounds: every index read is below `end`, the end of the target.
        guard (input[index] | 0x20) &- 0x61 < 26 else { return nil }
        index += 1
        while index < end && isSchemeByte(input[index]) { index += 1 }
        guard end - index > 3, input.equals(index..<(index + 3), "://") else { return nil }
        index += 3
        let authorityStart = index
        while index < end {
            let byte = input[index]
            if byte == ASCII.slash || byte == ASCII.questionMark { break }
            guard ByteClass.of(byte).contains(.host) else { return nil }
            index += 1
        }
        return index > authorityStart ? index : nil
    }

    /// ALPHA / DIGIT / "+" / "-" / "." (RFC 3986 §3.1).
    @inline(__always)
    private static func isSchemeByte(_ byte: UInt8) -> Bool {
        (byte | 0x20) &- 0x61 < 26 || ASCII.isDigit(byte) || byte == UInt8(ascii: "+")
            || byte == UInt8(ascii: "-") || byte == ASCII.period
    }

    /// `uri-host ":" port` with a non-empty host and at least one port digit; a host containing `:`
    /// must be a bracketed IP literal.
    private static func isAuthorityForm(_ input: Input, _ target: Range<Int>) -> Bool {
        var colon = target.upperBound
        while colon > target.lowerBound && ASCII.isDigit(input[colon - 1]) { colon -= 1 }
        colon -= 1
        guard colon > target.lowerBound, colon < target.upperBound - 1, input[colon] == ASCII.colon else {
            return false
        }
        let host = target.lowerBound..<colon
        let bracketed = input[host.lowerBound] == ASCII.openBracket
        if bracketed && (host.count < 3 || input[host.upperBound - 1] != ASCII.closeBracket) { return false }
        let inner = bracketed ? (host.lowerBound + 1)..<(host.upperBound - 1) : host
        for index in inner {
            let byte = input[index]
            guard ByteClass.of(byte).contains(.host), byte != ASCII.openBracket, byte != ASCII.closeBracket else {
                return false
            }
            if byte == ASCII.colon && !bracketed { return false }
        }
        return true
    }
}
