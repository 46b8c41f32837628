import Foundation
import Glibc
import HTTPServerCore
@testable import StaticContent
import Synchronization
import Testing
import TestSupport
import WSGIServer

/// The server's own static files (`--static`) over real sockets: what lies under the prefix and
/// names a file is served without the application; everything else reaches it.
@Suite final class StaticMountTests {
    let root: String
    /// The paths the application was called for.
    let applicationCalls = CallLog()
    private var servers: [TestServer] = []

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-mount-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/css", withIntermediateDirectories: true)
        try "body{}".write(toFile: root + "/css/site.css", atomically: true, encoding: .utf8)
        try "gzip bytes".write(toFile: root + "/css/site.css.gz", atomically: true, encoding: .utf8)
        try "brotli bytes".write(toFile: root + "/css/site.css.br", atomically: true, encoding: .utf8)
        try "hashed".write(toFile: root + "/css/app.0123456789ab.css", atomically: true, encoding: .utf8)
    }

    deinit {
        for server in servers { server.stop() }
        try? FileManager.default.removeItem(atPath: root)
    }

    func server(threads: Int = 0, policy: CachePolicy = CachePolicy()) throws -> TestServer {
        let calls = applicationCalls
        let mount = StaticMount(prefix: "/static/", directory: try StaticDirectory(root: root, cachePolicy: policy))
        let server = try TestServer(app: { environ, startResponse in
            calls.append(environ["PATH_INFO"] ?? "")
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ["application"]
        }, configure: { configuration in
            configuration.staticMounts = [mount]
            configuration.threads = threads
        })
        servers.append(server)
        return server
    }

    @Test(arguments: [0, 2])
    func filesUnderThePrefixAreServedAndTheRestReachesTheApplication(threads: Int) throws {
        let server = try server(threads: threads)
        let client = try server.client()
        // One connection: the server's answers and the application's alternate on it.
        for (path, body) in [
            ("/static/css/site.css", "body{}"), ("/static/css/site.css?v=3", "body{}"), ("/static/css/missing.css", "application"),
            ("/staticcss/site.css", "application"), ("/css/site.css", "application"), ("/static/css/site%2Ecss", "body{}"),
            ("/static", "application"),
        ] {
            try client.send("GET \(path) HTTP/1.1\r\nHost: h\r\n\r\n")
            #expect(try client.readResponse().bodyText == body, "\(path)")
        }
        #expect(applicationCalls.entries == ["/static/css/missing.css", "/staticcss/site.css", "/css/site.css", "/static"])
    }

    @Test func precompressedSiblingsGoToClientsThatAcceptThem() throws {
        let server = try server()
        func get(_ acceptEncoding: String?) throws -> HTTPResponse {
            let field = acceptEncoding.map { "Accept-Encoding: \($0)\r\n" } ?? ""
            return try server.request("GET /static/css/site.css HTTP/1.1\r\nHost: h\r\n\(field)\r\n")
        }
        for (accepted, body, coding) in [
            (nil, "body{}", nil), ("gzip, deflate, br", "brotli bytes", "br"), ("gzip", "gzip bytes", "gzip"),
            ("br;q=0, gzip;q=0.5", "gzip bytes", "gzip"), ("*", "brotli bytes", "br"), ("identity", "body{}", nil),
            ("br;q=0, gzip;q=0", "body{}", nil), ("X-GZIP", "gzip bytes", "gzip"),
        ] as [(String?, String, String?)] {
            let response = try get(accepted)
            #expect(response.bodyText == body, "\(accepted ?? "none")")
            #expect(response.header("Content-Encoding") == coding, "\(accepted ?? "none")")
            #expect(response.header("Vary") == "Accept-Encoding")
            #expect(response.header("Content-Type") == "text/css; charset=utf-8")
        }
        #expect(try get("br").header("ETag") != get(nil).header("ETag"), "each coding has its own validator")
    }

    @Test func hashedNamesAreImmutableAndOthersCachedBriefly() throws {
        let server = try server()
        #expect(try server.request("GET /static/css/app.0123456789ab.css HTTP/1.1\r\nHost: h\r\n\r\n").header("Cache-Control") == "public, max-age=31536000, immutable")
        #expect(try server.request("GET /static/css/site.css HTTP/1.1\r\nHost: h\r\n\r\n").header("Cache-Control") == "public, max-age=60")
        let custom = try self.server(policy: CachePolicy(maxAge: nil, immutable: try PathPattern("^/css/")))
        #expect(try custom.request("GET /static/css/site.css HTTP/1.1\r\nHost: h\r\n\r\n").header("Cache-Control") == "public, max-age=31536000, immutable")
        let none = try self.server(policy: CachePolicy(maxAge: nil, immutable: nil))
        #expect(try none.request("GET /static/css/app.0123456789ab.css HTTP/1.1\r\nHost: h\r\n\r\n").header("Cache-Control") == nil)
    }
}

/// The rules of ``StaticDirectory`` that need no socket.
struct StaticContentTests {
    private func accepts(_ field: String, _ coding: String) -> Bool { AcceptEncoding(field).accepts(coding) }

    @Test func acceptEncodingWeights() {
        #expect(accepts("gzip;q=0.001", "gzip"))
        #expect(!accepts("gzip;q=0", "gzip"))
        #expect(!accepts("*;q=0, br", "gzip"))
        #expect(accepts(" BR ; q=1 ", "br"))
        #expect(!accepts("", "br"))
    }

    @Test func aPatternThatIsNotOneIsRefusedWithItsReason() {
        #expect(throws: StaticContentError.self) { try PathPattern("a(") }
        #expect(throws: StaticContentError.self) { try StaticDirectory(root: "/nonexistent-\(UUID())") }
        #expect(throws: StaticContentError.self) { try StaticDirectory(root: "/etc/hostname") }
    }
}

/// What an application was called with, in order, from any thread.
final class CallLog: Sendable {
    private let calls = Mutex<[String]>([])
    func append(_ call: String) { calls.withLock { $0.append(call) } }
    var entries: [String] { calls.withLock { $0 } }
}
