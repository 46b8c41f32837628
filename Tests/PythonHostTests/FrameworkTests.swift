import Foundation
import Glibc
import Testing
import TestSupport

/// Real frameworks, unchanged, from the test venv: a Flask application and a minimal Django
/// project, each also run wrapped in wsgiref's validator.
@Suite struct FrameworkTests {
    static func serve(_ target: String) throws -> ServerProcess {
        try #require(PythonFixtures.venvExists, "no test venv at \(PythonFixtures.venv): run `make wheel-venvs`")
        return try PythonFixtures.serve([target])
    }

    static func multipart(boundary: String, fields: [(String, String?, String)]) -> String {
        var body = ""
        for (name, filename, content) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\""
            if let filename { body += "; filename=\"\(filename)\"\r\nContent-Type: application/octet-stream" }
            body += "\r\n\r\n\(content)\r\n"
        }
        return body + "--\(boundary)--\r\n"
    }

    @Test func flask() throws {
        let server = try Self.serve("flask_app:app")
        #expect(try get(server, "/").bodyText == "Hello from Flask")

        let form = "name=Ada&colour=red&colour=blue"
        let formReply = try jsonObject(try exchange(server, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(form.utf8.count)\r\n\r\n\(form)"))
        #expect(formReply["name"] as? String == "Ada")
        #expect(formReply["colours"] as? [String] == ["red", "blue"])

        let document = "{\"numbers\": [1, 2, 3]}"
        let jsonReply = try jsonObject(try exchange(server, "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(document.utf8.count)\r\n\r\n\(document)"))
        #expect(jsonReply["doubled"] as? [Int] == [2, 4, 6])

        let file = String(repeating: "uploaded bytes. ", count: 4096)
        let upload = Self.multipart(boundary: "XyZ", fields: [("note", nil, "hello"), ("document", "report.txt", file)])
        let uploadReply = try jsonObject(try exchange(server, "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: \(upload.utf8.count)\r\n\r\n\(upload)"))
        #expect(uploadReply["filename"] as? String == "report.txt")
        #expect(uploadReply["size"] as? Int == file.utf8.count)
        #expect(uploadReply["note"] as? String == "hello")

        // A chunked upload arrives whole (Werkzeug trusts wsgi.input_terminated).
        let chunkedReply = try jsonObject(try exchange(server, "POST /raw HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"))
        #expect(chunkedReply["size"] as? Int == 11)
        #expect(chunkedReply["text"] as? String == "hello world")

        try Self.flaskGETRoutes(server)
        #expect(try get(server, "/log").bodyText == "logged")
        #expect(server.waitForLog("logged by the Flask application"))
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
    }

    /// The validator refuses Werkzeug's `wsgi.input.read()` without a size (it wants exactly one
    /// argument, as the first WSGI PEP said), so under it Flask is checked on requests without a
    /// body.
    @Test func flaskPassesTheValidator() throws {
        let server = try Self.serve("validated:wrap('flask_app:app')")
        #expect(try get(server, "/").bodyText == "Hello from Flask")
        try Self.flaskGETRoutes(server)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(validatorComplaints(server.log).isEmpty, "\(server.log)")
    }

    static func flaskGETRoutes(_ server: ServerProcess) throws {
        let path = temporaryPath("flask-file")
        defer { unlink(path) }
        let content = String(repeating: "file body ", count: 5000)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        let sent = try get(server, "/file?path=\(path)")
        #expect(sent.status == 200)
        #expect(sent.bodyText == content)
        let memory = try get(server, "/memory")
        #expect(memory.bodyText == String(repeating: "generated in memory\n", count: 100))

        let streamed = try get(server, "/stream?n=3")
        #expect(streamed.isChunked)
        #expect(streamed.bodyText == "line 0 of /stream\nline 1 of /stream\nline 2 of /stream\n")

        #expect(try get(server, "/missing").status == 404)

        let unicode = try jsonObject(try get(server, "/caf%C3%A9/b%C3%BCcher"))
        #expect(unicode["path"] as? String == "/café/bücher")
        #expect(unicode["name"] as? String == "bücher")

        let who = try jsonObject(try get(server, "/whoami"))
        #expect(who["remote_addr"] as? String == "127.0.0.1")
        #expect(who["host"] as? String == "test")

        // HTTP/1.0 without Host: Werkzeug falls back to SERVER_NAME and SERVER_PORT.
        let client = try RawClient(port: server.port)
        try client.send("GET /whoami HTTP/1.0\r\n\r\n")
        let oldJSON = try jsonObject(try client.readResponse())
        #expect(oldJSON["host"] as? String == "127.0.0.1:\(server.port)")
        #expect(oldJSON["url"] as? String == "http://127.0.0.1:\(server.port)/whoami")
    }

    @Test(arguments: ["mysite.wsgi:application", "validated:wrap('mysite.wsgi:application')"])
    func django(target: String) throws {
        let server = try Self.serve(target)
        #expect(try get(server, "/").bodyText == "Hello from Django")
        let body = "posted=1"
        let echo = try jsonObject(try exchange(server, "POST /echo/?q=search HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        #expect(echo["method"] as? String == "POST")
        #expect(echo["path"] as? String == "/echo/")
        #expect(echo["query"] as? String == "search")
        #expect(echo["body"] as? String == "posted=1")
        #expect(echo["remote"] as? String == "127.0.0.1")
        // CommonMiddleware's APPEND_SLASH redirect.
        let redirect = try get(server, "/echo")
        #expect(redirect.status == 301)
        #expect(redirect.header("Location") == "/echo/")
        #expect(try get(server, "/nowhere").status == 404)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(validatorComplaints(server.log).isEmpty, "\(server.log)")
    }
}
