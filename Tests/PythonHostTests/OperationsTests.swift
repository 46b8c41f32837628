import Foundation
import Glibc
import Testing
import TestSupport

/// The operations flags in `swift-wsgi`: the health probe answered without the application, a
/// drain delay that keeps a stopping server serving until a second signal (alone and in workers),
/// static files served by the server.
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

    /// `--static` (in a config file here; a flag replaces the file's list, as `--bind` does): a
    /// file under a prefix comes from the server (the echo application would answer JSON), a miss
    /// reaches the application; a directory that cannot be served stops the command with its
    /// reason.
    @Test(arguments: [[], ["--workers", "1"]])
    func staticFiles(mode: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-static-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory + "/css", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "body{}".write(toFile: directory + "/css/site.css", atomically: true, encoding: .utf8)
        let config = directory + "/gunicorn.conf.py"
        try "static = ['/static=\(directory)', '/assets=\(directory)/css']\nstatic_max_age = 5\n".write(toFile: config, atomically: true, encoding: .utf8)

        let server = try PythonFixtures.serve(["echo_app:app", "-c", config] + mode)
        let file = try get(server, "/static/css/site.css")
        #expect(file.bodyText == "body{}")
        #expect(file.header("Content-Type") == "text/css; charset=utf-8")
        #expect(file.header("Cache-Control") == "public, max-age=5")
        #expect(try get(server, "/assets/site.css").bodyText == "body{}", "the second mount")
        #expect(try jsonObject(try get(server, "/static/css/missing.css"))["environ"] != nil, "a miss reaches the application")

        let refused = try PythonFixtures.run(["echo_app:app", "--static", "/static=\(directory)/missing"] + mode)
        #expect(refused.status != 0 && refused.status != nil)
        #expect(refused.errors.contains("cannot serve \(directory)/missing as static files"), "\(refused.errors)")
    }

    /// `--max-worker-memory`: a worker that leaks past the limit is replaced (its figure in the
    /// log) and the replacement serves; the leaking one drained, nothing was refused.
    @Test func aWorkerOverItsMemoryLimitIsReplaced() throws {
        let server = try PythonFixtures.serve(["leaky_app", "--workers", "1", "--max-worker-memory", "150"])
        let first = try get(server, "/").bodyText
        #expect(try get(server, "/leak?mb=200").status == 200)
        #expect(server.waitForLog("worker over its memory limit; replacing it"), "\(server.log)")
        #expect(server.log.contains("pid=\(first)"), "\(server.log)")
        #expect(server.waitForLog("worker retired"), "\(server.log)")
        let next = try get(server, "/").bodyText
        #expect(next != first && Int(next) != nil, "\(server.log)")
    }

    /// `--max-worker-lifetime`: workers are replaced when they reach it, one at a time (a worker
    /// retiring for its age has exited before the next one goes), and requests keep being served.
    @Test func workersPastTheirLifetimeAreReplacedOneAtATime() throws {
        let server = try PythonFixtures.serve(["leaky_app", "--workers", "2", "--max-worker-lifetime", "1"])
        #expect(server.waitForLog("worker reached its lifetime", count: 4, timeout: 30), "\(server.log)")
        #expect(Int(try get(server, "/").bodyText) != nil)
        // Between two lifetime replacements, the first's worker retired.
        let lines = server.log.split(separator: "\n").filter { $0.contains("worker reached its lifetime") || $0.contains("worker retired") }
        let order = lines.map { $0.contains("reached") ? "R" : "X" }.joined()
        #expect(!order.contains("RR"), "\(order)\n\(server.log)")
    }
}
