import Foundation
import Testing
import TestSupport

/// Every Python example (Examples/Python) served by `swift-wsgi`, doing what its docstring says.
@Suite struct ExampleTests {
    /// The repository's Examples/Python.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Examples/Python").path

    static func serve(_ module: String, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(["--chdir", directory, module, "--bind", "127.0.0.1:0"] + extra, binary: "swift-wsgi", captureLog: true)
    }

    @Test func hello() throws {
        #expect(try get(Self.serve("hello"), "/").bodyText == "Hello, world!\n")
    }

    @Test func routingOverScriptNameAndPathInfo() throws {
        let server = try Self.serve("routing")
        #expect(try get(server, "/users/42").bodyText == "user 42 (mounted at /users)\n")
        #expect(try get(server, "/users").bodyText == "all users (mounted at /users)\n")
        #expect(try get(server, "/users/ada").status == 404)
        #expect(try get(server, "/nowhere").status == 404)
    }

    @Test func serverSentEvents() throws {
        let response = try get(Self.serve("events", ["--threads", "2"]), "/?count=3&interval=0")
        #expect(response.header("Content-Type") == "text/event-stream")
        #expect(response.bodyText == (1...3).map { "id: \($0)\nevent: tick\ndata: {\"tick\": \($0)}\n\n" }.joined())
    }

    @Test func downloadsThroughTheFileWrapper() throws {
        let server = try Self.serve("download")
        let response = try get(server, "/hello.py")
        #expect(response.status == 200)
        #expect(response.header("Content-Disposition") == "attachment; filename=\"hello.py\"")
        #expect(response.bodyText == (try String(contentsOfFile: Self.directory + "/hello.py", encoding: .utf8)))
        #expect(try get(server, "/../README.md").status == 404)
        #expect(try get(server, "/.hidden").status == 404)
    }

    @Test func formAndJSONUploads() throws {
        let server = try Self.serve("upload")
        let form = "name=Ada+Lovelace&lang=Python%21"
        var response = try exchange(server, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)")
        #expect(response.bodyText == #"{"bytes": 32, "received": {"lang": "Python!", "name": "Ada Lovelace"}}"#)
        response = try exchange(server, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{\"n\": 1}\r\n0\r\n\r\n")
        #expect(response.bodyText == #"{"bytes": 8, "received": {"n": 1}}"#)
        #expect(try exchange(server, "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 1\r\n\r\nx").status == 400)
        #expect(try get(server, "/").status == 405)
    }
}
