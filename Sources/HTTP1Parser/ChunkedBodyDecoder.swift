/// Decodes a chunked body (RFC 9112 §7.1): chunk-size lines with extensions, chunk data, the last
/// chunk and the trailer section.
///
/// Chunk-size lines are judged byte by byte by a state machine and consumed as they are read, so the
/// caller never re-presents them and each byte costs O(1) however the input is split. The trailer
/// section is line-oriented like the head: complete trailer lines are validated (with the head's
/// `FieldLine` rules), checked against `TrailerRules` and dropped; a partial one is left unconsumed
/// and its searched length remembered.
struct ChunkedBodyDecoder {
    private enum State {
        case sizeStart
        case size
        /// BWS after the size: only more BWS or `;` may follow.
        case sizeWhitespace
        /// After `;`: BWS, then an extension name.
        case extensionNameStart
        case extensionName
        /// BWS after a name: `=`, `;` or more BWS.
        case extensionNameWhitespace
        /// After `=`: BWS, then a token or a quoted-string.
        case extensionValueStart
        case extensionToken
        case extensionQuoted
        /// After `\` inside a quoted-string.
        case extensionQuotedPair
        case extensionQuoteClosed
        /// BWS after a value: only more BWS or `;` may follow.
        case extensionWhitespace
        /// After the CR ending a chunk-size line.
        case lineFeed
        case data
        /// After chunk data: CRLF must follow.
        case dataCR
        case dataLF
        case trailers

        var isInExtension: Bool {
            switch self {
            case .sizeWhitespace, .extensionNameStart, .extensionName, .extensionNameWhitespace,
                .extensionValueStart, .extensionToken, .extensionQuoted, .extensionQuotedPair,
                .extensionQuoteClosed, .extensionWhitespace:
                true
            case .sizeStart, .size, .lineFeed, .data, .dataCR, .dataLF, .trailers:
                false
            }
        }
    }

    private var state = State.sizeStart
    /// While reading a size: the size so far. In `.data`: the bytes of the chunk still to come.
    private var chunkSize = 0
    /// Sum of every chunk size read so far, kept at most `maxBodyLength`.
    private var bodyLength = 0
    /// Bytes of the current chunk-size line after the size, up to its line end.
    private var extensionLength = 0
    /// Bytes of the partial trailer line (re-presented at offset 0) already searched for an LF.
    private var trailerSearched = 0
    /// Bytes of the trailer section consumed by earlier calls.
    private var trailerLength = 0

    /// Decodes from the start of `input`: body data, the end of the message, or a need for more bytes
    /// (with everything before an incomplete trailer line consumed).
    mutating func decode(
        _ input: Input, limits: ParserLimits, leniencies: Leniencies
    ) throws(ParseError) -> (event: ParseEvent, consumed: Int) {
        let allowBareLF = leniencies.contains(.allowBareLF)
        var index = 0
        // Bounds: `step` reads one byte at index < input.count; data ranges end at most at count.
        while index < input.count {
            switch state {
            case .data:
                let length = min(chunkSize, input.count - index)
                chunkSize -= length
                if chunkSize == 0 { state = .dataCR }
                return (.body(index..<(index + length)), index + length)
            case .trailers:
                return try decodeTrailers(input, from: index, limits: limits, allowBareLF: allowBareLF)
            default:
                try step(input[index], limits: limits, allowBareLF: allowBareLF)
                index += 1
            }
        }
        return (.needMore, input.count)
    }

