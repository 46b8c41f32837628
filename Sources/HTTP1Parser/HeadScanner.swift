/// Scans a request head line by line; each line is validated in one pass that also finds its end.
///
/// The caller re-presents the unconsumed head from offset 0 on every call until it is complete, so
/// offsets stay valid between calls. Invariant between calls: every line before `cursor.lineStart`
/// is valid and recorded in the head; see `LineCursor` for how a pending line is resumed without
/// rescanning (linear time even when fed one byte at a time).
struct HeadScanner {
    private var cursor = LineCursor(lineStart: 0, searched: 0)
    private var hasRequestLine = false
    private var fields = InterpretedFields()

    /// Whether any byte of a request has been seen; empty lines before the request line do not count.
    var hasMessageBytes: Bool {
        hasRequestLine || cursor.hasPendingBytes
    }

    /// Scans the head at the start of `input`; true once it is complete and `head` is filled in,
    /// its fields recorded in `table`.
    mutating func scan(
        _ input: Input, into head: inout RequestHead, table: inout FieldTable, limits: ParserLimits, leniencies: Leniencies
    ) throws(ParseError) -> Bool {
        // Nothing of this message seen yet: this call brings its first bytes, and the last head
        // stops being valid now (not at `.end`).
        if cursor.searched == 0 {
            head.fields = UnsafeBufferPointer(start: nil, count: 0)
            table.removeAll()
        }
        let allowBareLF = leniencies.contains(.allowBareLF)
        while true {
            let bounds = LineBounds(
                maxLineLength: hasRequestLine ? limits.maxFieldLength : limits.maxRequestLineLength,
                lineError: hasRequestLine ? .fieldTooLong : .requestLineTooLong,
                sectionEnd: limits.maxHeadLength,
                sectionError: .headTooLarge)
            guard try cursor.mayBeComplete(input, bounds) else { return false }
            let line: ScannedLine?
            do throws(ParseError) {
                line = try scanLine(input, into: &head, hasFields: table.count > 0, allowBareLF: allowBareLF)
            } catch {
                try cursor.fail(error, input, bounds)
                return false
            }
            guard let line else {
                try cursor.stopPartial(input, bounds)
                return false
            }
            try cursor.checkComplete(next: line.next, input, bounds)
            switch line {
            case .empty(let next) where !hasRequestLine:
                // RFC 9112 §2.2: empty lines before the request line are ignored.
                cursor.advance(to: next)
            case .empty(let next):
                try fields.complete(into: &head, limits: limits)
                head.fields = table.view
                head.length = next
                return true
            case .requestLine(let next):
                hasRequestLine = true
                cursor.advance(to: next)
            case .field(let field, let next):
                guard table.count < limits.maxFieldCount else { throw .tooManyFields }
                try fields.interpret(field, input, version: head.version)
                table.append(field)
                cursor.advance(to: next)
            }
        }
    }

    private enum ScannedLine {
        case empty(next: Int)
        /// Recorded in the head already (if the line's limits fail, the parser fails anyway).
        case requestLine(next: Int)
        case field(HeaderField, next: Int)

        var next: Int {
            switch self {
            case .empty(let next), .requestLine(let next), .field(_, let next): next
            }
        }
    }

    /// Validates the line at the cursor: empty, the request line, or a field line; nil if the input
    /// ends before its line end.
    @inline(__always)
    private func scanLine(
        _ input: Input, into head: inout RequestHead, hasFields: Bool, allowBareLF: Bool
    ) throws(ParseError) -> ScannedLine? {
        let start = cursor.lineStart
        if input.isLineEnd(at: start) {
            return try input.lineEnd(at: start, allowBareLF: allowBareLF).map { .empty(next: $0) }
        }
        guard hasRequestLine else {
            guard let line = try RequestLine.parse(input, at: start, allowBareLF: allowBareLF) else { return nil }
            head.method = line.method
            head.target = line.target
            head.targetForm = line.targetForm
            head.path = line.path
            head.query = line.query
            head.version = line.version
            return .requestLine(next: line.next)
        }
        return try FieldLine.parse(
            input, at: start, leadingWhitespaceError: hasFields ? .obsFold : .whitespaceAfterRequestLine,
            allowBareLF: allowBareLF
        ).map { .field($0.field, next: $0.next) }
    }
}
