import Foundation
import Glibc
import HTTPServerCore
import Synchronization
import Testing
import TestSupport
import TLS
import WSGI
import WSGIServer
import DemoApps

/// TLS on a live listener (a server in this process, port 0), against the test client on the
/// server's own TLS module: requests and environ, large bodies both ways, pipelining, mutual TLS,
/// and the input that must cost one connection only (plain HTTP, a garbage hello, a handshake that
/// never ends).
@Suite struct TLSServerTests {
    static let certificates = TestCertificates.shared

    /// The echo application over TLS; `configure` adds to the TLS settings.
    static func server(
        clientCertificates: TLSServerSettings.ClientCertificates = .none, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> TestServer {
        try TestServer(app: EchoApp().callAsFunction) { configuration in
            configuration.tls = TLSServerSettings(
                certificateFile: certificates.serverCertificate, keyFile: certificates.serverKey,
                caFile: clientCertificates == .none ? nil : certificates.caFile, clientCertificates: clientCertificates
            )
            configure(&configuration)
        }
    }

    static func client(port: Int, certificate: Bool = false) throws -> TLSClient {
        let context = try TLSContext.client(
            trusting: certificates.caFile,
            certificateFile: certificate ? certificates.clientCertificate : nil, keyFile: certificate ? certificates.clientKey : nil
        )
        return try TLSClient(port: port, context: context)
    }

    static func environ(_ response: HTTPResponse) throws -> [String: String] {
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return object?["environ"] as? [String: String] ?? [:]
    }

    @Test func aRequestOverTLSSeesHTTPSInItsEnviron() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        #expect(client.session.negotiatedProtocol == "http/1.1")
        let response = try client.exchange("GET /environ HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(response.status == 200)
        let environ = try Self.environ(response)
        #expect(environ["wsgi.url_scheme"] == "https")
        #expect(environ["HTTPS"] == "on")
        #expect(environ["SSL_PROTOCOL"] == "TLSv1.3")
        #expect(environ["SSL_CLIENT_VERIFY"] == "NONE")
        #expect(environ["SSL_CLIENT_S_DN"] == nil)
        #expect(environ["SSL_CIPHER"]?.isEmpty == false)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        try client.send((1...20).map { "GET /status/\(200 + $0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for index in 1...20 {
            #expect(try client.readResponse().status == 200 + index)
        }
    }