    /// Advances the chunk-size-line and chunk-terminator state machine by one byte.
    private mutating func step(_ byte: UInt8, limits: ParserLimits, allowBareLF: Bool) throws(ParseError) {
        if state.isInExtension && byte != ASCII.cr && byte != ASCII.lf {
            try countExtensionByte(limits)
        }
        switch state {
        case .sizeStart:
            guard let digit = ASCII.hexValue(byte) else { throw .invalidChunkSize }
            chunkSize = digit
            state = .size
        case .size:
            if let digit = ASCII.hexValue(byte) {
                guard chunkSize <= (Int.max - digit) >> 4 else { throw .chunkSizeOverflow }
                chunkSize = chunkSize << 4 | digit
                return
            }
            guard chunkSize <= limits.maxBodyLength - bodyLength else { throw .bodyTooLarge }
            bodyLength += chunkSize
            switch byte {
            case ASCII.cr: state = .lineFeed
            case ASCII.lf: try endSizeLineAtBareLF(allowBareLF)
            case ASCII.space, ASCII.tab: state = .sizeWhitespace
            case ASCII.semicolon: state = .extensionNameStart
            default: throw .invalidChunkSize
            }
            if state.isInExtension { try countExtensionByte(limits) }
        case .sizeWhitespace:
            if ASCII.isWhitespace(byte) { return }
            guard byte == ASCII.semicolon else { throw .invalidChunkSize }
            state = .extensionNameStart
        case .extensionNameStart:
            if ASCII.isWhitespace(byte) { return }
            guard ByteClass.of(byte).contains(.token) else { throw .invalidChunkExtension }
            state = .extensionName
        case .extensionName:
            if ByteClass.of(byte).contains(.token) { return }
            if byte == ASCII.equals {
                state = .extensionValueStart
            } else if ASCII.isWhitespace(byte) {
                state = .extensionNameWhitespace
            } else {
                try endExtension(byte, allowBareLF: allowBareLF)
            }
        case .extensionNameWhitespace:
            if ASCII.isWhitespace(byte) { return }
            if byte == ASCII.equals {
                state = .extensionValueStart
            } else {
                guard byte == ASCII.semicolon else { throw .invalidChunkExtension }
                state = .extensionNameStart
            }
        case .extensionValueStart:
            if ASCII.isWhitespace(byte) { return }
            if byte == ASCII.quote {
                state = .extensionQuoted
            } else {
                guard ByteClass.of(byte).contains(.token) else { throw .invalidChunkExtension }
                state = .extensionToken
            }
        case .extensionToken:
            if ByteClass.of(byte).contains(.token) { return }
            if ASCII.isWhitespace(byte) {
                state = .extensionWhitespace
            } else {
                try endExtension(byte, allowBareLF: allowBareLF)
            }
        case .extensionQuoted:
            if byte == ASCII.quote {
                state = .extensionQuoteClosed
            } else if byte == ASCII.backslash {
                state = .extensionQuotedPair
            } else {
                guard ByteClass.of(byte).contains(.quotedText) else { throw .invalidChunkExtension }
            }
        case .extensionQuotedPair:
            guard ASCII.isFieldValueByte(byte) else { throw .invalidChunkExtension }
            state = .extensionQuoted
        case .extensionQuoteClosed:
            if ASCII.isWhitespace(byte) {
                state = .extensionWhitespace
            } else {
                try endExtension(byte, allowBareLF: allowBareLF)
            }
        case .extensionWhitespace:
            if ASCII.isWhitespace(byte) { return }
            guard byte == ASCII.semicolon else { throw .invalidChunkExtension }
            state = .extensionNameStart
        case .lineFeed:
            guard byte == ASCII.lf else { throw .bareCR }
            endSizeLine()
        case .dataCR:
            if byte == ASCII.cr {
                state = .dataLF
            } else if byte == ASCII.lf {
                guard allowBareLF else { throw .bareLF }
                state = .sizeStart
            } else {
                throw .missingChunkTerminator
            }
        case .dataLF:
            guard byte == ASCII.lf else { throw .bareCR }
            state = .sizeStart
        case .data, .trailers:
            preconditionFailure("decode handles data and trailers without stepping")
        }
    }

    /// After an extension name or value with no BWS: `;` starts the next extension, CR or LF end
    /// the line, anything else is invalid.
    @inline(__always)
    private mutating func endExtension(_ byte: UInt8, allowBareLF: Bool) throws(ParseError) {
        switch byte {
        case ASCII.semicolon: state = .extensionNameStart
        case ASCII.cr: state = .lineFeed
        case ASCII.lf: try endSizeLineAtBareLF(allowBareLF)
        default: throw .invalidChunkExtension
        }
    }

    @inline(__always)
    private mutating func countExtensionByte(_ limits: ParserLimits) throws(ParseError) {
        extensionLength += 1
        guard extensionLength <= limits.maxChunkExtensionLength else { throw .chunkExtensionTooLong }
    }

    private mutating func endSizeLineAtBareLF(_ allowBareLF: Bool) throws(ParseError) {
        guard allowBareLF else { throw .bareLF }
        endSizeLine()
    }

    /// A chunk-size line is complete: data follows, or the trailer section after the last chunk.
    private mutating func endSizeLine() {
        extensionLength = 0
        state = chunkSize == 0 ? .trailers : .data
    }

    /// Validates complete trailer lines from `start` and drops them; returns `.end` after the empty
    /// line, or `.needMore` consuming everything before the first incomplete line.
    private mutating func decodeTrailers(
        _ input: Input, from start: Int, limits: ParserLimits, allowBareLF: Bool
    ) throws(ParseError) -> (event: ParseEvent, consumed: Int) {
        let remaining = limits.maxTrailerLength - trailerLength
        let (sectionEnd, overflow) = start.addingReportingOverflow(remaining)
        let bounds = LineBounds(
            maxLineLength: Int.max, lineError: .trailerTooLarge,
            sectionEnd: overflow ? Int.max : sectionEnd, sectionError: .trailerTooLarge)
        var cursor = LineCursor(lineStart: start, searched: start + trailerSearched)
        while try cursor.mayBeComplete(input, bounds) {
            let line: (field: HeaderField?, next: Int)?
            do throws(ParseError) {
                line = try scanTrailerLine(input, at: cursor.lineStart, allowBareLF: allowBareLF)
            } catch {
                try cursor.fail(error, input, bounds)
                break
            }
            guard let line else {
                try cursor.stopPartial(input, bounds)
                break
            }
            try cursor.checkComplete(next: line.next, input, bounds)
            guard let field = line.field else { return (.end, line.next) }
            guard !TrailerRules.isForbidden(field.name, in: input) else { throw .forbiddenTrailer }
            cursor.advance(to: line.next)
        }
        trailerSearched = cursor.searched - cursor.lineStart
        trailerLength += cursor.lineStart - start
        return (.needMore, cursor.lineStart)
    }

    /// Validates the trailer line at `start`: a field line, or the empty line ending the section
    /// (no field); nil if the input ends before its line end.
    private func scanTrailerLine(
        _ input: Input, at start: Int, allowBareLF: Bool
    ) throws(ParseError) -> (field: HeaderField?, next: Int)? {
        if input.isLineEnd(at: start) {
            return try input.lineEnd(at: start, allowBareLF: allowBareLF).map { (nil, $0) }
        }
        return try FieldLine.parse(input, at: start, leadingWhitespaceError: .obsFold, allowBareLF: allowBareLF)
            .map { ($0.field, $0.next) }
    }
}
