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
    /// Each overrun is placed at the byte that makes it certain, and the earlier one wins (the line
    /// limit on a tie), so the answer is the same whether the line arrived whole or one byte at a
    /// time. A CR as the last byte seen is not counted: it may be the start of the CRLF.
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

/// Reading position in a line-oriented section, and the rule that makes its errors independent of
/// how the input was split.
///
/// A line is validated in one pass from its first byte, which also finds its end. A line is judged
/// only once its LF has arrived, and its limits before its content: a validator that runs out of
/// input, or fails before the LF is in, leaves the line pending (its limits are still checked on
/// the partial line, at the byte where an overrun becomes certain). Invariant: `searched >=
/// lineStart` and the bytes `lineStart..<searched` hold no LF, so a pending line is searched for its
/// LF only in new bytes.
struct LineCursor {
    private(set) var lineStart: Int
    private(set) var searched: Int

    init(lineStart: Int, searched: Int) {
        self.lineStart = lineStart
        self.searched = searched
    }

    /// Whether a line was started and not finished: some of its bytes have been seen.
    var hasPendingBytes: Bool { searched > lineStart }

    /// Whether it is worth validating the line now: false when there is no byte of it, or when it is
    /// pending and the new bytes hold no LF (its limits checked).
    @inline(__always)
    mutating func mayBeComplete(_ input: Input, _ bounds: LineBounds) throws(ParseError) -> Bool {
        guard lineStart < input.count else { return false }
        guard hasPendingBytes else { return true }
        guard input.firstLineFeed(from: searched, to: input.count) != nil else {
            try stopPartial(input, bounds)
            return false
        }
        return true
    }

    /// The validator ran out of input before the line's end: checks the partial line's limits and
    /// remembers that it holds no LF.
    @inline(__always)
    mutating func stopPartial(_ input: Input, _ bounds: LineBounds) throws(ParseError) {
        try bounds.check(input, lineStart: lineStart, known: input.count, last: input.count - 1)
        searched = input.count
    }

    /// Checks the limits of a line validated up to `next`, the start of the following line.
    @inline(__always)
    func checkComplete(next: Int, _ input: Input, _ bounds: LineBounds) throws(ParseError) {
        // The common case without a load: even with its line end the line is within its limit,
        // and its LF (at next - 1) is before the section end.
        if next - lineStart <= bounds.maxLineLength && next <= bounds.sectionEnd { return }
        try bounds.check(input, lineStart: lineStart, known: next - 1, last: next - 1)
    }

    /// The validator refused the line with `error`. Throws the line's limit error if it has one,
    /// else `error` once the line's LF is in; returns (pending) while it is not.
    mutating func fail(_ error: ParseError, _ input: Input, _ bounds: LineBounds) throws(ParseError) {
        guard let lineFeed = input.firstLineFeed(from: searched, to: input.count) else {
            try stopPartial(input, bounds)
            return
        }
        try bounds.check(input, lineStart: lineStart, known: lineFeed, last: lineFeed)
        throw error
    }

    @inline(__always)
    mutating func advance(to next: Int) {
        lineStart = next
        searched = next
    }
}

extension Input {
    /// The line end at `index`, which must hold a CR or an LF: the start of the next line, or nil if
    /// the CR is the last byte so far. A CR must be followed by LF (else `.bareCR`); an LF alone is
    /// `.bareLF` unless `allowBareLF`.
    @inline(__always)
    func lineEnd(at index: Int, allowBareLF: Bool) throws(ParseError) -> Int? {
        if self[index] == ASCII.lf {
            guard allowBareLF else { throw .bareLF }
            return index + 1
        }
        guard index + 1 < count else { return nil }
        guard self[index + 1] == ASCII.lf else { throw .bareCR }
        return index + 2
    }

    /// Whether the byte at `index` starts a line end (CR or LF).
    @inline(__always)
    func isLineEnd(at index: Int) -> Bool {
        let byte = self[index]
        return byte == ASCII.cr || byte == ASCII.lf
    }
}
