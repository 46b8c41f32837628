import Foundation
import Glibc
import Metrics
import MetricsTestKit
import Testing
import TestSupport
import WSGIServer

/// The server's metrics through swift-metrics' test kit (in process), and in Prometheus's format
/// over `--metrics-bind` (the real binary).
@Suite struct MetricsTests {
    static func value(_ metrics: TestMetrics, _ label: String, _ dimensions: [(String, String)] = []) -> Int64? {
        try? metrics.expectCounter(label, dimensions).totalValue
    }

    @Test func countsStatusesBytesDurationsRefusalsAndConnections() throws {
        let testMetrics = TestMetrics()
        let server = try TestServer(app: { environ, startResponse in
            let missing = environ["PATH_INFO"] == "/missing"
            try startResponse(missing ? "404 Not Found" : "200 OK", [("Content-Length", "5")])
            return [missing ? "Nope!" : "Hello"]
        }) { $0.metrics = ServerMetrics(factory: testMetrics) }
        let client = try RawClient(port: server.port)
        for _ in 0..<3 { #expect(try client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status == 200) }
        #expect(try client.exchange("GET /missing HTTP/1.1\r\nHost: h\r\n\r\n").status == 404)
        // An open connection is counted on the next sweep (a quarter of the shortest timeout).
        let connections = try testMetrics.expectMeter("wsgi_active_connections")
        #expect(eventually { connections.values.last == 1 }, "\(connections.values)")
        let refused = try RawClient(port: server.port)
        #expect(try refused.exchange("GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n").status == 400)
        let tooLong = try RawClient(port: server.port)
        #expect(try tooLong.exchange("GET /\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: h\r\n\r\n").status == 414)
        server.stop()

        // Each loop reports what is left when it stops.
        #expect(Self.value(testMetrics, "wsgi_requests_total", [("status", "2xx")]) == 3)
        #expect(Self.value(testMetrics, "wsgi_requests_total", [("status", "4xx")]) == 1)
        #expect(Self.value(testMetrics, "wsgi_requests_total", [("status", "5xx")]) == 0)
        #expect(Self.value(testMetrics, "wsgi_response_bytes_total") == 20)
        #expect(Self.value(testMetrics, "wsgi_refused_requests_total", [("reason", "malformed")]) == 1)
        #expect(Self.value(testMetrics, "wsgi_refused_requests_total", [("reason", "target_too_long")]) == 1)
        let durations = try testMetrics.expectTimer("wsgi_request_duration_seconds").values
        #expect(durations.count == 4)
        #expect(durations.allSatisfy { $0 > 0 })
        #expect(connections.values.last == 0)
        #expect(try testMetrics.expectMeter("wsgi_active_requests").values.last ?? 0 == 0)
    }

    @Test func prometheusTextOverItsOwnListener() throws {
        let metricsPort = try freeTCPPort()
        let server = try ServerProcess(["--app", "hello", "--bind", "127.0.0.1:0", "--metrics-bind", "127.0.0.1:\(metricsPort)"])
        let client = try RawClient(port: server.port)
        for _ in 0..<5 { _ = try client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n") }
        _ = try RawClient(port: server.port).exchange("GET / HTTP/1.1\r\nHost: h\r\nBad Header\r\n\r\n")
        var text = ""
        _ = try eventually {
            let response = try RawClient(port: metricsPort).exchange("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
            text = response.bodyText
            return text.contains(#"wsgi_requests_total{status="2xx"} 5"#) && text.contains(#"wsgi_refused_requests_total{reason="malformed"} 1"#)
        }
        #expect(text.contains(#"wsgi_requests_total{status="2xx"} 5"#), "\(text)")
        #expect(text.contains(#"wsgi_refused_requests_total{reason="malformed"} 1"#))
        #expect(text.contains("wsgi_response_bytes_total 25"))
        #expect(text.contains("wsgi_request_duration_seconds_count 5"))
        #expect(text.contains("# TYPE wsgi_request_duration_seconds histogram"))
        // The application's address does not serve them.
        #expect(try RawClient(port: server.port).exchange("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "Hello")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// With `--workers`, the master serves the workers' sums, each live worker's series, and its
    /// own figures; a recycled worker's counts stay in the totals.
    @Test func workersReportThroughTheirMaster() throws {
        let metricsPort = try freeTCPPort()
        let server = try ServerProcess([
            "--app", "hello", "--bind", "127.0.0.1:0", "--workers", "2", "--max-requests", "4", "--metrics-bind", "127.0.0.1:\(metricsPort)",
        ])
        for _ in 0..<10 {
            #expect(try RawClient(port: server.port).exchange("GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n").bodyText == "Hello")
        }
        var text = ""
        let settled = try eventually(timeout: 10) {
            text = try RawClient(port: metricsPort).exchange("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").bodyText
            return text.contains(#"wsgi_requests_total{status="2xx"} 10"#) && text.contains("wsgi_workers 2")
        }
        #expect(settled, "\(text)")
        #expect(text.contains("wsgi_response_bytes_total 50"), "\(text)")
        #expect(text.contains("wsgi_request_duration_seconds_count 10"), "\(text)")
        #expect(text.contains(#"wsgi_request_duration_seconds_bucket{le="+Inf"} 10"#), "\(text)")
        // 10 responses at 4 per worker: at least two workers were recycled, and their counts stayed.
        let recycled = text.split(separator: "\n").first { $0.hasPrefix(#"wsgi_worker_restarts_total{reason="max_requests"}"#) }
        #expect(recycled.flatMap { Int($0.split(separator: " ").last ?? "") }.map { $0 >= 2 } == true, "\(text)")
        #expect(text.contains(#"wsgi_listen_backlog{listener="127.0.0.1:\#(server.port)"} 0"#), "\(text)")
        #expect(text.contains(#"wsgi_listen_backlog_limit{listener="127.0.0.1:\#(server.port)"} 2048"#), "\(text)")
        let workerSeries = text.split(separator: "\n").filter { $0.hasPrefix("wsgi_worker_active_connections{worker=") }
        #expect(workerSeries.count == 2, "\(text)")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}
