/// One `field-line` (RFC 9112 §5): `field-name ":" OWS field-value OWS CRLF`. Shared by the head and
/// the trailer section, so both refuse exactly the same lines.
enum FieldLine {
    /// Validates the line starting at `start` (not an empty line) in one pass up to its line end.
    /// Returns its name, its value trimmed of SP/HTAB, and where the next line starts; nil if the
    /// input ends first.
    ///
    /// - Parameter leadingWhitespaceError: the error for a line starting with SP or HTAB, which is
    ///   obs-fold after a field line but a different rule right after the request line.
    @inline(__always)
    static func parse(
        _ input: Input, at start: Int, leadingWhitespaceError: ParseError, allowBareLF: Bool
    ) throws(ParseError) -> (field: HeaderField, next: Int)? {
        let count = input.count
        let index = input.firstNonTokenByte(from: start)
        // Bounds: every index read is below `count`.
        guard index < count else { return nil }
        guard input[index] == ASCII.colon && index > start else {
            return try nameError(input, start: start, stop: index, leadingWhitespaceError, allowBareLF)
        }
        let valueStart = input.skipWhitespace(from: index + 1, to: count)
        let end = input.firstNonFieldValueByte(from: valueStart, to: count)
        guard end < count else { return nil }
        guard input.isLineEnd(at: end) else { throw .invalidFieldValue }
        guard let next = try input.lineEnd(at: end, allowBareLF: allowBareLF) else { return nil }
        var valueEnd = end
        while valueEnd > valueStart && ASCII.isWhitespace(input[valueEnd - 1]) { valueEnd -= 1 }
        return (HeaderField(name: start..<index, value: valueStart..<valueEnd), next)
    }

    /// Why a name starting at `start` stopped at `stop` without a usable colon (thrown), or nil if
    /// the input ends before that is known.
    private static func nameError(
        _ input: Input, start: Int, stop: Int, _ leadingWhitespaceError: ParseError, _ allowBareLF: Bool
    ) throws(ParseError) -> (field: HeaderField, next: Int)? {
        if input.isLineEnd(at: stop) {
            guard try input.lineEnd(at: stop, allowBareLF: allowBareLF) != nil else { return nil }
            throw .missingColon
        }
        guard ASCII.isWhitespace(input[stop]) else { throw .invalidFieldName }
        if stop == start { throw leadingWhitespaceError }
        let afterWhitespace = input.skipWhitespace(from: stop, to: input.count)
        guard afterWhitespace < input.count else { return nil }
        throw input[afterWhitespace] == ASCII.colon ? .whitespaceBeforeColon : .invalidFieldName
    }
}
