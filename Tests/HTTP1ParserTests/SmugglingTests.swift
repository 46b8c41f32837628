import HTTP1Parser
@testable import ParserFixtures
import Testing

/// The request-smuggling reports are fixtures (Fixtures/smuggling-*.md): each is refused with its
/// exact error, or framed exactly, for every split. What a fixture cannot show is here.
@Suite("Request smuggling reports")
struct SmugglingTests {
    /// waitress CVE-2024-49768: once a request failed, later pipelined bytes are never parsed.
    @Test func nothingIsParsedAfterAnError() {
        var parser = RequestParser()
        let first = latin1("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\nGET /smuggled HTTP/1.1\r\n")
        #expect(first.withUnsafeBytes { parser.parse($0) } == (.error(.invalidContentLength), 0))
        let next = latin1("GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n")
        for _ in 0..<3 {
            #expect(next.withUnsafeBytes { parser.parse($0) } == (.error(.invalidContentLength), 0))
        }
        #expect(parser.finish() == .invalidContentLength)
    }
}
