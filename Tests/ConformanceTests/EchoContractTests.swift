import Foundation
import Testing
import TestSupport

/// The echo application's contract (../shared/echo_app.py, the reference external suites run
/// against the server), black box, through the real binaries: every test runs against the bundled
/// Swift echo app (`wsgi-demo --app echo`) and against the Python reference itself served by
/// `swift-wsgi echo_app:app`, so the two must behave alike.
@Suite struct EchoContractTests {
    /// The echo body as JSON.
    static func json(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        #expect(response.status == 200, sourceLocation: sourceLocation)
        #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
        #expect(response.header("Content-Length") == String(response.body.count), sourceLocation: sourceLocation)
        return try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], sourceLocation: sourceLocation)
    }

    static func environ(_ json: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: String] {
        try #require(json["environ"] as? [String: String], sourceLocation: sourceLocation)
    }

    static func exchange(_ demo: ServerProcess, _ request: String) throws -> HTTPResponse {
        let client = try RawClient(port: demo.port)
        try client.send(request)
        return try client.readResponse(head: request.hasPrefix("HEAD "))
    }

    static func exchange(_ demo: ServerProcess, _ request: [UInt8]) throws -> HTTPResponse {
        let client = try RawClient(port: demo.port)
        try client.send(request)
        return try client.readResponse()
    }

    // MARK: environ

    @Test(arguments: EchoServer.allCases) func environHoldsTheCGIKeysHeadersAndScheme(_ server: EchoServer) throws {
        let demo = try server.start()
        let response = try Self.exchange(demo, "GET /some/path%20x?a=1&b=%20 HTTP/1.1\r\nHost: example.test:8080\r\nUser-Agent: conformance\r\nX-Custom-Header: v\r\n\r\n")
        let json = try Self.json(response)
        let environ = try Self.environ(json)
        #expect(environ["REQUEST_METHOD"] == "GET")
        #expect(environ["SCRIPT_NAME"] == "")
        #expect(environ["PATH_INFO"] == "/some/path x")
        #expect(environ["QUERY_STRING"] == "a=1&b=%20")
        #expect(environ["SERVER_NAME"] == "127.0.0.1")
        #expect(environ["SERVER_PORT"] == String(demo.port))
        #expect(environ["SERVER_PROTOCOL"] == "HTTP/1.1")
        #expect(environ["REMOTE_ADDR"] == "127.0.0.1")
        #expect(environ["GATEWAY_INTERFACE"] == "CGI/1.1")
        #expect(environ["RAW_URI"] == "/some/path%20x?a=1&b=%20")
        #expect(environ["HTTP_HOST"] == "example.test:8080")
        #expect(environ["HTTP_USER_AGENT"] == "conformance")
        #expect(environ["HTTP_X_CUSTOM_HEADER"] == "v")
        #expect(environ["wsgi.url_scheme"] == "http")
        #expect(environ["CONTENT_LENGTH"] == nil)
        // Only string entries: wsgi.version, wsgi.input, the flags are not echoed.
        for key in ["wsgi.version", "wsgi.input", "wsgi.errors", "wsgi.multithread", "wsgi.run_once", "wsgi.file_wrapper"] {
            #expect(environ[key] == nil, "\(key)")
        }
        #expect(json["body_size"] as? Int == 0)
        #expect(json["body"] as? String == "")
    }

    @Test(arguments: EchoServer.allCases) func repeatedHeadersAreJoinedAndUnderscoreHeadersDropped(_ server: EchoServer) throws {
        let demo = try server.start()
        let response = try Self.exchange(demo, "GET / HTTP/1.1\r\nHost: x\r\nX-Multi: a\r\nX-Multi: b\r\nX-Multi: c\r\nX_Forwarded_For: 1.2.3.4\r\nX-Forwarded-For: 5.6.7.8\r\nX_Sneaky: 1\r\n\r\n")
        let environ = try Self.environ(try Self.json(response))
        #expect(environ["HTTP_X_MULTI"] == "a,b,c")
        #expect(environ["HTTP_X_FORWARDED_FOR"] == "5.6.7.8")
        #expect(environ["HTTP_X_SNEAKY"] == nil)
        #expect(!environ.keys.contains { $0.contains("SNEAKY") })
    }

    @Test(arguments: EchoServer.allCases) func theJSONIsPythonsSortedDump(_ server: EchoServer) throws {
        let demo = try server.start()
        let response = try Self.exchange(demo, "POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        // json.dumps(out, sort_keys=True): "body", "body_size", "environ", with ", " and ": ".
        #expect(response.bodyText.hasPrefix(#"{"body": "hi", "body_size": 2, "environ": {"CONTENT_LENGTH": "2", "#))
        #expect(response.bodyText.hasSuffix("}}"))
    }

    // MARK: bodies

    @Test(arguments: EchoServer.allCases) func aContentLengthBodyIsEchoed(_ server: EchoServer) throws {
        let demo = try server.start()
        let response = try Self.exchange(demo, "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nhello, world")
        let json = try Self.json(response)
        #expect(json["body_size"] as? Int == 12)
        #expect(json["body"] as? String == "hello, world")
        let environ = try Self.environ(json)
        #expect(environ["REQUEST_METHOD"] == "PUT")
        #expect(environ["CONTENT_LENGTH"] == "12")
        #expect(environ["CONTENT_TYPE"] == "text/plain")
    }

    @Test(arguments: EchoServer.allCases) func aChunkedBodyIsEchoed(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n")
        try client.send("3\r\nefg\r\n0\r\n\r\n")
        let json = try Self.json(try client.readResponse())
        #expect(json["body_size"] as? Int == 7)
        #expect(json["body"] as? String == "abcdefg")
        let environ = try Self.environ(json)
        #expect(environ["CONTENT_LENGTH"] == nil)
        #expect(environ["HTTP_TRANSFER_ENCODING"] == "chunked")
    }

    @Test(arguments: EchoServer.allCases) func bodiesAbove64KiBAreCountedNotEchoed(_ server: EchoServer) throws {
        let demo = try server.start()
        let limit = String(repeating: "y", count: 65536)
        let atLimit = try Self.json(try Self.exchange(demo, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n\(limit)"))
        #expect(atLimit["body_size"] as? Int == 65536)
        #expect(atLimit["body"] as? String == limit)

        let big = String(repeating: "z", count: 70_000)
        let sized = try Self.json(try Self.exchange(demo, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n\(big)"))
        #expect(sized["body_size"] as? Int == 70_000)
        #expect(sized["body"] == nil)

        let chunked = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "8000\r\n\(String(repeating: "z", count: 0x8000))\r\n"
            + "8000\r\n\(String(repeating: "z", count: 0x8000))\r\n"
            + "1000\r\n\(String(repeating: "z", count: 0x1000))\r\n0\r\n\r\n"
        let dechunked = try Self.json(try Self.exchange(demo, chunked))
        #expect(dechunked["body_size"] as? Int == 0x11000)
        #expect(dechunked["body"] == nil)
    }

    @Test(arguments: EchoServer.allCases) func aBodyThatIsNotUTF8IsEchoedWithReplacement(_ server: EchoServer) throws {
        let demo = try server.start()
        let request = Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n".utf8) + [0x61, 0xFF, 0xFE, 0x62]
        let json = try Self.json(try Self.exchange(demo, request))
        #expect(json["body_size"] as? Int == 4)
        #expect(json["body"] as? String == "a\u{FFFD}\u{FFFD}b")
    }

    @Test(arguments: EchoServer.allCases) func headGetsTheHeadersOnly(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        let head = try client.readResponse(head: true)
        #expect(head.status == 200)
        #expect(Int(head.header("Content-Length") ?? "") ?? 0 > 0)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try Self.json(try client.readResponse())
    }

    // MARK: /stream

    /// The exact chunked body of `n` chunks of `size` bytes of `x`.
    static func chunkedStream(n: Int, size: Int) -> String {
        String(repeating: "\(String(size, radix: 16))\r\n\(String(repeating: "x", count: size))\r\n", count: n) + "0\r\n\r\n"
    }

    @Test(arguments: EchoServer.allCases) func streamDefaultsToFiveChunksOfTen(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(try client.readToEOF().splitHead)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("\r\nContent-Type: text/plain\r\n"))
        #expect(head.contains("\r\nTransfer-Encoding: chunked\r\n"))
        #expect(!head.contains("Content-Length"))
        #expect(body.text == Self.chunkedStream(n: 5, size: 10))
    }

    @Test(arguments: EchoServer.allCases) func streamTakesCountAndSize(_ server: EchoServer) throws {
        let demo = try server.start()
        for (n, size) in [(3, 4), (1, 300), (2, 1)] {
            let client = try RawClient(port: demo.port)
            try client.send("GET /stream?n=\(n)&size=\(size) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let body = try #require(try client.readToEOF().splitHead).body
            #expect(body.text == Self.chunkedStream(n: n, size: size), "n=\(n) size=\(size)")
        }
        let empty = try Self.exchange(demo, "GET /stream?n=0 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(empty.status == 200)
        #expect(empty.body.isEmpty)
        let pipelined = try RawClient(port: demo.port)
        try pipelined.send("GET /stream?n=2&size=3 HTTP/1.1\r\nHost: x\r\n\r\nGET /stream?n=1&size=2 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try pipelined.readResponse().bodyText == "xxxxxx")
        #expect(try pipelined.readResponse().bodyText == "xx")
    }

    @Test(arguments: EchoServer.allCases) func streamPausesBetweenChunksAndSendsEachAtOnce(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("GET /stream?n=3&size=2&delay_ms=300 HTTP/1.1\r\nHost: x\r\n\r\n")
        // The first chunk arrives while the response is still incomplete (two pauses to go); the
        // pauses themselves are checked without a clock in EchoRoutesTests.
        let early = try client.receive(until: "\r\n2\r\nxx\r\n", timeout: 5)
        #expect(early.firstRange(of: Array("0\r\n\r\n".utf8)) == nil)
        let response = try client.readResponse()
        #expect(response.bodyText == "xxxxxx")
    }

    // MARK: /status

    @Test(arguments: EchoServer.allCases) func statusRoutesAnswerWithThatStatus(_ server: EchoServer) throws {
        let demo = try server.start()
        let cases: [(path: String, code: Int, reason: String)] = [
            ("/status/200", 200, "OK"), ("/status/201", 201, "Created"), ("/status/404", 404, "Not Found"),
            ("/status/418", 418, "I'm a Teapot"), ("/status/503", 503, "Service Unavailable"), ("/status/599", 599, "Status"),
            ("/status/404/", 404, "Not Found"), ("/status/999", 400, "Bad Request"), ("/status/abc", 400, "Bad Request"),
            ("/status/199", 400, "Bad Request"),
        ]
        for (path, code, reason) in cases {
            let response = try Self.exchange(demo, "GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(response.status == code, "\(path)")
            #expect(response.reason == reason, "\(path)")
            #expect(response.header("Content-Type") == "text/plain", "\(path)")
            #expect(response.bodyText == "status \(code)\n", "\(path)")
            #expect(response.header("Content-Length") == String("status \(code)\n".utf8.count), "\(path)")
        }
    }

    @Test(arguments: EchoServer.allCases) func status204And304SendNoBody(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("GET /status/204 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let raw = try client.readToEOF()
        #expect(raw.text.hasPrefix("HTTP/1.1 204 No Content\r\n"))
        #expect(raw.count(of: Array("HTTP/1.1 304 Not Modified\r\n".utf8)) == 1)
        #expect(!raw.text.contains("Content-Length"))
        #expect(!raw.text.contains("Transfer-Encoding"))
        #expect(raw.text.hasSuffix("\r\n\r\n"))
    }

    @Test(arguments: EchoServer.allCases) func aForcedBodyOn204And304StaysOffTheWire(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        // Pipelined: if a body leaked, the responses after it would not parse.
        try client.send("GET /status/204?body=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /status/304?body=1 HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let raw = try client.readToEOF()
        #expect(raw.firstRange(of: Array("status 204".utf8)) == nil)
        #expect(raw.firstRange(of: Array("status 304".utf8)) == nil)
        let text = raw.text
        let heads = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(heads == ["204", "304", "200"])
        // 204 never carries a length; 304 keeps the one the application declared.
        let parts = text.components(separatedBy: "HTTP/1.1 ")
        #expect(!parts[1].contains("Content-Length"))
        #expect(parts[2].contains("Content-Length: 11\r\n"))
        let last = "HTTP/1.1 " + parts[3]
        let body = try #require(Array(last.utf8).splitHead).body
        let json = try #require(JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect((json["environ"] as? [String: String])?["PATH_INFO"] == "/after")
    }

    // MARK: errors

    @Test(arguments: EchoServer.allCases) func errorAnswersAGeneric500(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("GET /error HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 500)
        #expect(response.bodyText == "Internal Server Error\n")
        #expect(!response.bodyText.contains("deliberate"))
        // The server carries on.
        try client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try Self.json(try client.readResponse())
    }

    @Test(arguments: EchoServer.allCases) func errorAfterStartCutsTheResponse(_ server: EchoServer) throws {
        let demo = try server.start()
        let client = try RawClient(port: demo.port)
        try client.send("GET /error-after-start HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = try client.readToEOF()
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("\r\nTransfer-Encoding: chunked\r\n"))
        // The chunk, then the connection closes: no terminating 0-size chunk.
        #expect(body.text == "c\r\nfirst chunk\n\r\n")
    }
}
