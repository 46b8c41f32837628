import HTTP1Parser
@testable import ParserFixtures
import Testing

@Suite("Limits")
struct LimitTests {
    @Test func defaults() {
        let limits = ParserLimits()
        #expect(limits.maxRequestLineLength == 8190)
        #expect(limits.maxFieldLength == 8190)
        #expect(limits.maxFieldCount == 100)
        #expect(limits.maxHeadLength == 65536)
        #expect(limits.maxBodyLength == Int.max)
        #expect(limits.maxChunkExtensionLength == 256)
        #expect(limits.maxTrailerLength == 8190)
    }

    /// `GET /aaa… HTTP/1.1` with a request line of exactly `length` bytes.
    private func requestLine(length: Int) -> String {
        "GET /" + String(repeating: "a", count: length - 14) + " HTTP/1.1"
    }

    @Test func requestLineAtTheLimitIsAccepted() throws {
        let line = requestLine(length: 8190)
        #expect(line.utf8.count == 8190)
        let head = try #require(parseHead(line + "\r\nHost: a\r\n\r\n"))
        #expect(head.targetRange.count == 8190 - 13)
    }

    @Test func requestLineOverTheLimitIs414() {
        let bytes = latin1(requestLine(length: 8191) + "\r\nHost: a\r\n\r\n")
        let records = transcript(bytes)
        #expect(records == [.error(.requestLineTooLong), .finish(.requestLineTooLong)])
        #expect(byteByByteTranscript(bytes) == records)
        #expect(ParseError.requestLineTooLong.status == 414)
    }

    /// A request line that never ends fails at its 8191st byte, not at a line end that never comes.
    @Test func endlessRequestLineFailsAtTheFirstByteOverTheLimit() {
        let driver = ParserDriver()
        driver.feed(latin1("GET /" + String(repeating: "a", count: 8185)))
        #expect(driver.records.isEmpty)
        #expect(driver.unconsumed == 8190)
        driver.feed(latin1("a"))
        #expect(driver.records == [.error(.requestLineTooLong)])

        // A CR right at the limit may be the start of the CRLF, so it is not over the limit yet.
        let withCR = ParserDriver()
        withCR.feed(latin1("GET /" + String(repeating: "a", count: 8185) + "\r"))
        #expect(withCR.records.isEmpty)
        withCR.feed(latin1("x"))
        #expect(withCR.records == [.error(.requestLineTooLong)])
    }

    @Test func endlessRequestLineFailsAtByte8191EvenInOneRead() {
        let driver = ParserDriver()
        driver.feed(latin1("GET /" + String(repeating: "a", count: 1_000_000)))
        #expect(driver.records == [.error(.requestLineTooLong)])
    }

    @Test func fieldLineLimit() {
        let atLimit = "X: " + String(repeating: "v", count: 8187)
        #expect(parseHead("GET / HTTP/1.1\r\nHost: a\r\n\(atLimit)\r\n\r\n")?.fields.last?.valueRange.count == 8187)
        let driver = ParserDriver()
        driver.feed(latin1("GET / HTTP/1.1\r\nHost: a\r\n\(atLimit)"))
        #expect(driver.records.isEmpty)
        driver.feed(latin1("v"))
        #expect(driver.records == [.error(.fieldTooLong)])
        #expect(ParseError.fieldTooLong.status == 431)
    }

    @Test func fieldCountLimit() {
        let hundred = (1...99).map { "X-\($0): v\r\n" }.joined()
        #expect(parseHead("GET / HTTP/1.1\r\nHost: a\r\n\(hundred)\r\n")?.fields.count == 100)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\n\(hundred)X-100: v\r\n\r\n", .tooManyFields)
        var limits = ParserLimits()
        limits.maxFieldCount = 2
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", .tooManyFields, limits: limits)
        #expect(ParseError.tooManyFields.status == 431)
    }

    @Test func headLengthLimit() {
        var limits = ParserLimits()
        limits.maxHeadLength = 40
        let exact = "GET / HTTP/1.1\r\nHost: a\r\nX: 12345678\r\n\r\n"
        #expect(exact.utf8.count == 40)
        #expect(parseHead(exact, limits: limits)?.length == 40)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: 123456789\r\n\r\n", .headTooLarge, limits: limits)
        // Detected before the head (or even the line) ends.
        let driver = ParserDriver(limits: limits)
        driver.feed(latin1("GET / HTTP/1.1\r\nHost: a\r\nX: 123456789012"))
        #expect(driver.records.isEmpty)
        driver.feed(latin1("3"))
        #expect(driver.records == [.error(.headTooLarge)])
        // Ignored empty lines count towards the head.
        expectRefused("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nX: 12345\r\n\r\n", .headTooLarge, limits: limits)
        #expect(ParseError.headTooLarge.status == 431)
    }

