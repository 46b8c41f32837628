import Foundation
import Testing
import TestSupport

/// `--forwarded-allow-ips` from outside, against both echo applications: a trusted proxy's
/// forwarding headers name the client and scheme; anyone else's change nothing.
@Suite struct ProxyHeadersTests {
    static let forwardedRequest = "GET / HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 198.51.100.20, 203.0.113.9\r\nX-Forwarded-Proto: https\r\n\r\n"

    static func environ(_ server: ServerProcess, _ request: String) throws -> [String: String] {
        try EchoContractTests.environ(EchoContractTests.json(EchoContractTests.exchange(server, request)))
    }

    @Test(arguments: EchoServer.allCases) func aTrustedProxyNamesTheClientAndScheme(_ echo: EchoServer) throws {
        // The default list is the loopback addresses, which the test connects from.
        let server = try echo.start()
        var environ = try Self.environ(server, Self.forwardedRequest)
        #expect(environ["REMOTE_ADDR"] == "203.0.113.9")
        #expect(environ["wsgi.url_scheme"] == "https")
        #expect(environ["HTTP_X_FORWARDED_FOR"] == "198.51.100.20, 203.0.113.9")
        // The next request on a new connection, without the headers, is the socket's again.
        environ = try Self.environ(server, "GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(environ["REMOTE_ADDR"] == "127.0.0.1")
        #expect(environ["wsgi.url_scheme"] == "http")
        environ = try Self.environ(server, "GET / HTTP/1.1\r\nHost: h\r\nForwarded: for=\"[2001:db8::7]:80\";proto=https\r\n\r\n")
        #expect(environ["REMOTE_ADDR"] == "2001:db8::7")
        #expect(environ["wsgi.url_scheme"] == "https")
    }

    @Test(arguments: EchoServer.allCases) func keepAliveRequestsEachHaveTheirOwn(_ echo: EchoServer) throws {
        let server = try echo.start()
        let client = try RawClient(port: server.port)
        try client.send(Self.forwardedRequest)
        var environ = try EchoContractTests.environ(EchoContractTests.json(client.readResponse()))
        #expect(environ["REMOTE_ADDR"] == "203.0.113.9")
        try client.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n")
        environ = try EchoContractTests.environ(EchoContractTests.json(client.readResponse()))
        #expect(environ["REMOTE_ADDR"] == "127.0.0.1")
        #expect(environ["wsgi.url_scheme"] == "http")
    }

    @Test(arguments: EchoServer.allCases) func anUntrustedPeerChangesNothing(_ echo: EchoServer) throws {
        let server = try echo.start(["--forwarded-allow-ips", "192.0.2.1,10.0.0.0/8"])
        let environ = try Self.environ(server, Self.forwardedRequest)
        #expect(environ["REMOTE_ADDR"] == "127.0.0.1")
        #expect(environ["wsgi.url_scheme"] == "http")
    }

    @Test func aBadListIsAUsageError() throws {
        let result = try PythonFixtures.run(["echo_app:app", "--forwarded-allow-ips", "127.0.0.1,localhost"])
        #expect(result.status == 2)
        #expect(result.errors.contains("forwarded-allow-ips"))
    }
}
