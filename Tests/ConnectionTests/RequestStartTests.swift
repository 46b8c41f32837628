import Glibc
import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// `--request-start-header`: the request carries `X-Request-Start: t=MICROSECONDS`, the wall-clock
/// time its first byte was read, for APM agents' queue time; a client's own header is replaced, a
/// trusted proxy's kept. (The in-memory peer is 192.0.2.7.)
@Suite struct RequestStartTests {
    static func client(trusting: String? = nil) throws -> MemoryConnection {
        try MemoryConnection(app: { environ, startResponse in
            try startResponse("200 OK", [])
            let keys = environ.keys.filter { $0 == "HTTP_X_REQUEST_START" }.count
            return [Bytes("\(environ["HTTP_X_REQUEST_START"] ?? "-") \(keys)".utf8)]
        }) { configuration in
            configuration.stampsRequestStart = true
            if let trusting { configuration.forwardedAllowIPs = try! ForwardedAllowList(trusting) }
        }
    }

    static func microseconds(_ text: String) -> UInt64? {
        guard text.hasPrefix("t=") else { return nil }
        return UInt64(text.dropFirst(2).prefix { $0 != " " })
    }

    @Test func theStampIsTheTimeTheFirstByteWasRead() throws {
        let client = try Self.client()
        let before = ServerClock.wallMicroseconds()
        // The head in two pieces: the stamp is the first piece's time, before the second is sent.
        client.send("GET / HTTP/1.1\r\n")
        let between = ServerClock.wallMicroseconds()
        client.send("Host: x\r\n\r\n")
        let text = try client.response().bodyText
        let stamp = try #require(Self.microseconds(text), "\(text)")
        #expect(stamp >= before && stamp <= between)
        #expect(text.hasSuffix(" 1"), "the key is listed once: \(text)")
    }

    @Test func aClientsOwnHeaderIsReplacedAndATrustedProxysKept() throws {
        let request = "GET / HTTP/1.1\r\nHost: x\r\nX-Request-Start: t=1\r\n\r\n"
        let untrusted = try Self.client()
        untrusted.send(request)
        let replaced = try untrusted.response().bodyText
        #expect(Self.microseconds(replaced).map { $0 > 1 } == true, "\(replaced)")
        #expect(replaced.hasSuffix(" 1"))

        let proxied = try Self.client(trusting: "192.0.2.0/24")
        proxied.send(request)
        #expect(try proxied.response().bodyText == "t=1 1")
    }

    @Test func offByDefault() throws {
        let client = try MemoryConnection(app: { environ, startResponse in
            try startResponse("200 OK", [])
            return [Bytes((environ["HTTP_X_REQUEST_START"] ?? "-").utf8)]
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().bodyText == "-")
    }
}
