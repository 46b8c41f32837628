import Foundation
import Glibc
import HTTPServerCore
import StaticContent
import StaticFiles
import Testing
import TestSupport
import WSGIServer

/// Static files over real sockets, served both ways: by the `StaticFiles` WSGI application and by
/// the server's own mount (`--static`), whose misses go to an application answering 404:
/// validators, ranges, HEAD, directories, and nothing outside the root.
@Suite final class StaticFilesTests {
    let root: String
    let outside: String
    static let content = "0123456789abcdefghij"

    enum Serving: CaseIterable, CustomStringConvertible {
        case application
        case serverMount
        var description: String { self == .application ? "the StaticFiles application" : "the server's mount" }
    }

    /// The application calls of the serving at hand (a mount's misses).
    let applicationCalls = Counter()
    private var servers: [TestServer] = []

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-static-\(UUID().uuidString.prefix(8))").path
        root = base + "/site"
        outside = base + "/secret.txt"
        try FileManager.default.createDirectory(atPath: root + "/docs", withIntermediateDirectories: true)
        try Self.content.write(toFile: root + "/file.txt", atomically: true, encoding: .utf8)
        try "<h1>docs</h1>".write(toFile: root + "/docs/index.html", atomically: true, encoding: .utf8)
        try "top secret".write(toFile: outside, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: root + "/escape.txt", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: root + "/alias.txt", withDestinationPath: root + "/file.txt")
    }

    deinit {
        for server in servers { server.stop() }
        try? FileManager.default.removeItem(atPath: (root as NSString).deletingLastPathComponent)
    }

    /// A server for `serving`, mounted at `prefix` (the application's mount point, or the server's
    /// static prefix with a 404 application behind).
    func server(_ serving: Serving, prefix: String = "/", threads: Int = 0) throws -> TestServer {
        let server: TestServer
        switch serving {
        case .application:
            server = try TestServer(app: try StaticFiles(root: root).application, scriptName: prefix == "/" ? "" : prefix) { $0.threads = threads }
        case .serverMount:
            let calls = applicationCalls
            let mount = StaticMount(prefix: prefix, directory: try StaticDirectory(root: root))
            server = try TestServer(app: { _, startResponse in
                calls.increment()
                try startResponse("404 Not Found", [("Content-Type", "text/plain"), ("X-From", "application")])
                return ["no such file\n"]
            }, configure: { configuration in
                configuration.staticMounts = [mount]
                configuration.threads = threads
            })
        }
        servers.append(server)
        return server
    }

    func get(_ serving: Serving, _ path: String, _ headers: String = "", method: String = "GET") throws -> HTTPResponse {
        let server = try servers.first ?? server(serving)
        return try RawClient(port: server.port).exchange("\(method) \(path) HTTP/1.1\r\nHost: h\r\n\(headers)\r\n")
    }

    @Test(arguments: Serving.allCases)
    func aFileWithItsTypeLengthAndValidators(_ serving: Serving) throws {
        let response = try get(serving, "/file.txt")
        #expect(response.status == 200)
        #expect(response.bodyText == Self.content)
        #expect(response.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(response.header("Content-Length") == "20")
        #expect(response.header("Accept-Ranges") == "bytes")
        #expect(response.header("ETag")?.hasPrefix("\"") == true)
        #expect(response.header("Last-Modified")?.hasSuffix(" GMT") == true)
        let head = try get(serving, "/file.txt", method: "HEAD")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.header("Content-Length") == "20")
        #expect(head.header("ETag") == response.header("ETag"))
        #expect(applicationCalls.count == 0)
    }

    @Test(arguments: Serving.allCases)
    func conditionalRequestsAnswer304(_ serving: Serving) throws {
        let first = try get(serving, "/file.txt")
        let etag = try #require(first.header("ETag"))
        let modified = try #require(first.header("Last-Modified"))
        var response = try get(serving, "/file.txt", "If-None-Match: \"other\", \(etag)\r\n")
        #expect(response.status == 304)
        #expect(response.body.isEmpty)
        #expect(response.header("ETag") == etag)
        #expect(try get(serving, "/file.txt", "If-None-Match: W/\(etag)\r\n").status == 304)
        #expect(try get(serving, "/file.txt", "If-None-Match: \"other\"\r\n").status == 200)
        response = try get(serving, "/file.txt", "If-Modified-Since: \(modified)\r\n")
        #expect(response.status == 304)
        #expect(try get(serving, "/file.txt", "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT\r\n").status == 200)
        #expect(try get(serving, "/file.txt", "If-Modified-Since: yesterday\r\n").status == 200)
    }

    @Test(arguments: [
        ("bytes=2-5", 206, "2345", "bytes 2-5/20"), ("bytes=15-", 206, "fghij", "bytes 15-19/20"),
        ("bytes=-3", 206, "hij", "bytes 17-19/20"), ("bytes=10-99", 206, "abcdefghij", "bytes 10-19/20"),
        ("bytes=20-", 416, nil, "bytes */20"), ("bytes=0-1,4-5", 200, Self.content, nil), ("items=0-1", 200, Self.content, nil),
        ("bytes=5-2", 200, Self.content, nil),
    ] as [(String, Int, String?, String?)], Serving.allCases)
    func oneByteRange(_ range: (String, Int, String?, String?), _ serving: Serving) throws {
        let (range, status, body, contentRange) = range
        let response = try get(serving, "/file.txt", "Range: \(range)\r\n")
        #expect(response.status == status)
        if let body { #expect(response.bodyText == body) }
        #expect(response.header("Content-Range") == contentRange)
        if status == 206 { #expect(response.header("Content-Length") == String(body?.utf8.count ?? -1)) }
    }

    @Test(arguments: Serving.allCases)
    func aDirectoryServesItsIndex(_ serving: Serving) throws {
        let response = try get(serving, "/docs/")
        #expect(response.status == 200)
        #expect(response.bodyText == "<h1>docs</h1>")
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(try get(serving, "/alias.txt").bodyText == Self.content)
    }

    @Test(arguments: [
        "/../secret.txt", "/%2e%2e/secret.txt", "/docs/../../secret.txt", "/docs/%2E%2E/%2e%2e/secret.txt",
        "/escape.txt", "/file.txt%00.html", "/nothing-here", "/./file.txt", "/..%2fsecret.txt",
    ], Serving.allCases)
    func nothingOutsideTheRootOrMissing(path: String, _ serving: Serving) throws {
        let response = try get(serving, path)
        #expect(response.status == 404, "\(path)")
        #expect(!response.bodyText.contains("top secret"))
    }

    @Test(arguments: Serving.allCases)
    func otherMethodsAre405(_ serving: Serving) throws {
        let response = try get(serving, "/file.txt", "Content-Length: 0\r\n", method: "POST")
        #expect(response.status == 405)
        #expect(response.header("Allow") == "GET, HEAD")
    }
}
