import ExampleApps
import Foundation
import Testing
import TestSupport
import WSGIServer

/// Every Swift example (Examples/Swift/Apps) served over real sockets, doing what its comment says.
@Suite struct ExamplesTests {
    static func serve(_ app: @escaping Application, threads: Int = 0) throws -> TestServer {
        try TestServer(app: app) { $0.threads = threads }
    }

    @Test func hello() throws {
        let server = try Self.serve(Examples.all["hello"]!)
        defer { server.stop() }
        #expect(try RawClient(port: server.port).exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "Hello, world!\n")
    }

    @Test func routingOverScriptNameAndPathInfo() throws {
        let server = try Self.serve(Examples.all["routing"]!)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        #expect(try client.exchange("GET /users/42 HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "user 42 (mounted at /users)\n")
        #expect(try client.exchange("GET /users HTTP/1.1\r\nHost: h\r\n\r\n").bodyText == "all users (mounted at /users)\n")
        #expect(try client.exchange("GET /users/ada HTTP/1.1\r\nHost: h\r\n\r\n").status == 404)
        #expect(try client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").bodyText.hasPrefix("index"))
        #expect(try client.exchange("GET /elsewhere HTTP/1.1\r\nHost: h\r\n\r\n").status == 404)
    }

    @Test func serverSentEvents() throws {
        let server = try Self.serve(Examples.all["events"]!, threads: 2)
        defer { server.stop() }
        let response = try RawClient(port: server.port).exchange("GET /?count=3&interval_ms=0 HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(response.header("Content-Type") == "text/event-stream")
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.bodyText == (1...3).map { "id: \($0)\nevent: tick\ndata: {\"tick\": \($0)}\n\n" }.joined())
    }

    @Test func formAndJSONUploads() throws {
        let server = try Self.serve(Examples.all["upload"]!)
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        let form = "name=Ada+Lovelace&lang=Swift%21"
        var response = try client.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
        #expect(response.bodyText == #"{"bytes":31,"received":{"lang":"Swift!","name":"Ada Lovelace"}}"#)
        // JSON, chunked.
        response = try client.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\": 1}\r\n0\r\n\r\n")
        #expect(response.bodyText == #"{"bytes":8,"received":{"n":1}}"#)
        #expect(try client.exchange("POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx").status == 400)
        #expect(try client.exchange("GET / HTTP/1.1\r\nHost: h\r\n\r\n").status == 405)
    }

    @Test func downloadsAsAttachments() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-downloads-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "report data".write(toFile: directory + "/report.csv", atomically: true, encoding: .utf8)
        let server = try Self.serve(try Examples.download(directory: directory))
        defer { server.stop() }
        let client = try RawClient(port: server.port)
        let response = try client.exchange("GET /report.csv HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(response.bodyText == "report data")
        #expect(response.header("Content-Disposition") == "attachment; filename=\"report.csv\"")
        #expect(response.header("Content-Type") == "text/csv; charset=utf-8")
        let missing = try client.exchange("GET /nope.csv HTTP/1.1\r\nHost: h\r\n\r\n")
        #expect(missing.status == 404)
        #expect(missing.header("Content-Disposition") == nil)
    }
}
