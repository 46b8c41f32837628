/// The length limits of one line-oriented section (the head, or the trailer section) and the errors
/// that report them.
struct LineBounds {
    /// Longest line content, excluding its CRLF.
    var maxLineLength: Int
    var lineError: ParseError
    /// Offset in this call's input of the first byte the section may not reach
    /// (where the section started + its maximum length).
    var sectionEnd: Int
    var sectionError: ParseError

    /// Throws the limit the line `lineStart..<known` overruns, `last` being the index of the last
    /// byte seen of it (its LF when complete).
    ///
    /// Each overrun is placed at the byte that makes it certain, and the earlier one wins, so the
    /// answer is the same whether the line arrived whole or one byte at a time. A CR as the last
    /// byte seen is not counted: it may be the start of the CRLF.
    @inline(__always)
    func check(_ input: Input, lineStart: Int, known: Int, last: Int) throws(ParseError) {
        var length = known - lineStart
        if length > 0 && input[known - 1] == ASCII.cr { length -= 1 }
        var linePosition = Int.max
        if length > maxLineLength {
            // Bounds: length > maxLineLength implies lineStart + maxLineLength < known.
            let firstOver = lineStart + maxLineLength
            linePosition = input[firstOver] == ASCII.cr ? firstOver + 1 : firstOver
        }
        let sectionPosition = last >= sectionEnd ? sectionEnd : Int.max
        guard linePosition != Int.max || sectionPosition != Int.max else { return }
        throw linePosition <= sectionPosition ? lineError : sectionError
    }
}

/// A complete line: its content (without CRLF) and where the next line starts.
struct Line {
    var content: Range<Int>
    var next: Int
}

extension Input {
    /// The line starting at `lineStart` if its LF has arrived, nil if not.
    ///
    /// `searchFrom` is where the search for the LF resumes: the bytes between `lineStart` and it are
    /// known to hold none, which is what keeps one-byte-at-a-time feeding linear. Limits are checked
    /// first, on a partial line as well as on a complete one, then the line end (`.bareLF` unless
    /// `allowBareLF`). A CR elsewhere in the line is left for the line's own grammar to reject.
    @inline(__always)
    func nextLine(
        startingAt lineStart: Int, searchingFrom searchFrom: Int, within bounds: LineBounds, allowBareLF: Bool
    ) throws(ParseError) -> Line? {
        guard let lineFeed = firstLineFeed(from: searchFrom, to: count) else {
            try bounds.check(self, lineStart: lineStart, known: count, last: count - 1)
            return nil
        }
        try bounds.check(self, lineStart: lineStart, known: lineFeed, last: lineFeed)
        if lineFeed > lineStart && self[lineFeed - 1] == ASCII.cr {
            return Line(content: lineStart..<(lineFeed - 1), next: lineFeed + 1)
        }
        guard allowBareLF else { throw .bareLF }
        return Line(content: lineStart..<lineFeed, next: lineFeed + 1)
    }
}
