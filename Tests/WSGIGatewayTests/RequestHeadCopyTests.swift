import HTTP1Parser
@testable import HTTPServerCore
import SharedBytes
import Testing
import WSGIGateway

/// A head copy is sized to its first head and reused: a later head with more bytes or more fields
/// than any before grows it, and every head reads back whole (after a larger one, a smaller one too).
@Suite struct RequestHeadCopyTests {
    /// Parses `request` and calls `body` with it as the core hands it over.
    static func withIncoming<Result: ~Copyable>(_ request: String, _ body: (borrowing IncomingRequest) throws -> Result) throws -> Result {
        var parser = RequestParser()
        let utf8 = Array(request.utf8)
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: utf8.count, alignment: 1)
        defer { raw.deallocate() }
        raw.copyBytes(from: utf8)
        let (event, consumed) = parser.parse(UnsafeRawBufferPointer(raw))
        try #require(event == .head, "\(event)")
        let bytes = UnsafeRawBufferPointer(rebasing: raw[..<consumed])
        return try body(IncomingRequest(head: parser.head, bytes: bytes, body: nil, isHead: false))
    }

    static func variables(of copy: borrowing RequestHeadCopy) -> [String: String] {
        let context = CGIContext(connection: CGIVariablesTests.connection, server: CGIVariablesTests.server, mountPoint: Bytes())
        return withExtendedLifetime(context) { CGIVariablesTests.all(copy.variables(context: context)) }
    }

    @Test func headsOfEverySizeReadBackWhole() throws {
        let small = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
        let fields = (1...40).map { "X-Field-\($0): value number \($0)\r\n" }.joined()
        let large = "POST /a/much/longer/path?with=a&query=string HTTP/1.1\r\nHost: example.org\r\n\(fields)\r\n"
        var current = try Self.withIncoming(small) { RequestHeadCopy($0) }
        #expect(Self.variables(of: current)["PATH_INFO"] == "/a")

        try Self.withIncoming(large) { current.load($0) }
        let grown = Self.variables(of: current)
        #expect(grown["REQUEST_METHOD"] == "POST")
        #expect(grown["QUERY_STRING"] == "with=a&query=string")
        #expect(grown["HTTP_HOST"] == "example.org")
        for index in 1...40 { #expect(grown["HTTP_X_FIELD_\(index)"] == "value number \(index)") }

        try Self.withIncoming(small) { current.load($0) }
        let again = Self.variables(of: current)
        #expect(again["PATH_INFO"] == "/a")
        #expect(again["HTTP_X_FIELD_1"] == nil)
        #expect(again["HTTP_HOST"] == "h")
    }
}