    @Test func defaultHeadLengthLimit() {
        let field = "X: " + String(repeating: "v", count: 8000) + "\r\n"
        let nine = String(repeating: field, count: 9)
        expectRefused(latin1("GET / HTTP/1.1\r\nHost: a\r\n\(nine)\r\n"), .headTooLarge)
    }

    /// When one byte passes both the line limit and the head limit, the answer does not depend on
    /// the split: the limit whose first byte over comes first wins, the line limit on a tie.
    @Test func simultaneousLimitsAreSplitIndependent() {
        var limits = ParserLimits()
        limits.maxFieldLength = 10
        limits.maxHeadLength = 35
        // The field line starts at offset 25: line limit passed at offset 35, head limit at 35: tie.
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: 12345678\r\n\r\n", .fieldTooLong, limits: limits)
        // Head limit passed first.
        limits.maxHeadLength = 34
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: 12345678\r\n\r\n", .headTooLarge, limits: limits)
        // Line limit passed first, the head limit later in the same line.
        limits.maxHeadLength = 40
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: 1234567890123456\r\n\r\n", .fieldTooLong, limits: limits)
        // The CR at offset 35 may start the CRLF, which delays the line limit to 36: the head limit wins.
        limits.maxHeadLength = 35
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: 1234567\r\r\n\r\n", .headTooLarge, limits: limits)
    }

    @Test func limitErrorsComeBeforeContentErrorsOfTheSameLine() {
        var limits = ParserLimits()
        limits.maxFieldLength = 10
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX : 12345678\r\n\r\n", .fieldTooLong, limits: limits)
        expectRefused("GET / HTTP/1.1\r\nHost: a\r\nX: \u{1}12345678\n\r\n", .fieldTooLong, limits: limits)
    }

    @Test func bodyLengthLimitAtHeadTimeFromContentLength() {
        var limits = ParserLimits()
        limits.maxBodyLength = 10
        #expect(parseHead("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789", limits: limits)?.contentLength == 10)
        let records = splitIndependentTranscript(latin1("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n"), limits: limits)
        #expect(records == [.error(.bodyTooLarge), .finish(.bodyTooLarge)])
        #expect(ParseError.bodyTooLarge.status == 413)
    }

    @Test func bodyLengthLimitForChunkedBodies() {
        var limits = ParserLimits()
        limits.maxBodyLength = 10
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let accepted = splitIndependentTranscript(latin1(head + "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), limits: limits)
        #expect(accepted.suffix(2) == [.end, .finish(nil)])
        // The size line that would pass the limit fails as soon as its size is read.
        let driver = ParserDriver(limits: limits)
        driver.feed(latin1(head + "5\r\nhello\r\n6"))
        #expect(driver.records.last == .body(latin1("hello"), ranges: [59..<64]))
        driver.feed(latin1(";"))
        #expect(driver.records.last == .error(.bodyTooLarge))
        expectRefused(head + "5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n", .bodyTooLarge, limits: limits)
    }

    @Test func chunkExtensionLimit() {
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        let atLimit = ";" + String(repeating: "e", count: 255)
        let accepted = splitIndependentTranscript(latin1(head + "1\(atLimit)\r\nx\r\n0\(atLimit)\r\n\r\n"))
        #expect(accepted.suffix(2) == [.end, .finish(nil)])
        expectRefused(head + "1\(atLimit)e\r\nx\r\n0\r\n\r\n", .chunkExtensionTooLong)
        // An endless extension fails at its 257th byte.
        let driver = ParserDriver()
        driver.feed(latin1(head + "1\(atLimit)"))
        #expect(driver.records.count == 1)
        #expect(driver.unconsumed == 0, "chunk-size lines are consumed as they are read")
        driver.feed(latin1("e"))
        #expect(driver.records.last == .error(.chunkExtensionTooLong))
        #expect(ParseError.chunkExtensionTooLong.status == 400)
    }

    @Test func trailerSectionLimit() {
        var limits = ParserLimits()
        limits.maxTrailerLength = 20
        let head = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        // 10 + 8 + 2 = 20 bytes of trailer section.
        let accepted = splitIndependentTranscript(latin1(head + "0\r\nA: 12345\r\nB: 123\r\n\r\n"), limits: limits)
        #expect(accepted.suffix(2) == [.end, .finish(nil)])
        expectRefused(head + "0\r\nA: 12345\r\nB: 1234\r\n\r\n", .trailerTooLarge, limits: limits)
        expectRefused(head + "0\r\nA: 1234567890123456789", .trailerTooLarge, limits: limits)
        #expect(ParseError.trailerTooLarge.status == 431)
    }
}
