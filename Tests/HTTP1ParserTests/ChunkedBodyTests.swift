import HTTP1Parser
@testable import ParserFixtures
import Testing

private let chunkedHead = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"

/// The rules of chunked bodies are fixtures (Fixtures/chunked.md, trailers.md); this checks the raw
/// events of one call, which a fixture cannot state.
@Suite("Chunked bodies")
struct ChunkedBodyTests {
    /// The largest chunk size is read in full, and its data arrives as a range of the call's bytes.
    @Test func largestChunkSizeIsAccepted() {
        var parser = RequestParser()
        let head = latin1(chunkedHead)
        #expect(head.withUnsafeBytes { parser.parse($0) } == (.head, head.count))
        #expect(latin1("7fffffffffffffff\r\nab").withUnsafeBytes { parser.parse($0) } == (.body(18..<20), 20))
    }
}
