import Glibc
import HTTPServerCore
import Testing
import TestSupport
import WSGIServer

/// `--drain-delay` with `--health-check-path`: a graceful stop first keeps serving (new connections
/// included) while the probe answers 503, so that a load balancer stops routing here before the
/// server stops accepting; a second, immediate stop ends the delay.
@Suite struct DrainDelayTests {
    @Test func aGracefulStopKeepsServingWhileTheProbeFails() throws {
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [])
            return ["app"]
        }, configure: { configuration in
            configuration.healthCheck = HealthCheck(path: "/healthz")
            // Longer than the test: it ends with an immediate stop.
            configuration.drainDelay = .seconds(600)
        })
        let probe = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(try server.request(probe).status == 200)
        let open = try server.client()
        server.server.shutdown(graceful: true)
        #expect(try server.request(probe).status == 503)
        #expect(try server.request(probe).bodyText == "draining\n")
        #expect(try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "app", "new connections are served")
        #expect(try open.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").header("Connection") == nil, "kept alive: not draining yet")
        #expect(server.server.state == .running)
        server.stop()
    }

    @Test func theDemoTakesTheFlagsAndASecondSignalStopsAtOnce() throws {
        let demo = try ServerProcess(["--bind", "127.0.0.1:0", "--health-check-path", "/healthz", "--drain-delay", "600"], captureLog: true)
        let probe = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        #expect(try RawClient(port: demo.port).exchange(probe).status == 200)
        demo.signal(SIGTERM)
        #expect(demo.waitForLog("stopping after the drain delay"), "\(demo.log)")
        #expect(try RawClient(port: demo.port).exchange(probe).status == 503)
        #expect(try RawClient(port: demo.port).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "Index")
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0, "\(demo.log)")
    }
}
