/// The Transfer-Encoding list of one head, combined across all its Transfer-Encoding lines
/// (RFC 9112 §6.1): the message is chunked only if the list ends in exactly one `chunked`.
///
/// Elements are judged as they arrive, so `chunked` followed by anything fails at that element;
/// whether the list as a whole is acceptable is decided by `isChunked()` when the head is complete.
struct TransferCodingList {
    private(set) var isPresent = false
    private var codingCount = 0
    private var endsInChunked = false
    private var hasOtherCoding = false

    /// Adds the codings of one Transfer-Encoding value:
    /// `#( token *( OWS ";" OWS token BWS "=" BWS ( token / quoted-string ) ) )`, empty elements allowed.
    mutating func add(_ input: Input, _ value: Range<Int>) throws(ParseError) {
        isPresent = true
        let end = value.upperBound
        var index = value.lowerBound
        // Bounds: every index read is below `end`, the end of the field value.
        while index < end {
            index = input.skipWhitespace(from: index, to: end)
            guard index < end else { break }
            if input[index] == ASCII.comma {
                index += 1
                continue
            }
            let nameStart = index
            while index < end && ByteClass.of(input[index]).contains(.token) { index += 1 }
            guard index > nameStart else { throw .invalidTransferEncoding }
            let name = nameStart..<index
            var hasParameters = false
            index = input.skipWhitespace(from: index, to: end)
            while index < end && input[index] == ASCII.semicolon {
                index = try skipParameter(input, from: index + 1, to: end)
                hasParameters = true
                index = input.skipWhitespace(from: index, to: end)
            }
            guard index == end || input[index] == ASCII.comma else { throw .invalidTransferEncoding }
            try addCoding(isChunked: input.equalsIgnoringCase(name, "chunked"), hasParameters: hasParameters)
        }
    }

    private mutating func addCoding(isChunked: Bool, hasParameters: Bool) throws(ParseError) {
        if endsInChunked { throw isChunked ? .repeatedChunked : .chunkedNotFinal }
        codingCount += 1
        if isChunked {
            // RFC 9112 §7.1: chunked defines no parameters.
            guard !hasParameters else { throw .invalidTransferEncoding }
            endsInChunked = true
        } else {
            hasOtherCoding = true
        }
    }

    /// Skips `OWS token BWS "=" BWS ( token / quoted-string )` starting after a `;`; returns the
    /// index after it.
    private func skipParameter(_ input: Input, from start: Int, to end: Int) throws(ParseError) -> Int {
        var index = input.skipWhitespace(from: start, to: end)
        let nameStart = index
        while index < end && ByteClass.of(input[index]).contains(.token) { index += 1 }
        guard index > nameStart else { throw .invalidTransferEncoding }
        index = input.skipWhitespace(from: index, to: end)
        guard index < end && input[index] == ASCII.equals else { throw .invalidTransferEncoding }
        index = input.skipWhitespace(from: index + 1, to: end)
        guard index < end else { throw .invalidTransferEncoding }
        if input[index] != ASCII.quote {
            let valueStart = index
            while index < end && ByteClass.of(input[index]).contains(.token) { index += 1 }
            guard index > valueStart else { throw .invalidTransferEncoding }
            return index
        }
        index += 1
        while index < end {
            let byte = input[index]
            if byte == ASCII.quote { return index + 1 }
            if byte == ASCII.backslash {
                // quoted-pair: "\" ( HTAB / SP / VCHAR / obs-text ); the value is already known to
                // hold only field-value bytes.
                index += 2
            } else {
                guard ByteClass.of(byte).contains(.quotedText) else { throw .invalidTransferEncoding }
                index += 1
            }
        }
        throw .invalidTransferEncoding
    }

    /// Whether the body is chunked, once every field line is in. Throws when the list is empty or
    /// does not end in chunked (400), or when it names a coding other than chunked (501).
    func isChunked() throws(ParseError) -> Bool {
        guard isPresent else { return false }
        guard codingCount > 0 else { throw .invalidTransferEncoding }
        guard endsInChunked else { throw .chunkedNotFinal }
        guard !hasOtherCoding else { throw .unsupportedTransferEncoding }
        return true
    }
}
