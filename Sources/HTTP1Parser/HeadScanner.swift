/// Scans a request head line by line, validating each line once, when its LF has arrived.
///
/// The caller re-presents the unconsumed head from offset 0 on every call until it is complete, so
/// offsets stay valid between calls. Invariants between calls:
/// - every line before `lineStart` is valid and recorded in the head;
/// - the bytes `lineStart..<searched` hold no LF, so the search resumes at `searched` and no byte is
///   searched twice (linear time even when fed one byte at a time).
struct HeadScanner {
    private var lineStart = 0
    private var searched = 0
    private var hasRequestLine = false
    private var fields = InterpretedFields()

    /// Whether any byte of a request has been seen; empty lines before the request line do not count.
    var hasMessageBytes: Bool {
        hasRequestLine || searched > lineStart
    }

    /// Scans the head at the start of `input`; true once it is complete and `head` is filled in.
    mutating func scan(
        _ input: Input, into head: inout RequestHead, limits: ParserLimits, leniencies: Leniencies
    ) throws(ParseError) -> Bool {
        if searched == 0 { head.reset() }
        while true {
            let bounds = LineBounds(
                maxLineLength: hasRequestLine ? limits.maxFieldLength : limits.maxRequestLineLength,
                lineError: hasRequestLine ? .fieldTooLong : .requestLineTooLong,
                sectionEnd: limits.maxHeadLength,
                sectionError: .headTooLarge)
            guard
                let line = try input.nextLine(
                    startingAt: lineStart, searchingFrom: searched, within: bounds,
                    allowBareLF: leniencies.contains(.allowBareLF))
            else {
                searched = input.count
                return false
            }
            if try accept(line.content, input, into: &head, limits: limits) {
                head.length = line.next
                return true
            }
            lineStart = line.next
            searched = line.next
        }
    }

    /// Validates and records one complete line; true when it is the empty line ending the head.
    @inline(__always)
    private mutating func accept(
        _ content: Range<Int>, _ input: Input, into head: inout RequestHead, limits: ParserLimits
    ) throws(ParseError) -> Bool {
        guard hasRequestLine else {
            // RFC 9112 §2.2: empty lines before the request line are ignored.
            if !content.isEmpty {
                try RequestLine.parse(input, content, into: &head)
                hasRequestLine = true
            }
            return false
        }
        if content.isEmpty {
            try fields.complete(into: &head, limits: limits)
            return true
        }
        guard head.fields.count < limits.maxFieldCount else { throw .tooManyFields }
        let field = try FieldLine.parse(
            input, content,
            leadingWhitespaceError: head.fields.isEmpty ? .whitespaceAfterRequestLine : .obsFold)
        try fields.interpret(field, input, version: head.version)
        head.fields.append(field)
        return false
    }
}
