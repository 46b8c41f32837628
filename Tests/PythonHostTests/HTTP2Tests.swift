import Foundation
import Glibc
import Testing
import TestSupport

/// `swift-wsgi` over HTTP/2: the check (the classic example over h2c with prior
/// knowledge), the Python environ of a stream, uploads and streamed bodies, on the loop thread and
/// on application threads, and h2 by ALPN over TLS.
@Suite struct PythonHTTP2Tests {
    static var fixtures: String { PythonFixtures.directory }

    static func curl(_ arguments: [String]) throws -> (status: Int32?, output: String) {
        try runProgram("/usr/bin/curl", ["-sS"] + arguments)
    }

    static func runProgram(_ executable: String, _ arguments: [String]) throws -> (status: Int32?, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.waitForExit(), text)
    }

    @Test func theClassicExampleAnswersIndexOverH2c() throws {
        let server = try PythonFixtures.serve(["web_application:application"])
        let result = try Self.curl(["--http2-prior-knowledge", "http://127.0.0.1:\(server.port)/", "-w", " %{http_version}"])
        #expect(result.output == "Index 2", "\(result.output) log: \(server.log)")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0, "log: \(server.log)")
    }

    @Test(arguments: [[], ["--threads", "2"]])
    func thePythonEnvironOfAStream(extra: [String]) throws {
        let server = try PythonFixtures.serve(["echo_app:app"] + extra)
        let url = "http://127.0.0.1:\(server.port)"
        let environ = try Self.curl(["--http2-prior-knowledge", "\(url)/environ?x=1", "-H", "Cookie: a=1", "-H", "Cookie: b=2"])
        let object = try JSONSerialization.jsonObject(with: Data(environ.output.utf8)) as? [String: Any]
        let values = object?["environ"] as? [String: String] ?? [:]
        #expect(values["SERVER_PROTOCOL"] == "HTTP/2", "\(environ.output)")
        #expect(values["QUERY_STRING"] == "x=1")
        #expect(values["HTTP_COOKIE"] == "a=1; b=2")
        let streamed = try Self.curl(["--http2-prior-knowledge", "\(url)/stream?n=500&size=4000", "-o", "/dev/null", "-w", "%{size_download} %{http_version}"])
        #expect(streamed.output == "2000000 2", "\(streamed.output)")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("h2-py-\(UUID().uuidString)").path
        defer { unlink(path) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(repeating: 0x61, count: 1_000_000))
        let upload = try Self.curl(["--http2-prior-knowledge", "-X", "POST", "--data-binary", "@\(path)", "\(url)/echo"])
        #expect(upload.output.contains("\"body_size\": 1000000"), "\(upload.output.prefix(300))")
        let load = try Self.runProgram("/usr/bin/h2load", ["-n", "5000", "-c", "4", "-m", "8", "\(url)/"])
        #expect(load.output.contains("5000 succeeded, 0 failed, 0 errored, 0 timeout"), "\(load.output)")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0, "log: \(server.log)")
    }

    @Test func h2ByALPNOverTLS() throws {
        let certificates = TestCertificates.shared
        let server = try PythonFixtures.serve(["echo_app:app", "--certfile", certificates.serverCertificate, "--keyfile", certificates.serverKey])
        let result = try Self.curl(["--http2", "--cacert", certificates.caFile, "https://localhost:\(server.port)/status/201", "-w", " %{http_version}"])
        #expect(result.output == "status 201\n 2", "\(result.output)")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0, "log: \(server.log)")
    }
}
