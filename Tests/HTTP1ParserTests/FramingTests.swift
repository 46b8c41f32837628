import HTTP1Parser
import Testing

@Suite("Message framing: Content-Length and Transfer-Encoding")
struct FramingTests {
    /// Each group of field lines, in an HTTP/1.1 request with `Host: a`, is refused with this error.
    @Test(arguments: [
        ("Content-Length: +10", ParseError.invalidContentLength),
        ("Content-Length: -1", .invalidContentLength),
        ("Content-Length: 0x5", .invalidContentLength),
        ("Content-Length: 5, 5", .invalidContentLength),
        ("Content-Length: 5,", .invalidContentLength),
        ("Content-Length: 0 1", .invalidContentLength),
        ("Content-Length: 1_0", .invalidContentLength),
        ("Content-Length: 1.0", .invalidContentLength),
        ("Content-Length:", .invalidContentLength),
        ("Content-Length: \u{B3}", .invalidContentLength),
        ("Content-Length: 9223372036854775808", .contentLengthOverflow),
        ("Content-Length: 99999999999999999999999999", .contentLengthOverflow),
        ("Content-Length: 5\r\nContent-Length: 6", .duplicateContentLength),
        ("Content-Length: 5\r\ncontent-length: 50", .duplicateContentLength),
        ("Content-Length: 3\r\nTransfer-Encoding: chunked", .contentLengthWithTransferEncoding),
        ("Transfer-Encoding: chunked\r\nContent-Length: 3", .contentLengthWithTransferEncoding),
        ("Transfer-Encoding: gzip\r\nContent-Length: 3", .contentLengthWithTransferEncoding),
        ("Content-Length: 0\r\nTransfer-Encoding: identity", .contentLengthWithTransferEncoding),
        ("Transfer-Encoding: gzip", .chunkedNotFinal),
        ("Transfer-Encoding: identity", .chunkedNotFinal),
        ("Transfer-Encoding: chunked, gzip", .chunkedNotFinal),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip", .chunkedNotFinal),
        ("Transfer-Encoding: chunked, chunked", .repeatedChunked),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", .repeatedChunked),
        ("Transfer-Encoding: gzip, chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding: x-custom;p=\"a,b\";q=1, chunked", .unsupportedTransferEncoding),
        ("Transfer-Encoding:", .invalidTransferEncoding),
        ("Transfer-Encoding: , ,", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked;x=1", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked x", .invalidTransferEncoding),
        ("Transfer-Encoding: \"chunked\"", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked\u{85}", .invalidTransferEncoding),
        ("Transfer-Encoding: \u{85}chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: gzip;, chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: gzip;q, chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: gzip;q=\"open, chunked", .invalidTransferEncoding),
        ("Transfer-Encoding: chunked\u{0B}", .invalidFieldValue),
    ])
    func refused(_ fields: String, _ error: ParseError) {
        expectRefused("POST / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n0\r\n\r\n", error)
    }

    @Test func transferEncodingInHTTP10() {
        expectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .transferEncodingInHTTP10)
        expectRefused("POST / HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", .transferEncodingInHTTP10)
    }

    @Test(arguments: [
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: CHUNKED",
        "transfer-encoding:\t Chunked \t",
        "Transfer-Encoding: , chunked ,",
        "Transfer-Encoding: \r\nTransfer-Encoding: chunked",
    ])
    func chunkedSpellings(_ field: String) throws {
        let records = splitIndependentTranscript(latin1("POST / HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n2\r\nok\r\n0\r\n\r\n"))
        let head = try #require(records.first?.head)
        #expect(head.isChunked)
        #expect(head.contentLength == nil)
        #expect(records.dropFirst().first == .body(latin1("ok"), ranges: [(head.length + 3)..<(head.length + 5)]))
        #expect(records.suffix(2) == [.end, .finish(nil)])
    }

    @Test(arguments: [
        ("Content-Length: 5\r\nContent-Length: 5", 5),
        ("Content-Length: 5\r\nContent-Length: 005", 5),
        ("Content-Length: 00", 0),
        ("Content-Length:  \t7\t ", 7),
        ("Content-Length: 9223372036854775807", Int.max),
    ])
    func acceptedContentLengths(_ fields: String, _ length: Int) throws {
        let head = try #require(parseHead("POST / HTTP/1.1\r\nHost: a\r\n\(fields)\r\n\r\n"))
        #expect(head.contentLength == length)
        #expect(head.isChunked == false)
    }

    @Test func bodyEndsExactlyAtContentLengthAndTheRestIsTheNextRequest() {
        let records = splitIndependentTranscript(latin1(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyGET /next HTTP/1.1\r\nHost: a\r\n\r\n"))
        #expect(records.compactMap(\.head).map(\.target) == ["/", "/next"])
        #expect(records[1] == .body(latin1("body"), ranges: [47..<51]))
    }

    @Test func requestsWithoutFramingHaveNoBodyEvenOnHTTP10() {
        let records = splitIndependentTranscript(latin1("POST / HTTP/1.0\r\n\r\nGET / HTTP/1.0\r\n\r\n"))
        #expect(records.count == 5)
        #expect(records.compactMap(\.head).count == 2)
        #expect(!records.contains { if case .body = $0 { true } else { false } })
    }
}
