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
}
