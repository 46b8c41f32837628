/// The header fields whose meaning the parser itself needs: framing (Content-Length,
/// Transfer-Encoding), routing (Host), connection reuse (Connection) and Expect.
///
/// Each field is interpreted as its line is validated, so a conflict (two Content-Lengths, CL with
/// TE) fails at the line that creates it; rules about the head as a whole run in `complete`.
struct InterpretedFields {
    private var contentLength: Int?
    private var transferCodings = TransferCodingList()
    private var hasHost = false
    private var connectionClose = false
    private var connectionKeepAlive = false
    private var expectation = Expectation.none

    /// Interprets `field` if it is one of the fields above; other fields are left alone.
    ///
    /// Runs for every field line, inlined in the head scanner: a length switch and one word compare
    /// reject most names. The handlers of the few interpreted fields stay out of line
    /// (`@inline(never)`) so that this dispatch remains small enough to inline.
    @inline(__always)
    mutating func interpret(_ field: HeaderField, _ input: Input, version: HTTPVersion) throws(ParseError) {
        switch field.name.count {
        case 4 where input.equalsIgnoringCase(field.name, "host"):
            try host(field.value, input)
        case 6 where input.equalsIgnoringCase(field.name, "expect"):
            expect(field.value, input)
        case 10 where input.equalsIgnoringCase(field.name, "connection"):
            connection(field.value, input)
        case 14 where input.equalsIgnoringCase(field.name, "content-length"):
            try contentLength(field.value, input)
        case 17 where input.equalsIgnoringCase(field.name, "transfer-encoding"):
            guard version == .http1_1 else { throw .transferEncodingInHTTP10 }
            guard contentLength == nil else { throw .contentLengthWithTransferEncoding }
            try transferCodings.add(input, field.value)
        default:
            return
        }
    }

    /// Applies the whole-head rules and records the results in `head`.
    func complete(into head: inout RequestHead, limits: ParserLimits) throws(ParseError) {
        if head.version == .http1_1 && !hasHost { throw .missingHost }
        let isChunked = try transferCodings.isChunked()
        if let contentLength, contentLength > limits.maxBodyLength { throw .bodyTooLarge }
        head.contentLength = contentLength
        head.isChunked = isChunked
        switch head.version {
        case .http1_1, .http2:
            head.keepAlive = !connectionClose
            head.expectation = expectation
        case .http1_0:
            head.keepAlive = connectionKeepAlive && !connectionClose
            head.expectation = .none
        }
    }

    /// Host (RFC 9112 §3.2): exactly one, its value made of `uri-host [":" port]` bytes (may be empty).
    @inline(never)
    private mutating func host(_ value: Range<Int>, _ input: Input) throws(ParseError) {
        guard !hasHost else { throw .duplicateHost }
        hasHost = true
        var index = value.lowerBound
        // Bounds: every index read is below the end of the value.
        while index < value.upperBound {
            guard ByteClass.of(input[index]).contains(.host) else { throw .invalidHost }
            index += 1
        }
    }

    /// Content-Length (RFC 9112 §6.3): 1*DIGIT, no sign, no list; repeated only with the same value.
    @inline(never)
    private mutating func contentLength(_ value: Range<Int>, _ input: Input) throws(ParseError) {
        guard !value.isEmpty else { throw .invalidContentLength }
        var length = 0
        for index in value {
            let byte = input[index]
            guard ASCII.isDigit(byte) else { throw .invalidContentLength }
            let (shifted, overflowA) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflowB) = shifted.addingReportingOverflow(Int(byte &- 0x30))
            guard !overflowA && !overflowB else { throw .contentLengthOverflow }
            length = sum
        }
        if let previous = contentLength, previous != length { throw .duplicateContentLength }
        guard !transferCodings.isPresent else { throw .contentLengthWithTransferEncoding }
        contentLength = length
    }

    /// Connection (RFC 9110 §7.6.1): a comma list; only `close` and `keep-alive` matter here.
    @inline(never)
    private mutating func connection(_ value: Range<Int>, _ input: Input) {
        var elementStart = value.lowerBound
        while elementStart <= value.upperBound {
            var elementEnd = elementStart
            while elementEnd < value.upperBound && input[elementEnd] != ASCII.comma { elementEnd += 1 }
            let element = input.trimmingWhitespace(elementStart..<elementEnd)
            if input.equalsIgnoringCase(element, "close") {
                connectionClose = true
            } else if input.equalsIgnoringCase(element, "keep-alive") {
                connectionKeepAlive = true
            }
            elementStart = elementEnd + 1
        }
    }

    /// Expect (RFC 9110 §10.1.1): only `100-continue` is supported; any other value, or another Expect
    /// line that is not `100-continue`, makes the expectation unsupported.
    @inline(never)
    private mutating func expect(_ value: Range<Int>, _ input: Input) {
        let isContinue = input.equalsIgnoringCase(value, "100-continue")
        expectation = isContinue && expectation != .unsupported ? .continue : .unsupported
    }
}
