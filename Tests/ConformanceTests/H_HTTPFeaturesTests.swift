import Foundation
import Testing
import TestSupport
import WSGIServer

/// Checklist H: inbound hop-by-hop headers and other HTTP features (PEP 3333 "Other HTTP
/// Features", "HTTP 1.1 Expect/Continue"). Chunked request bodies: S30; Expect: S31.
@Suite struct HTTPFeaturesTests {
    // MARK: S65

    @Test func S65_connectionCloseIsHandledByTheServer() throws {
        let log = EnvironLog()
        let harness = try Harness(app: log.app("abc"))
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.bodyText == "abc")
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByPeer())
        harness.finish()
    }

    @Test func S65_otherHopByHopRequestHeadersChangeNothing() throws {
        // Keep-Alive parameters, TE and an upgrade offer: the server answers plain HTTP/1.1 and
        // keeps the connection by its own rules.
        let harness = try Harness(app: answering("plain"))
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: keep-alive, Upgrade, TE\r\nKeep-Alive: timeout=1, max=1\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "plain")
        #expect(response.header("Upgrade") == nil)
        #expect(response.header("Keep-Alive") == nil)
        // "max=1" is the client's wish, not a rule for the server: a second request is served.
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().bodyText == "plain")
        harness.finish()
    }

    // MARK: S66

    @Test func S66_theServerChangesNothingThatAltersTheResponse() throws {
        let gzipped: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xCB, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]
        let headers: ResponseHeaders = [
            ("Content-Type", "text/plain"), ("Content-Encoding", "gzip"), ("ETag", "\"v1\""),
            ("x-lower-case", "kept"), ("Vary", "Accept-Encoding"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
            ("Content-Length", String(gzipped.count)),
        ]
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", headers)
            return [Bytes(gzipped)]
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nAccept-Encoding: gzip, br\r\nRange: bytes=0-1\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(body == gzipped)
        // The application's headers, in order, spelled as given; the server adds only Date,
        // Server and its connection management.
        let lines = head.split(separator: "\r\n").dropFirst().map(String.init)
        let applicationLines = headers.map { "\($0.0): \($0.1)" }
        #expect(Array(lines.prefix(headers.count)) == applicationLines)
        let added = lines.dropFirst(headers.count).map { String($0.prefix { $0 != ":" }) }
        #expect(Set(added) == ["Date", "Server", "Connection"], "\(added)")
        harness.finish()
    }
}
