import HTTP1Parser
import Testing

@Suite("Leniencies")
struct LeniencyTests {
    @Test func noneByDefault() {
        #expect(Leniencies().isEmpty)
    }

    @Test func allowBareLFAcceptsLFWhereverCRLFEndsALine() throws {
        let text = "\nPOST /a HTTP/1.1\nHost: a\r\nTransfer-Encoding: chunked\n\n5;x=y\nhello\n0\nT: 1\n\nGET /b HTTP/1.1\nHost: a\n\n"
        let records = splitIndependentTranscript(latin1(text), leniencies: .allowBareLF)
        let heads = records.compactMap(\.head)
        #expect(heads.map(\.target) == ["/a", "/b"])
        #expect(heads.first?.fieldLines == ["Host: a", "Transfer-Encoding: chunked"])
        #expect(heads.first?.length == 55)
        let bodies = records.compactMap { if case .body(let bytes, _) = $0 { bytes } else { nil } }
        #expect(bodies == [latin1("hello")])
        #expect(records.suffix(2) == [.end, .finish(nil)])
        // The same request is refused without the leniency.
        expectRefused(text, .bareLF)
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\rHost: a\n\n", ParseError.bareCR),
        ("GET / HTTP/1.1\nHost: a\rX: b\n\n", .bareCR),
        ("GET / HTTP/1.1\nHost: a\n\rX\n\n", .bareCR),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\rhello\n0\n\n", .bareCR),
        ("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n5\nhello\rX0\n\n", .bareCR),
        ("GET / HTTP/1.1\nHost: a\nX: a\n b\n\n", .obsFold),
    ])
    func allowBareLFStillRefusesBareCRAndObsFold(_ text: String, _ error: ParseError) {
        expectRefused(text, error, leniencies: .allowBareLF)
    }
}
