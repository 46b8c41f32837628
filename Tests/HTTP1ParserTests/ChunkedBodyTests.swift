import HTTP1Parser
import Testing

private let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

@Suite("Chunked bodies")
struct ChunkedBodyTests {
    /// Each chunked body (after a valid head) is refused with this error.
    @Test(arguments: [
        // Chunk size: hex digits only, no prefix, sign or whitespace.
        ("6_0\r\nhello!\r\n0\r\n\r\n", ParseError.invalidChunkSize),
        ("0x5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("+5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("-5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        (" 5\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("5 \r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("0 \r\n\r\n", .invalidChunkSize),
        ("\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        (";ext\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        (" ;foo=bar\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("g\r\n", .invalidChunkSize),
        ("5\u{0B}\r\nhello\r\n0\r\n\r\n", .invalidChunkSize),
        ("8000000000000000\r\n", .chunkSizeOverflow),
        ("FFFFFFFFFFFFFFFFF\r\n", .chunkSizeOverflow),
        // Chunk extensions: ;name, ;name=token, ;name="quoted", with BWS.
        ("5;\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;=v\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a \r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=b \r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=b c\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a@b\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=b@\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\"x\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\"x\u{7}\"\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\"x\\\u{7}\"\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;\u{1}\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a=\u{E4}\r\nhello\r\n0\r\n\r\n", .invalidChunkExtension),
        ("5;a\n\r\nhello\r\n0\r\n\r\n", .bareLF),
        ("5;a=\"x\"\r\r\nhello\r\n0\r\n\r\n", .bareCR),
        ("5;ext=val\rue\r\nhello\r\n0\r\n\r\n", .bareCR),
        // Line ends.
        ("5\n;\r\nhello\r\n0\r\n\r\n", .bareLF),
        ("5\nhello\r\n0\r\n\r\n", .bareLF),
        ("5\rhello\r\n0\r\n\r\n", .bareCR),
        // Chunk data must be followed by exactly CRLF.
        ("5\r\nhello!\r\n0\r\n\r\n", .missingChunkTerminator),
        ("5\r\nhello\n0\r\n\r\n", .bareLF),
        ("5\r\nhello\rX0\r\n\r\n", .bareCR),
        ("5\r\nhello0\r\n\r\n", .missingChunkTerminator),
        // Trailers: validated like header fields; framing and routing fields forbidden.
        ("0\r\nContent-Length: 99\r\n\r\n", .forbiddenTrailer),
        ("0\r\ntransfer-encoding: chunked\r\n\r\n", .forbiddenTrailer),
        ("0\r\nHOST: evil\r\n\r\n", .forbiddenTrailer),
        ("0\r\nX-Ok: 1\r\nAuthorization: Basic eA==\r\n\r\n", .forbiddenTrailer),
        ("0\r\nTE: trailers\r\n\r\n", .forbiddenTrailer),
        ("0\r\nContent-Type: text/plain\r\n\r\n", .forbiddenTrailer),
        ("0\r\nX : 1\r\n\r\n", .whitespaceBeforeColon),
        ("0\r\nX: 1\r\n folded\r\n\r\n", .obsFold),
        ("0\r\n folded\r\n\r\n", .obsFold),
        ("0\r\nX: a\u{7}b\r\n\r\n", .invalidFieldValue),
        ("0\r\nX\r\n\r\n", .missingColon),
        ("0\r\nX: 1\n\r\n", .bareLF),
        ("0\r\nX: 1\r\n\n", .bareLF),
        ("0\r\n\rX\r\n", .bareCR),
        ("0\r\nX: 1\rY: 2\r\n\r\n", .bareCR),
    ])
    func refused(_ body: String, _ error: ParseError) {
        expectRefused(chunkedHead + body, error)
    }

    @Test(arguments: [
        "5;a\r\nhello\r\n0\r\n\r\n",
        "5 ;a\r\nhello\r\n0\r\n\r\n",
        "5\t; a ; b\r\nhello\r\n0\r\n\r\n",
        "5;a=b;c=\"\"\r\nhello\r\n0\r\n\r\n",
        "5;a = \"x;y=z \\\"q\\\" \u{E4}\"\r\nhello\r\n0\r\n\r\n",
        "5;a=\"x\" ;b=c\r\nhello\r\n0\r\n\r\n",
        "5;!#$%&'*+-.^_`|~=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n",
        "000005\r\nhello\r\n0000\r\n\r\n",
        "2\r\nhe\r\n3\r\nllo\r\n0\r\nX-Sum: 1\r\nEtag-Like:\r\n\r\n",
    ])
    func accepted(_ body: String) {
        let records = splitIndependentTranscript(latin1(chunkedHead + body))
        let bodies = records.compactMap { if case .body(let bytes, _) = $0 { bytes } else { nil } }
        #expect(bodies == [latin1("hello")])
        #expect(records.suffix(2) == [.end, .finish(nil)])
    }

    @Test func truncatedChunkedBodyIsAnErrorNotAMessage() {
        for body in ["", "5", "5\r", "5\r\nhel", "5\r\nhello", "5\r\nhello\r", "5\r\nhello\r\n", "0", "0\r\n", "0\r\n\r", "0\r\nX: 1\r\n"] {
            let records = splitIndependentTranscript(latin1(chunkedHead + body))
            #expect(records.last == .finish(.incompleteBody), "body \(body.debugDescription)")
            #expect(!records.contains(.end), "body \(body.debugDescription)")
        }
    }

    @Test func truncatedContentLengthBodyIsAnError() {
        let records = splitIndependentTranscript(latin1("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nshort"))
        #expect(records.count == 3)
        #expect(records.last == .finish(.incompleteBody))
    }

    @Test func largestChunkSizeIsAccepted() {
        var parser = RequestParser()
        let head = latin1(chunkedHead)
        #expect(head.withUnsafeBytes { parser.parse($0) } == (.head, head.count))
        #expect(latin1("7fffffffffffffff\r\nab").withUnsafeBytes { parser.parse($0) } == (.body(18..<20), 20))
    }
}