    @Test func largeBodiesCrossBothWays() throws {
        let server = try Self.server()
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        // 8 MB down, streamed in 4,000-byte chunks without Content-Length.
        let download = try client.exchange("GET /stream?n=2000&size=4000 HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 30)
        #expect(download.body.count == 8_000_000)
        #expect(download.body.allSatisfy { $0 == UInt8(ascii: "x") })
        // 3 MB up on the same connection, read whole by the application.
        let upload = String(repeating: "0123456789", count: 300_000)
        let response = try client.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: \(upload.utf8.count)\r\n\r\n" + upload, timeout: 30)
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(object?["body_size"] as? Int == 3_000_000)
    }

    @Test func plainHTTPOnATLSPortGetsA400InPlainHTTP() throws {
        let server = try Self.server()
        defer { server.stop() }
        let plain = try server.client()
        try plain.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try plain.readResponse()
        #expect(response.status == 400)
        #expect(response.bodyText.contains("TLS port"))
        #expect(plain.isClosedByPeer())
        // The listener serves TLS as before.
        #expect(try Self.client(port: server.port).exchange("GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\n").status == 204)
    }

    @Test func aGarbageHelloClosesThatConnectionOnly() throws {
        let server = try Self.server()
        defer { server.stop() }
        let garbage = try server.client()
        // A handshake record header announcing a hello, then bytes that are none.
        try garbage.send([0x16, 0x03, 0x01, 0x00, 0x20] + [UInt8](repeating: 0xAB, count: 32))
        #expect(garbage.isClosedByPeer())
        #expect(try Self.client(port: server.port).exchange("GET /status/201 HTTP/1.1\r\nHost: x\r\n\r\n").status == 201)
    }

    @Test func aHandshakeThatNeverEndsIsCutByTheHeaderTimeout() throws {
        let server = try Self.server { $0.timeouts.headerRead = .milliseconds(200) }
        defer { server.stop() }
        let silent = try server.client()
        try silent.send([0x16, 0x03, 0x01])
        // Closed by the sweep (the bound here is only how long the test waits for it).
        #expect(silent.isClosedByPeer(timeout: 10))
    }

    @Test func mutualTLSGivesTheClientSubjectAndRefusesAClientWithoutACertificate() throws {
        let server = try Self.server(clientCertificates: .required)
        defer { server.stop() }
        let client = try Self.client(port: server.port, certificate: true)
        let environ = try Self.environ(try client.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(environ["SSL_CLIENT_VERIFY"] == "SUCCESS")
        #expect(environ["SSL_CLIENT_S_DN"] == "O=Example,CN=client one")
        // TLS 1.3: the client finishes first; the server's refusal arrives as an alert after.
        let anonymous = try Self.client(port: server.port)
        #expect(throws: (any Error).self) {
            try anonymous.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        }
    }

    @Test func anOptionalClientCertificateMayBeLeftOut() throws {
        let server = try Self.server(clientCertificates: .optional)
        defer { server.stop() }
        let environ = try Self.environ(try Self.client(port: server.port).exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        #expect(environ["SSL_CLIENT_VERIFY"] == "NONE")
    }

    @Test func aReloadServesTheNewCertificateToNewConnections() throws {
        var settings = TLSServerSettings(certificateFile: "", keyFile: "")
        let directory = NSTemporaryDirectory() + "swift-wsgi-rotation-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        settings.certificateFile = directory + "/cert.pem"
        settings.keyFile = directory + "/key.pem"
        try FileManager.default.copyItem(atPath: Self.certificates.serverCertificate, toPath: settings.certificateFile)
        try FileManager.default.copyItem(atPath: Self.certificates.serverKey, toPath: settings.keyFile)
        let server = try TestServer(app: EchoApp().callAsFunction) { $0.tls = settings }
        defer { server.stop() }
        let before = try Self.client(port: server.port)
        #expect(before.session.verifiedPeerSubject == "CN=localhost")

        // A broken file keeps the certificate in force.
        try "not a certificate".write(toFile: settings.certificateFile, atomically: true, encoding: .utf8)
        #expect(!server.server.reloadTLS())
        #expect(try Self.client(port: server.port).session.verifiedPeerSubject == "CN=localhost")

        // The rotated pair: new connections get it; the open one goes on.
        try FileManager.default.removeItem(atPath: settings.certificateFile)
        try FileManager.default.removeItem(atPath: settings.keyFile)
        try FileManager.default.copyItem(atPath: Self.certificates.rotatedCertificate, toPath: settings.certificateFile)
        try FileManager.default.copyItem(atPath: Self.certificates.rotatedKey, toPath: settings.keyFile)
        #expect(server.server.reloadTLS())
        #expect(try Self.client(port: server.port).session.verifiedPeerSubject == "O=rotated,CN=localhost")
        #expect(try before.exchange("GET /status/202 HTTP/1.1\r\nHost: x\r\n\r\n").status == 202)
    }

    /// With the application on the loop thread (0) or on pool threads (2).
    @Test(arguments: [0, 2])
    func aFileWrapperGoesThroughTLSFromItsPosition(threads: Int) throws {
        let (path, content, app) = StreamingTests.fileWrapperFixture()
        defer { unlink(path) }
        let server = try TestServer(app: app, configure: { configuration in
            configuration.threads = threads
            configuration.tls = TLSServerSettings(certificateFile: Self.certificates.serverCertificate, keyFile: Self.certificates.serverKey)
        })
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        for _ in 0..<2 {
            let response = try client.exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.header("Content-Length") == String(content.count - 10))
            #expect(response.body == Array(content[10...]))
        }
    }

    /// Backpressure through TLS: at every pull of a 64 MiB body, the application is ahead of what
    /// the client has decrypted by at most the sockets' buffers and the one slice the transport
    /// holds. The client reads at its own pace, without pauses; without backpressure the loop
    /// would pull the whole body in its first turn.
    @Test func theBodyIsPulledNoFasterThanTheClientReads() throws {
        let chunkSize = 16 * 1024
        let chunks = 4096
        let received = Mutex(0)
        let maxAhead = Mutex(0)
        let pulled = Mutex(0)
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", String(chunks * chunkSize))])
            let chunk = Bytes([UInt8](repeating: UInt8(ascii: "x"), count: chunkSize))
            return ResponseBody(next: {
                let count = pulled.withLock { count -> Int in
                    count += 1
                    return count
                }
                guard count <= chunks else { return nil }
                let ahead = count * chunkSize - received.withLock { $0 }
                maxAhead.withLock { $0 = max($0, ahead) }
                return chunk
            })
        }, configure: { configuration in
            configuration.tls = TLSServerSettings(certificateFile: Self.certificates.serverCertificate, keyFile: Self.certificates.serverKey)
        })
        defer { server.stop() }
        let client = try Self.client(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        var total = 0
        while total < chunks * chunkSize {
            total += try client.discardSome(timeout: 30)
            received.withLock { $0 = total }
        }
        // Loopback sockets buffer a few MiB each way at most.
        #expect(maxAhead.withLock { $0 } < 16 << 20, "the application ran \(maxAhead.withLock { $0 } >> 20) MiB ahead of the client")
    }

    /// Other TLS stacks as clients: curl (HTTP/1.1 keep-alive over one connection) and
    /// `openssl s_client` (verification, ALPN, SNI), both installed by `make test`.
    @Test func curlAndOpenSSLsClientTalkToIt() throws {
        let server = try Self.server()
        defer { server.stop() }
        let url = "https://localhost:\(server.port)"
        let curl = try Self.run("/usr/bin/curl", ["-sS", "--cacert", Self.certificates.caFile, "\(url)/status/201", "\(url)/status/202", "-w", " %{http_code} %{num_connects}\n"])
        #expect(curl.status == 0, "\(curl.output)")
        #expect(curl.output == "status 201\n 201 1\nstatus 202\n 202 0\n", "one connection for both: \(curl.output)")
        let sClient = try Self.run("/usr/bin/openssl", [
            "s_client", "-connect", "127.0.0.1:\(server.port)", "-servername", "localhost", "-alpn", "http/1.1",
            "-CAfile", Self.certificates.caFile, "-verify_return_error", "-ign_eof",
        ], input: "GET /status/203 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        #expect(sClient.status == 0, "\(sClient.output)")
        #expect(sClient.output.contains("Verify return code: 0 (ok)"), "\(sClient.output)")
        #expect(sClient.output.contains("ALPN protocol: http/1.1"), "\(sClient.output)")
        #expect(sClient.output.contains("HTTP/1.1 203"), "\(sClient.output)")
    }

    static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> (status: Int32?, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let standardInput = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = standardInput
        try process.run()
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.waitForExit(), text)
    }

    @Test func aMissingKeyFileFailsTheServerWithTheFileNamed() throws {
        #expect {
            _ = try TestServer(app: EchoApp().callAsFunction) {
                $0.tls = TLSServerSettings(certificateFile: Self.certificates.serverCertificate, keyFile: "/nonexistent/key.pem")
            }
        } throws: { error in
            "\(error)".contains("/nonexistent/key.pem")
        }
    }
}
