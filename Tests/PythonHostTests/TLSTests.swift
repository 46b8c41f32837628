import Foundation
import Glibc
import Testing
import TestSupport
import TLS

/// `swift-wsgi` over TLS, as gunicorn's users configure it (flags and a config file): the Python
/// gateway's environ, the inline `write()` path and application threads over TLS, a client
/// certificate's subject, and SIGHUP loading a rotated certificate.
@Suite struct PythonTLSTests {
    static let certificates = TestCertificates.shared
    static var fixtures: String { PythonFixtures.directory }
    static var tlsFlags: [String] { ["--certfile", certificates.serverCertificate, "--keyfile", certificates.serverKey] }

    static func client(_ server: ServerProcess, certificate: Bool = false) throws -> TLSClient {
        let context = try TLSContext.client(
            trusting: certificates.caFile,
            certificateFile: certificate ? certificates.clientCertificate : nil, keyFile: certificate ? certificates.clientKey : nil
        )
        return try TLSClient(port: server.port, context: context)
    }

    static func environ(_ response: HTTPResponse) throws -> [String: String] {
        try jsonObject(response)["environ"] as? [String: String] ?? [:]
    }

    @Test(arguments: [[], ["--threads", "2"]])
    func thePythonEnvironSaysHTTPS(extra: [String]) throws {
        let server = try ServerProcess(["--chdir", Self.fixtures, "echo_app:app", "--bind", "127.0.0.1:0"] + Self.tlsFlags + extra, binary: "swift-wsgi", captureLog: true)
        #expect(server.listeningLine.hasPrefix("Listening on https://127.0.0.1:"))
        let client = try Self.client(server)
        let environ = try Self.environ(try client.exchange("GET /environ HTTP/1.1\r\nHost: localhost\r\n\r\n"))
        #expect(environ["wsgi.url_scheme"] == "https")
        #expect(environ["HTTPS"] == "on")
        #expect(environ["SSL_PROTOCOL"] == "TLSv1.3")
        // A streamed body and an upload on the same connection.
        #expect(try client.exchange("GET /stream?n=500&size=4000 HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 30).body.count == 2_000_000)
        let upload = String(repeating: "a", count: 1_000_000)
        let echoed = try jsonObject(try client.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + upload, timeout: 30))
        #expect(echoed["body_size"] as? Int == 1_000_000)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0, "log: \(server.log)")
    }

    /// Python's own `ssl` module as the client (another TLS stack than the server's): verifies the
    /// server against the test CA and presents the client certificate.
    @Test func pythonsSSLModuleTalksToIt() throws {
        let server = try ServerProcess(
            ["--chdir", Self.fixtures, "echo_app:app", "--bind", "127.0.0.1:0", "--ca-certs", Self.certificates.caFile, "--cert-reqs", "1"] + Self.tlsFlags,
            binary: "swift-wsgi", captureLog: true
        )
        let script = """
        import http.client, json, ssl, sys
        context = ssl.create_default_context(cafile=sys.argv[2])
        context.load_cert_chain(sys.argv[3], sys.argv[4])
        connection = http.client.HTTPSConnection("localhost", int(sys.argv[1]), context=context)
        for path in ("/environ", "/stream?n=100&size=1000"):
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            print(response.status, len(body), json.loads(body)["environ"].get("SSL_CLIENT_S_DN") if path == "/environ" else "")
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PythonFixtures.venv + "/bin/python")
        process.arguments = ["-c", script, String(server.port), Self.certificates.caFile, Self.certificates.clientCertificate, Self.certificates.clientKey]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.waitForExit() == 0, "\(text)")
        let lines = text.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 2).map(String.init) }
        #expect(lines.count == 2, "\(text)")
        #expect(lines.first?.first == "200" && lines.first?.last == "O=Example,CN=client one", "\(text)")
        #expect(lines.last == ["200", "100000", ""] || lines.last == ["200", "100000"], "\(text)")
    }

    /// `write()` over TLS: each block is encrypted and on its way before `write()` returns (the
    /// application then waits, and the client has the block), large writes arrive whole, and a
    /// client that goes away in the middle of one costs that response only.
    @Test(arguments: [[], ["--threads", "2"]])
    func writeGoesThroughTLS(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--log-level", "debug"] + Self.tlsFlags + mode)
        let mark = temporaryPath("mark")
        defer { unlink(mark) }
        let waiting = try Self.client(server)
        try waiting.send("GET /write-then-wait?mark=\(mark) HTTP/1.1\r\nHost: x\r\n\r\n")
        try waiting.receive(until: "\r\n1\r\nx\r\n", timeout: 10)
        #expect(!marked(mark), "the application is still waiting")
        #expect(creat(mark, 0o600) >= 0)
        #expect(try waiting.readResponse(timeout: 10).bodyText == "xy")

        let big = try Self.client(server)
        do {
            #expect(try big.exchange("GET /write-big?n=64 HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 30).body.count == 64 * 65536)
        } catch {
            Issue.record("\(error); the server's threads: \(ServerProcess.threads(of: server.process.processIdentifier)); log: \(server.log)")
        }

        let gone = try Self.client(server)
        try gone.send("GET /write-big?n=1&size=\(256 << 20) HTTP/1.1\r\nHost: x\r\n\r\n")
        try gone.receive(until: "\r\n\r\n", timeout: 10)
        gone.raw.reset()
        #expect(try Self.client(server).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 10).bodyText == "checks")
    }

    /// `make_server(..., certfile=, keyfile=)` from Python, with the process's own `ssl` module
    /// (another OpenSSL than the wheel's) as the client in the same interpreter.
    @Test func makeServerTakesTheTLSOptions() throws {
        let script = """
        import ssl, sys, threading, urllib.request
        from swift_wsgi import make_server
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [environ["wsgi.url_scheme"].encode(), b" ", environ.get("HTTPS", "-").encode()]
        server = make_server("127.0.0.1", 0, app, certfile=sys.argv[1], keyfile=sys.argv[2])
        threading.Thread(target=server.serve_forever, daemon=True).start()
        context = ssl.create_default_context(cafile=sys.argv[3])
        url = f"https://localhost:{server.server_address[1]}/"
        print(urllib.request.urlopen(url, context=context).read().decode())
        server.shutdown()
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PythonFixtures.venv + "/bin/python")
        process.arguments = ["-c", script, Self.certificates.serverCertificate, Self.certificates.serverKey, Self.certificates.caFile]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.waitForExit() == 0)
        #expect(text == "https on\n", "\(text)")
    }

    @Test func aConfigFileTurnsOnMutualTLS() throws {
        let config = temporaryPath("tls.conf.py")
        try """
        certfile = "\(Self.certificates.serverCertificate)"
        keyfile = "\(Self.certificates.serverKey)"
        ca_certs = "\(Self.certificates.caFile)"
        cert_reqs = 2
        """.write(toFile: config, atomically: true, encoding: .utf8)
        defer { unlink(config) }
        let server = try ServerProcess(["-c", config, "--chdir", Self.fixtures, "echo_app:app", "--bind", "127.0.0.1:0"], binary: "swift-wsgi", captureLog: true)
        let environ = try Self.environ(try Self.client(server, certificate: true).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(environ["SSL_CLIENT_S_DN"] == "O=Example,CN=client one")
        #expect(environ["SSL_CLIENT_VERIFY"] == "SUCCESS")
        // Without a certificate: refused, and logged.
        #expect(throws: (any Error).self) { try Self.client(server).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(server.waitForLog("TLS handshake failed"))
        #expect(!server.log.contains("BEGIN"), "no key or certificate text in the log")
    }

    @Test func sighupLoadsARotatedCertificate() throws {
        let directory = temporaryPath("rotation")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (certificate, key) = (directory + "/cert.pem", directory + "/key.pem")
        try FileManager.default.copyItem(atPath: Self.certificates.serverCertificate, toPath: certificate)
        try FileManager.default.copyItem(atPath: Self.certificates.serverKey, toPath: key)
        let server = try ServerProcess(
            ["--chdir", Self.fixtures, "echo_app:app", "--bind", "127.0.0.1:0", "--certfile", certificate, "--keyfile", key],
            binary: "swift-wsgi", captureLog: true
        )
        let open = try Self.client(server)
        #expect(open.session.verifiedPeerSubject == "CN=localhost")
        try FileManager.default.removeItem(atPath: certificate)
        try FileManager.default.removeItem(atPath: key)
        try FileManager.default.copyItem(atPath: Self.certificates.rotatedCertificate, toPath: certificate)
        try FileManager.default.copyItem(atPath: Self.certificates.rotatedKey, toPath: key)
        server.signal(SIGHUP)
        #expect(server.waitForLog("TLS certificate reloaded"), "log: \(server.log)")
        #expect(try Self.client(server).session.verifiedPeerSubject == "O=rotated,CN=localhost")
        #expect(try open.exchange("GET /status/202 HTTP/1.1\r\nHost: x\r\n\r\n").status == 202)
    }

    @Test func clientVerificationWithoutCAsIsRefusedAtStart() throws {
        let (status, errors) = try PythonFixtures.run(["--cert-reqs", "2", "--certfile", Self.certificates.serverCertificate, "echo_app:app"])
        #expect(status == 2)
        #expect(errors.contains("--ca-certs"), "\(errors)")
    }
}
