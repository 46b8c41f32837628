/// One `field-line` (RFC 9112 §5): `field-name ":" OWS field-value OWS`. Shared by the head and the
/// trailer section, so both refuse exactly the same lines.
enum FieldLine {
    /// Validates the non-empty line `content` (CRLF already removed) and returns its name and its
    /// value trimmed of SP/HTAB.
    ///
    /// - Parameter leadingWhitespaceError: the error for a line starting with SP or HTAB, which is
    ///   obs-fold after a field line but a different rule right after the request line.
    @inline(__always)
    static func parse(
        _ input: Input, _ content: Range<Int>, leadingWhitespaceError: ParseError
    ) throws(ParseError) -> HeaderField {
        let classes = CharacterClasses.shared
        let start = content.lowerBound
        let end = content.upperBound
        var index = start
        // Bounds: every index read is below `end`, the end of the line's content.
        while index < end && classes[input[index]].contains(.token) { index += 1 }
        guard index < end else { throw .missingColon }
        guard input[index] == ASCII.colon && index > start else {
            throw nameError(input, start: start, stop: index, end: end, leadingWhitespaceError)
        }
        let value = input.trimmingWhitespace((index + 1)..<end)
        let invalid = input.firstNonFieldValueByte(from: value.lowerBound, to: value.upperBound)
        guard invalid == value.upperBound else {
            throw input[invalid] == ASCII.cr ? .bareCR : .invalidFieldValue
        }
        return HeaderField(name: start..<index, value: value)
    }

    /// Why a name starting at `start` stopped at `stop` (a non-token byte) without a usable colon.
    private static func nameError(
        _ input: Input, start: Int, stop: Int, end: Int, _ leadingWhitespaceError: ParseError
    ) -> ParseError {
        let byte = input[stop]
        if byte == ASCII.cr { return .bareCR }
        guard ASCII.isWhitespace(byte) else { return .invalidFieldName }
        if stop == start { return leadingWhitespaceError }
        let afterWhitespace = input.skipWhitespace(from: stop, to: end)
        let colonFollows = afterWhitespace < end && input[afterWhitespace] == ASCII.colon
        return colonFollows ? .whitespaceBeforeColon : .invalidFieldName
    }
}
