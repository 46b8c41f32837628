import DemoApps
import Foundation
import Glibc
import HTTPServerCore
import Synchronization
import Testing
import TestSupport
import WSGI
import WSGIServer

/// HTTP/2 on a live listener, against real clients (`curl`, `h2load` from Debian's
/// nghttp2-client, installed by `make test`): h2c with prior knowledge, h2 by ALPN, the preface
/// refused where HTTP/2 is off, request bodies, streamed and length-checked responses, and many
/// streams at once on the loop thread and on application threads.
@Suite struct HTTP2Tests {
    static func echoServer(threads: Int = 0, configure: (inout ServerConfiguration) -> Void = { _ in }) throws -> TestServer {
        try TestServer(app: EchoApp().callAsFunction) { configuration in
            configuration.threads = threads
            configure(&configuration)
        }
    }

    static func curl(_ arguments: [String], input: String? = nil) throws -> (status: Int32?, output: String) {
        try TLSServerTests.run("/usr/bin/curl", ["-sS"] + arguments, input: input)
    }

    @Test(arguments: [0, 2])
    func curlSpeaksH2cWithPriorKnowledge(threads: Int) throws {
        let server = try Self.echoServer(threads: threads)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        let result = try Self.curl(["--http2-prior-knowledge", "\(url)/environ?a=1", "-H", "Cookie: a=1", "-H", "Cookie: b=2", "-w", "\n%{http_version} %{http_code}"])
        #expect(result.status == 0, "\(result.output)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.last == "2 200", "\(result.output)")
        let object = try JSONSerialization.jsonObject(with: Data(lines.first.map { Array($0.utf8) } ?? [])) as? [String: Any]
        let environ = object?["environ"] as? [String: String] ?? [:]
        #expect(environ["SERVER_PROTOCOL"] == "HTTP/2")
        #expect(environ["REQUEST_METHOD"] == "GET")
        #expect(environ["PATH_INFO"] == "/environ")
        #expect(environ["QUERY_STRING"] == "a=1")
        #expect(environ["HTTP_HOST"] == "127.0.0.1:\(server.port)")
        // RFC 9113 §8.2.3: cookie fields are joined with "; " for HTTP/1.1 semantics.
        #expect(environ["HTTP_COOKIE"] == "a=1; b=2")
    }

    @Test func plainHTTP11StillWorksBesideIt() throws {
        let server = try Self.echoServer()
        defer { server.stop() }
        let response = try server.client().exchange("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 201)
    }

    @Test func thePrefaceIsAnswered505WhereHTTP2IsOff() throws {
        let server = try Self.echoServer { $0.http2.mode = .off }
        defer { server.stop() }
        let client = try server.client()
        try client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 505)
        #expect(String(decoding: response.body, as: UTF8.self).contains("HTTP/2 connection preface"))
    }

    @Test func onlyModeRefusesHTTP11AndServesH2c() throws {
        let server = try Self.echoServer { $0.http2.mode = .only }
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/status/202"
        let h2 = try Self.curl(["--http2-prior-knowledge", url, "-o", "/dev/null", "-w", "%{http_version} %{http_code}"])
        #expect(h2.output == "2 202", "\(h2.output)")
        let h1 = try Self.curl(["--http1.1", url, "-o", "/dev/null", "-w", "%{http_code}"])
        #expect(h1.status != 0 || h1.output.hasSuffix("000"), "HTTP/1.1 was served: \(h1.output)")
    }

