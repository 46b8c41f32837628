import Glibc
import Testing
import TestSupport

/// The operations flags in `swift-wsgi`: the health probe answered without the application, and a
/// drain delay that keeps a stopping server serving until a second signal (alone and in workers).
@Suite struct OperationsTests {
    @Test(arguments: [[], ["--workers", "1"]])
    func theProbeAndTheDrainDelay(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--health-check-path", "/healthz", "--drain-delay", "600"] + mode)
        let probe = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(try exchange(server, probe).bodyText == "OK\n")
        server.signal(SIGTERM)
        #expect(server.waitForLog("stopping after the drain delay"), "\(server.log)")
        #expect(try exchange(server, probe).status == 503)
        #expect(try get(server, "/").bodyText == "checks", "still serving the application")
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")
    }

    /// `--request-start-header` in the Python environ: the server's stamp, or a trusted proxy's
    /// (the test client is on loopback, which `--forwarded-allow-ips` trusts by default).
    @Test func theRequestStartStamp() throws {
        let server = try PythonFixtures.serve(["echo_app:app", "--request-start-header"])
        let stamped = try jsonObject(try get(server, "/"))["environ"] as? [String: String]
        let value = try #require(stamped?["HTTP_X_REQUEST_START"])
        #expect(value.hasPrefix("t=") && UInt64(value.dropFirst(2)).map { $0 > 1_700_000_000_000_000 } == true, "\(value)")
        let proxied = try jsonObject(try exchange(server, "GET / HTTP/1.1\r\nHost: x\r\nX-Request-Start: t=42\r\n\r\n"))["environ"] as? [String: String]
        #expect(proxied?["HTTP_X_REQUEST_START"] == "t=42")
    }
}
