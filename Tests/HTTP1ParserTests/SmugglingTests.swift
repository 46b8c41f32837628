import HTTP1Parser
import Testing

/// A request-smuggling (or adjacent) report turned into an input and the exact refusal expected.
struct SmugglingCase: Sendable, CustomTestStringConvertible {
    var id: String
    var request: String
    var error: ParseError

    var testDescription: String { id }
}

/// Bytes that would be a second request if the first one were framed wrongly.
private let smuggled = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"

/// The request-smuggling CVE table of the project's research notes (gunicorn, waitress, Node.js
/// rows, plus swift-nio's regression test), row by row. Every input is refused with the exact error, the same for every split, and never
/// yields a second request.
private let cases: [SmugglingCase] = [
    // gunicorn
    SmugglingCase(
        id: "gunicorn CVE-2024-1135: chunked then gzip in two TE lines",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n0\r\n\r\n" + smuggled,
        error: .chunkedNotFinal),
    SmugglingCase(
        id: "gunicorn CVE-2024-1135: identity, chunked, identity, chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity, chunked, identity, chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .chunkedNotFinal),
    SmugglingCase(
        id: "gunicorn CVE-2024-1135: repeated chunked TE lines",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .repeatedChunked),
    SmugglingCase(
        id: "gunicorn CVE-2024-6827: TE with leading HTAB plus Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\nTransfer-Encoding: \tchunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .contentLengthWithTransferEncoding),
    SmugglingCase(
        id: "gunicorn CVE-2024-6827: unknown coding plus Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-unknown\r\nContent-Length: 5\r\n\r\nhello" + smuggled,
        error: .contentLengthWithTransferEncoding),
    SmugglingCase(
        id: "gunicorn CVE-2024-6827: unknown coding before chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: x-unknown, chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .unsupportedTransferEncoding),
    SmugglingCase(
        id: "gunicorn 22: Content-Length with chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .contentLengthWithTransferEncoding),
    SmugglingCase(
        id: "gunicorn 22: chunked on HTTP/1.0",
        request: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .transferEncodingInHTTP10),
    SmugglingCase(
        id: "gunicorn 26: Content-Length list form 5, 5",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello" + smuggled,
        error: .invalidContentLength),
    SmugglingCase(
        id: "gunicorn 26: Content-Length in trailers",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 99\r\n\r\n" + smuggled,
        error: .forbiddenTrailer),
    SmugglingCase(
        id: "gunicorn 26: Host in trailers",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nHost: evil.example\r\n\r\n",
        error: .forbiddenTrailer),
    SmugglingCase(
        id: "gunicorn 26: Transfer-Encoding in trailers",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nTransfer-Encoding: chunked\r\n\r\n",
        error: .forbiddenTrailer),
    SmugglingCase(
        id: "gunicorn 26: CTL in a field value",
        request: "GET / HTTP/1.1\r\nHost: a\r\nX-Value: plain\u{7}injected\r\n\r\n",
        error: .invalidFieldValue),
    SmugglingCase(
        id: "gunicorn chunked_01: 6_0 chunk size",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6_0\r\n world\r\n0\r\n\r\n" + smuggled,
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn chunked_09: whitespace after the size",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0 \r\n\r\n" + smuggled,
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn chunked_10: whitespace before the size",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n 0\r\n\r\n" + smuggled,
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn chunked_11: bare LF after the size",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\n;\r\nhello\r\n0\r\n\r\n",
        error: .bareLF),
    SmugglingCase(
        id: "gunicorn chunked_12: extension without a size",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n ;foo=bar\r\nhello\r\n0\r\n\r\n",
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn chunked_13: empty size line",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn chunked_14: bare CR in an extension",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=val\rue\r\nhello\r\n0\r\n\r\n",
        error: .bareCR),
    SmugglingCase(
        id: "gunicorn: chunk size with minus sign",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn: chunk size with plus sign",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
        error: .invalidChunkSize),
    SmugglingCase(
        id: "gunicorn invalid_field_value_01: bare LF in a value hides a request line",
        request: "GET / HTTP/1.1\r\nHost: x\r\nNewline: a\nContent-Length: 26\r\nGET / HTTP/1.1\nHost: x\r\n\r\n",
        error: .bareLF),
    SmugglingCase(
        id: "gunicorn obs_fold_01",
        request: "GET / HTTP/1.1\r\nHost: a\r\nLong: one\r\n two\r\n\r\n",
        error: .obsFold),
    SmugglingCase(
        id: "gunicorn prefix_03: Content-Length 0 1",
        request: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0 1\r\n\r\nx",
        error: .invalidContentLength),
    SmugglingCase(
        id: "gunicorn nonascii_03: Content-Length\u{DF} next to Content-Length",
        request: "GET / HTTP/1.1\r\nHost: a\r\nContent-Length\u{DF}: 3\r\nContent-Length: 3\r\n\r\n\u{C4}\u{C4}\u{C4}",
        error: .invalidFieldName),
    SmugglingCase(
        id: "gunicorn prefix_06: huge version",
        request: "GET / HTTP/0000000000000000000000000000001.1\r\nHost: a\r\n\r\n",
        error: .invalidVersion),
    // waitress
    SmugglingCase(
        id: "waitress CVE-2019-16785: bare LF ends a line",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\nX-Header: x\nContent-Length: 0\r\n\r\n" + smuggled,
        error: .bareLF),
    SmugglingCase(
        id: "waitress CVE-2019-16786: gzip, chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .unsupportedTransferEncoding),
    SmugglingCase(
        id: "waitress CVE-2019-16786: folded Transfer-Encoding",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip,\r\n chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .obsFold),
    SmugglingCase(
        id: "waitress CVE-2019-16786: multi-line Transfer-Encoding",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .unsupportedTransferEncoding),
    SmugglingCase(
        id: "waitress GHSA-4ppp-gpcr-7qf6: conflicting Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nContent-Length: 0\r\n\r\n" + smuggled,
        error: .duplicateContentLength),
    SmugglingCase(
        id: "waitress GHSA-4ppp-gpcr-7qf6: folded duplicate Content-Length 10, 10",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10, 10\r\n\r\n" + smuggled,
        error: .invalidContentLength),
    SmugglingCase(
        id: "waitress CVE-2019-16789: \\x85 next to chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\u{85}\r\n\r\n0\r\n\r\n" + smuggled,
        error: .invalidTransferEncoding),
    SmugglingCase(
        id: "waitress CVE-2019-16789: \\x85 next to chunked, with Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: \u{85}chunked\r\n\r\nhello" + smuggled,
        error: .contentLengthWithTransferEncoding),
    SmugglingCase(
        id: "waitress CVE-2019-16789: \\x0b next to chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \u{0B}chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .invalidFieldValue),
    SmugglingCase(
        id: "waitress CVE-2022-24761: Content-Length +10",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +10\r\n\r\n0123456789" + smuggled,
        error: .invalidContentLength),
    SmugglingCase(
        id: "waitress CVE-2022-24761: chunk size 0x01",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0x01\r\nA\r\n0\r\n\r\n" + smuggled,
        error: .invalidChunkSize),
    SmugglingCase(
        id: "waitress CVE-2022-24761: chunk size +01",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n+01\r\nA\r\n0\r\n\r\n" + smuggled,
        error: .invalidChunkSize),
    SmugglingCase(
        id: "waitress CVE-2022-24761: invalid bytes in an ignored extension",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1;\u{1}x\r\nA\r\n0\r\n\r\n" + smuggled,
        error: .invalidChunkExtension),
    SmugglingCase(
        id: "waitress #465: Transfer-Encoding sent twice",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .repeatedChunked),
    // Node.js http-parser / llhttp
    SmugglingCase(
        id: "Node CVE-2019-15605: chunked not last",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + smuggled,
        error: .chunkedNotFinal),
    SmugglingCase(
        id: "Node CVE-2019-15605: gzip, chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .unsupportedTransferEncoding),
    SmugglingCase(
        id: "Node CVE-2020-8201: CR instead of dash in Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent\rLength: 003\r\n\r\nabc" + smuggled,
        error: .bareCR),
    SmugglingCase(
        id: "Node CVE-2020-8287: chunked then eee",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: eee\r\n\r\n0\r\n\r\n" + smuggled,
        error: .chunkedNotFinal),
    SmugglingCase(
        id: "Node CVE-2021-22959: space before the colon",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 4\r\n\r\nabcd" + smuggled,
        error: .whitespaceBeforeColon),
    SmugglingCase(
        id: "Node CVE-2021-22960: unvalidated extension bytes",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext\u{0}x\r\nhello\r\n0\r\n\r\n" + smuggled,
        error: .invalidChunkExtension),
    SmugglingCase(
        id: "Node CVE-2022-32213/32215: obs-fold after chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n  abc\r\n\r\n0\r\n\r\n" + smuggled,
        error: .obsFold),
    SmugglingCase(
        id: "Node CVE-2022-32214: bare LF between header lines",
        request: "POST / HTTP/1.1\r\nHost: a\nContent-Length: 5\r\n\r\nhello" + smuggled,
        error: .bareLF),
    SmugglingCase(
        id: "Node CVE-2022-35256: field line ended by CR alone",
        request: "POST / HTTP/1.1\r\nHost: a\r\nX-A: b\rContent-Length: 5\r\n\r\nhello" + smuggled,
        error: .bareCR),
    SmugglingCase(
        id: "Node CVE-2023-30589: bare CR as a header delimiter",
        request: "POST / HTTP/1.1\r\nHost: a\r\nX-Abc: \rxTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .bareCR),
    SmugglingCase(
        id: "Node CVE-2024-22019: endless chunk extension",
        request: "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;" + String(repeating: "x", count: 1000),
        error: .chunkExtensionTooLong),
    SmugglingCase(
        id: "Node CVE-2024-27982: Content-Length in obs-fold position",
        request: "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n Content-Length: 5\r\n\r\nhello" + smuggled,
        error: .obsFold),
    SmugglingCase(
        id: "Node CVE-2024-27982: Content-Length indented right after the request line",
        request: "POST / HTTP/1.1\r\n Content-Length: 5\r\nHost: a\r\n\r\nhello" + smuggled,
        error: .whitespaceAfterRequestLine),
    SmugglingCase(
        id: "Node CVE-2025-23167: head ended by CRLF CR X",
        request: "GET / HTTP/1.1\r\nHost: a\r\n\rX" + smuggled,
        error: .bareCR),
    SmugglingCase(
        id: "Node CVE-2016-2086: conflicting Content-Length",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!" + smuggled,
        error: .duplicateContentLength),
    SmugglingCase(
        id: "swift-nio refuses Content-Length with gzip, chunked",
        request: "POST / HTTP/1.1\r\nHost: a\r\nContent-length: 1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + smuggled,
        error: .contentLengthWithTransferEncoding),
]

@Suite("Request smuggling reports")
struct SmugglingTests {
    @Test(arguments: cases)
    func refused(_ smugglingCase: SmugglingCase) {
        expectRefused(smugglingCase.request, smugglingCase.error)
    }

    /// gunicorn's `Transfer_Encoding` aliasing case: HTTP itself has two different fields here, and
    /// a strict parser frames the message by `Transfer-Encoding` alone. The danger is a gateway that
    /// maps both names to the same CGI/WSGI key; that is the gateway's to refuse.
    @Test func underscoreNameIsADifferentField() throws {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nTransfer_Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let records = splitIndependentTranscript(latin1(text))
        let head = try #require(records.first?.head)
        #expect(head.isChunked)
        #expect(head.fieldLines == ["Host: a", "Transfer_Encoding: gzip", "Transfer-Encoding: chunked"])
        let bodies = records.compactMap { if case .body(let bytes, _) = $0 { bytes } else { nil } }
        #expect(bodies == [latin1("hello world")])
        #expect(records.suffix(2) == [.end, .finish(nil)])
    }

    /// waitress GHSA-4ppp-gpcr-7qf6 with identical values: accepted (RFC 9110 §8.6 allows it), and
    /// the body is exactly 10 bytes, never parsed as a request.
    @Test func identicalDuplicateContentLengthFramesExactly() throws {
        let text = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\nContent-Length: 10\r\n\r\nGET / HTTP"
        let records = splitIndependentTranscript(latin1(text))
        #expect(records.compactMap(\.head).count == 1)
        #expect(records.first?.head?.contentLength == 10)
        #expect(records.dropFirst().first == .body(latin1("GET / HTTP"), ranges: [68..<78]))
        #expect(records.suffix(2) == [.end, .finish(nil)])
    }

    /// gunicorn #3382: a chunked body cut after the last-chunk line is an error at EOF, not a
    /// complete message.
    @Test func chunkedBodyMissingItsFinalCRLF() {
        let records = splitIndependentTranscript(latin1(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"))
        #expect(!records.contains(.end))
        #expect(records.last == .finish(.incompleteBody))
    }

    /// waitress CVE-2024-49768: once a request failed, later pipelined bytes are never parsed.
    @Test func nothingIsParsedAfterAnError() {
        var parser = RequestParser()
        let first = latin1("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n" + smuggled)
        #expect(first.withUnsafeBytes { parser.parse($0) } == (.error(.invalidContentLength), 0))
        let next = latin1(smuggled)
        for _ in 0..<3 {
            #expect(next.withUnsafeBytes { parser.parse($0) } == (.error(.invalidContentLength), 0))
        }
        #expect(parser.finish() == .invalidContentLength)
    }
}
