import Glibc
import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// `--health-check-path`: the server answers its load balancer itself (no application call, no
/// access log line), 200 while it serves and 503 once a stop with a drain delay began; every other
/// request, and other methods on that path, reach the application.
@Suite struct HealthCheckTests {
    static func client(calls: Counter, log descriptor: Int32) throws -> MemoryConnection {
        try MemoryConnection(app: { environ, startResponse in
            calls.increment()
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return [Bytes("app \(environ["REQUEST_METHOD"] ?? "")".utf8)]
        }) { configuration in
            configuration.healthCheck = HealthCheck(path: "/healthz")
            configuration.accessLog = AccessLog(destination: .descriptor(descriptor))
        }
    }

    @Test func theProbeIsAnsweredByTheServerAndTheRestByTheApplication() throws {
        let ends = try AccessLogFlushTests.logPipe()
        defer { AccessLogFlushTests.close(ends) }
        let calls = Counter()
        let client = try Self.client(calls: calls, log: ends[1])
        var responses: [HTTPResponse] = []
        for request in ["GET /healthz", "HEAD /healthz?from=lb", "POST /healthz", "GET /healthz/deeper"] {
            client.send("\(request) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            responses += try client.responses(head: request.hasPrefix("HEAD"))
        }
        #expect(responses.map(\.status) == [200, 200, 200, 200])
        #expect(responses[0].bodyText == "OK\n")
        #expect(responses[0].header("Cache-Control") == "no-store")
        #expect(responses[1].body.isEmpty)
        #expect(responses[2].bodyText == "app POST")
        #expect(responses[3].bodyText == "app GET")
        #expect(calls.count == 2, "only the requests that are not the probe reach the application")
        client.context.accessLog?.flush()
        let lines = AccessLogFlushTests.read(ends[0]).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(!lines.contains { $0.contains("GET /healthz ") || $0.contains("HEAD /healthz") })
    }

    @Test func aFailingProbeAnswers503() throws {
        let calls = Counter()
        let probe = HealthCheck(path: "/healthz")
        let client = try MemoryConnection(app: { _, startResponse in
            calls.increment()
            try startResponse("200 OK", [])
            return ["app"]
        }) { $0.healthCheck = probe }
        #expect(probe.startFailing())
        #expect(!probe.startFailing(), "turned once")
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = try client.responses()
        #expect(responses.map(\.status) == [503, 200])
        #expect(responses[0].bodyText == "draining\n")
        #expect(calls.count == 1)
    }
}