    @Test func tlsNegotiatesH2ByALPN() throws {
        let server = try TLSServerTests.server()
        defer { server.stop() }
        let url = "https://localhost:\(server.port)"
        let result = try Self.curl(["--http2", "--cacert", TLSServerTests.certificates.caFile, "\(url)/status/201", "\(url)/environ", "-w", "\n%{http_version} %{http_code} %{num_connects}\n"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("2 201 1"), "\(result.output)")
        #expect(result.output.contains("\"wsgi.url_scheme\": \"https\""), "\(result.output)")
        #expect(result.output.contains("\"SERVER_PROTOCOL\": \"HTTP/2\""), "\(result.output)")
        #expect(result.output.contains("2 200 0"), "the second request reused the connection: \(result.output)")
    }

    /// A 3 MB upload (many windows' worth: the window opens as the body is stored) and its echo.
    @Test(arguments: [0, 2])
    func aLargeUploadArrivesWhole(threads: Int) throws {
        let server = try Self.echoServer(threads: threads)
        defer { server.stop() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("h2-upload-\(UUID().uuidString)").path
        defer { unlink(path) }
        let content = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
        _ = FileManager.default.createFile(atPath: path, contents: content)
        let result = try Self.curl(["--http2-prior-knowledge", "-X", "POST", "--data-binary", "@\(path)", "http://127.0.0.1:\(server.port)/echo"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("\"body_size\": 3000000"), "\(result.output.prefix(300))")
        #expect(result.output.contains("\"CONTENT_LENGTH\": \"3000000\""), "\(result.output.prefix(300))")
    }

    /// A body streamed in many chunks (one DATA frame at least each), and an application that
    /// sends less than its Content-Length: its stream is reset, the connection goes on.
    @Test(arguments: [0, 2])
    func streamedBodiesAndShortOnes(threads: Int) throws {
        let server = try TestServer(app: { environ, startResponse in
            if environ["PATH_INFO"] == "/short" {
                try startResponse("200 OK", [("Content-Length", "10")])
                return [Bytes(utf8: "abc")]
            }
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody((0..<1000).map { Bytes(utf8: "chunk \($0)\n") })
        }, configure: { $0.threads = threads })
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)"
        let result = try Self.curl(["--http2-prior-knowledge", "\(url)/stream"])
        #expect(result.status == 0)
        #expect(result.output == (0..<1000).map { "chunk \($0)\n" }.joined())
        let short = try Self.curl(["--http2-prior-knowledge", "\(url)/short", "\(url)/stream", "-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} "])
        #expect(short.status != 0, "a truncated response must fail the client: \(short.output)")
    }

    /// Chunks larger than a frame and than the stream's window: a chunk's last bytes leave only
    /// once the client opened the window again, and the next chunk is pulled after them.
    @Test(arguments: [0, 2])
    func chunksLargerThanTheWindowKeepFlowing(threads: Int) throws {
        let server = try Self.echoServer(threads: threads)
        defer { server.stop() }
        let result = try Self.curl([
            "--http2-prior-knowledge", "http://127.0.0.1:\(server.port)/stream?n=64&size=100000", "-o", "/dev/null", "-w", "%{size_download} %{http_version}",
        ])
        #expect(result.output == "6400000 2", "\(result.output)")
    }

    /// Many connections with many concurrent streams each: every request answered.
    @Test(arguments: [0, 2])
    func h2loadFinishesWithoutErrors(threads: Int) throws {
        let server = try Self.echoServer(threads: threads)
        defer { server.stop() }
        let result = try TLSServerTests.run("/usr/bin/h2load", ["-n", "20000", "-c", "8", "-m", "16", "http://127.0.0.1:\(server.port)/status/200"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("20000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(result.output)")
        #expect(result.output.contains("status codes: 20000 2xx"), "\(result.output)")
    }

    /// `wsgi.file_wrapper` from its position, and a static mount's file, as DATA frames.
    @Test(arguments: [0, 2])
    func filesGoOutAsData(threads: Int) throws {
        let (path, content, app) = StreamingTests.fileWrapperFixture()
        defer { unlink(path) }
        let server = try TestServer(app: app, configure: { $0.threads = threads })
        defer { server.stop() }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("h2-file-\(UUID().uuidString)").path
        defer { unlink(output) }
        let result = try Self.curl(["--http2-prior-knowledge", "http://127.0.0.1:\(server.port)/", "-o", output, "-w", "%{http_version}"])
        #expect(result.output == "2", "\(result.output)")
        #expect(FileManager.default.contents(atPath: output) == Data(content[10...]))
    }

    /// A graceful stop sends GOAWAY: the stream in progress completes, then the connection closes.
    @Test func aGracefulStopLetsTheStreamInProgressFinish() throws {
        let started = Counter()
        let release = DispatchSemaphore(value: 0)
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            var sent = false
            return ResponseBody(next: {
                guard !sent else { return nil }
                sent = true
                started.increment()
                release.wait()
                return Bytes(utf8: "finished")
            })
        }, configure: { $0.threads = 1 })
        let port = server.port
        let result = Mutex<(status: Int32?, output: String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let outcome = try? Self.curl(["--http2-prior-knowledge", "http://127.0.0.1:\(port)/", "-w", " %{http_version}"])
            result.withLock { $0 = outcome }
            done.signal()
        }
        #expect(started.wait { $0 >= 1 } == 1)
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop(graceful: true)
            stopped.signal()
        }
        release.signal()
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(result.withLock { $0?.output } == "finished 2")
        #expect(stopped.wait(timeout: .now() + 10) == .success)
    }

    /// What exists for HTTP/1.1 works over HTTP/2: workers, the access log (`%(H)s` is `HTTP/2.0`,
    /// as gunicorn prints it), the JSON log's protocol, and the metrics listener's counts.
    @Test func workersAndTheAccessLogOverHTTP2() throws {
        let textLog = CommandLineTests.temporaryPath("h2.log")
        defer { unlink(textLog) }
        let server = try ServerProcess([
            "--workers", "2", "--app", "echo", "--access-logfile", textLog, "--access-logformat", "%(r)s %(s)s %(H)s", "--bind", "127.0.0.1:0",
        ])
        let url = "http://127.0.0.1:\(server.port)"
        let result = try Self.curl(["--http2-prior-knowledge", "\(url)/status/201", "-o", "/dev/null", "-w", "%{http_version} %{http_code}"])
        #expect(result.output == "2 201", "\(result.output)")
        let line = CommandLineTests.lines(of: textLog, count: 1).first
        #expect(line == "GET /status/201 HTTP/2.0 201 HTTP/2.0", "\(line ?? "no line")")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// Over a unix socket (whose peer is trusted as a proxy) and with the metrics listener: the
    /// forwarded client address reaches the environ and the streams are counted as requests.
    @Test func aUnixSocketProxyTrustAndMetricsOverHTTP2() throws {
        let path = CommandLineTests.temporaryPath("h2.sock")
        let metricsPort = try freeTCPPort()
        let server = try ServerProcess(["--app", "echo", "--bind", "unix:\(path)", "--metrics-bind", "127.0.0.1:\(metricsPort)"])
        let result = try Self.curl(["--http2-prior-knowledge", "--unix-socket", path, "http://localhost/environ", "-H", "X-Forwarded-For: 203.0.113.4"])
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any]
        let environ = object?["environ"] as? [String: String] ?? [:]
        #expect(environ["SERVER_PROTOCOL"] == "HTTP/2", "\(result.output)")
        #expect(environ["REMOTE_ADDR"] == "203.0.113.4")
        for _ in 0..<4 {
            let status = try Self.curl(["--http2-prior-knowledge", "--unix-socket", path, "http://localhost/status/201", "-o", "/dev/null", "-w", "%{http_version} %{http_code}"])
            #expect(status.output == "2 201", "\(status.output)")
        }
        var text = ""
        _ = try eventually {
            text = try RawClient(port: metricsPort).exchange("GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n").bodyText
            return text.contains(#"wsgi_requests_total{status="2xx"} 5"#)
        }
        #expect(text.contains(#"wsgi_requests_total{status="2xx"} 5"#), "\(text)")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }
}
