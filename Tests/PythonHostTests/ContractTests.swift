import Foundation
import Glibc
import Testing
import TestSupport

/// PEP 3333 for Python objects, through the real binary: the environ, wsgi.input, start_response,
/// write, the body's iteration, errors, the file wrapper, close(). The checks application
/// (Fixtures/wsgi_checks.py) runs wrapped in wsgiref's validator too, where it plays by the rules.
@Suite struct ContractTests {
    static func checks(_ extra: [String] = []) throws -> ServerProcess {
        try PythonFixtures.serve(["wsgi_checks"] + extra)
    }

    // MARK: environ

    @Test func theEnvironIsADictOfNativeStringsAndTheWSGIKeys() throws {
        let server = try Self.checks()
        let environ = try jsonObject(try exchange(server, "GET /environ?q=%41 HTTP/1.1\r\nHost: example.test\r\nX-Thing: a\r\nX-Thing: b\r\n\r\n"))
        #expect(environ["REQUEST_METHOD"] as? String == "GET")
        #expect(environ["PATH_INFO"] as? String == "/environ")
        #expect(environ["QUERY_STRING"] as? String == "q=%41")
        #expect(environ["SCRIPT_NAME"] as? String == "")
        #expect(environ["SERVER_PROTOCOL"] as? String == "HTTP/1.1")
        #expect(environ["SERVER_PORT"] as? String == String(server.port))
        #expect(environ["REMOTE_ADDR"] as? String == "127.0.0.1")
        #expect(environ["HTTP_HOST"] as? String == "example.test")
        #expect(environ["HTTP_X_THING"] as? String == "a,b")
        #expect(environ["wsgi.url_scheme"] as? String == "http")
        #expect(environ["wsgi.version"] as? [Int] == [1, 0])
        #expect(environ["wsgi.input_terminated"] as? Bool == true)
        #expect(environ["wsgi.multithread"] as? Bool == false)
        #expect(environ["wsgi.multiprocess"] as? Bool == false)
        #expect(environ["wsgi.run_once"] as? Bool == false)
        #expect(environ["errors"] as? Bool == true)
        #expect(environ["input"] as? Bool == true)
        let types = try #require(environ["types"] as? [String: String])
        #expect(types["wsgi.version"] == "tuple")
        #expect(types["wsgi.file_wrapper"] == "type")
        #expect(types["REMOTE_PORT"] == "str")
        #expect(environ["CONTENT_LENGTH"] == nil)
    }

    @Test func pathInfoIsPercentDecodedBytesReadAsLatin1() throws {
        let server = try Self.checks()
        // café in UTF-8 is c3 a9 on the wire: two latin-1 characters in PATH_INFO, as Werkzeug
        // expects before it re-encodes.
        let environ = try jsonObject(try exchange(server, "GET /environ/caf%C3%A9/%2F?x HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(environ["PATH_INFO"] as? String == "/environ/caf\u{C3}\u{A9}//")
        #expect(environ["RAW_URI"] as? String == "/environ/caf%C3%A9/%2F?x")
    }

    /// The loop's exchanges move between connections: every request still sees its own.
    @Test func everyRequestSeesItsOwnConnectionWhileExchangesMoveBetweenThem() throws {
        let server = try Self.checks()
        let clients = try (0..<3).map { _ in try RawClient(port: server.port) }
        for round in 0..<3 {
            for client in clients {
                let response = try client.exchange("GET /environ/r\(round) HTTP/1.1\r\nHost: h\r\n\r\n")
                let environ = try jsonObject(response)
                #expect(environ["REMOTE_PORT"] as? String == String(client.localPort))
                #expect(environ["PATH_INFO"] as? String == "/environ/r\(round)")
            }
        }
    }

    @Test func theModeFlagsFollowThreadsAndWorkers() throws {
        let threaded = try Self.checks(["--threads", "2"])
        let environ = try jsonObject(try get(threaded, "/environ"))
        #expect(environ["wsgi.multithread"] as? Bool == true)
        #expect(environ["wsgi.multiprocess"] as? Bool == false)
        let workers = try Self.checks(["--workers", "2"])
        let workerEnviron = try jsonObject(try get(workers, "/environ"))
        #expect(workerEnviron["wsgi.multiprocess"] as? Bool == true)
        workers.signal(SIGTERM)
        #expect(workers.waitForExit(timeout: 30) == 0)
    }

    // MARK: wsgi.input

    @Test(arguments: [false, true])
    func iteratingTheInputYieldsEveryLine(chunked: Bool) throws {
        let server = try Self.checks()
        let body = "first\nsecond line\n\nlast without newline"
        let framed = chunked
            ? "Transfer-Encoding: chunked\r\n\r\n7\r\nfirst\ns\r\n\(String(format: "%x", body.utf8.count - 7))\r\n\(body.dropFirst(7))\r\n0\r\n\r\n"
            : "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let client = try RawClient(port: server.port)
        // A pipelined second request right behind the body must not leak into it.
        try client.send("POST /lines HTTP/1.1\r\nHost: x\r\n\(framed)GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let lines = try json(try client.readResponse()) as? [String]
        #expect(lines == ["first\n", "second line\n", "\n", "last without newline"])
        #expect(try client.readResponse().bodyText == "checks")
    }

    @Test func readReadlineAndReadlinesEndAtTheBody() throws {
        let server = try Self.checks()
        let body = "abcdef\nxyz\nline3\nline4\n"
        let response = try exchange(server, "POST /reads HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let parts = try #require(try json(response) as? [Any])
        #expect(parts[0] as? String == "abc")
        #expect(parts[1] as? String == "def\n")
        #expect(parts[2] as? String == "xy")
        #expect(parts[3] as? [String] == ["z\n", "line3\n", "line4\n"])
        #expect(parts[4] as? String == "")
    }

    // MARK: start_response and write

    @Test func startResponseInsideAGeneratorSendsItsHead() throws {
        let server = try Self.checks()
        let response = try get(server, "/lazy")
        #expect(response.status == 201)
        #expect(response.header("X-Lazy") == "yes")
        #expect(response.bodyText == "lazy body")
    }

    @Test func excInfoReplacesAHeldHead() throws {
        let server = try Self.checks()
        let response = try get(server, "/exc-info-before")
        #expect(response.status == 503)
        #expect(response.bodyText == "recovered")
    }

    @Test func excInfoAfterTheHeadReraisesAndCutsTheResponse() throws {
        let server = try Self.checks()
        let client = try RawClient(port: server.port)
        try client.send("GET /exc-info-after HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = String(decoding: try client.readToEOF(), as: UTF8.self)
        #expect(raw.hasPrefix("HTTP/1.1 200 OK"))
        #expect(raw.contains("partial "))
        #expect(!raw.contains("never sent"))
        #expect(!raw.hasSuffix("0\r\n\r\n"), "the chunked body must not end cleanly: \(raw.debugDescription)")
        #expect(server.waitForLog("ValueError: too late"))
    }

    @Test func aSecondStartResponseWithoutExcInfoRaises() throws {
        let server = try Self.checks()
        #expect(try get(server, "/second-start-response").bodyText == "RuntimeError")
    }

    @Test func writeSendsBeforeTheReturnedBody() throws {
        let server = try Self.checks()
        let response = try get(server, "/write")
        #expect(response.bodyText == "one two three")
        #expect(try get(server, "/write-str").bodyText == "TypeError")
    }

    @Test(arguments: [
        ("tuple", "TypeError: start_response() response_headers must be a list"),
        ("bytes", "TypeError: start_response() header 0 must be a (str, str) tuple"),
        ("crlf", "ValueError"),
        ("hop", "ValueError"),
        ("nonlatin", "ValueError"),
        ("status", "TypeError: start_response() status must be a str"),
    ])
    func badStartResponseArgumentsRaiseInTheApplication(kind: String, error: String) throws {
        let server = try Self.checks()
        let response = try get(server, "/bad-headers?kind=\(kind)")
        #expect(response.status == 400)
        #expect(response.bodyText.hasPrefix(error), "\(response.bodyText)")
    }

    // MARK: Errors

    @Test func anExceptionBeforeTheHeadIs500WithTheTracebackLogged() throws {
        let server = try Self.checks()
        let response = try get(server, "/raise")
        #expect(response.status == 500)
        #expect(response.bodyText == "Internal Server Error\n")
        #expect(server.waitForLog("RuntimeError: deliberate failure before start_response"))
        #expect(server.log.contains("Error handling request GET /raise"))
        #expect(server.log.contains("Traceback (most recent call last)"))
    }

    @Test func anExceptionAfterTheHeadCutsTheConnectionAndCloses() throws {
        let server = try Self.checks()
        let mark = temporaryPath("raised")
        defer { unlink(mark) }
        let client = try RawClient(port: server.port)
        try client.send("GET /raise-after-start?mark=\(mark) HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = String(decoding: try client.readToEOF(), as: UTF8.self)
        #expect(raw.contains("first\n"))
        #expect(!raw.hasSuffix("0\r\n\r\n"))
        #expect(eventually { access(mark, F_OK) == 0 })
    }

    @Test(arguments: [
        ("/no-start-response", "start_response"),
        ("/bytes-result", "return [body]"),
    ])
    func protocolMistakesAre500WithOneLine(path: String, text: String) throws {
        let server = try Self.checks()
        #expect(try get(server, path).status == 500)
        #expect(server.waitForLog("Error handling request GET \(path): "))
        #expect(server.log.contains(text))
    }

    @Test func wsgiErrorsGoesToTheLogLineByLine() throws {
        let server = try Self.checks()
        #expect(try get(server, "/errors-stream").bodyText == "logged")
        #expect(server.waitForLog("unterminated"))
        #expect(server.log.contains("first line from the application"))
        #expect(server.log.contains("second line"))
    }

    // MARK: The file wrapper

    @Test func aRealFileIsSentWhole() throws {
        let server = try Self.checks()
        let path = temporaryPath("file")
        defer { unlink(path) }
        let content = String(repeating: "0123456789abcdef", count: 10_000)
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        let whole = try get(server, "/file?path=\(path)")
        #expect(whole.contentLength == content.utf8.count)
        #expect(whole.bodyText == content)
        // From the file object's own position, which its buffer has read past.
        let skipped = try get(server, "/file?path=\(path)&skip=10")
        #expect(skipped.bodyText == String(content.dropFirst(10)))
        // Never more than a shorter Content-Length.
        let short = try get(server, "/file?path=\(path)&length=100")
        #expect(short.contentLength == 100)
        #expect(short.bodyText == String(content.prefix(100)))
    }

    @Test func aFileLikeWithoutDescriptorIsIterated() throws {
        let server = try Self.checks()
        let response = try get(server, "/filelike")
        #expect(response.bodyText == String(repeating: "from a BytesIO\n", count: 3))
    }

    // MARK: close()

    @Test func closeRunsOnceAtTheEndOfEveryResponse() throws {
        let server = try Self.checks()
        let before = Int(try get(server, "/closed").bodyText) ?? -1
        for _ in 0..<5 { #expect(try get(server, "/stream?n=3").bodyText == "chunk0\nchunk1\nchunk2\n") }
        #expect(Int(try get(server, "/closed").bodyText) == before + 5)
    }

    @Test func aClientThatGoesAwayMidStreamGetsTheBodyClosed() throws {
        let server = try Self.checks()
        let mark = try abandonEndlessStream(server)
        defer { unlink(mark) }
        #expect(eventually { marked(mark) })
        // The server goes on.
        #expect(try get(server, "/").bodyText == "checks")
    }

    @Test func shutdownClosesAResponseInProgress() throws {
        let server = try Self.checks()
        let (client, mark) = try requestMarking(server, "/forever", receiveBuffer: 16 * 1024)
        defer { unlink(mark) }
        _ = try client.receiveSome()
        server.signal(SIGINT)
        let status = server.waitForExit(timeout: 20)
        #expect(status == 0, "threads:\n\(server.hangReport ?? "-")\nlog:\n\(server.log)")
        #expect(marked(mark))
    }

    // MARK: The validator

    @Test func theEchoApplicationPassesTheValidator() throws {
        let server = try PythonFixtures.serve(["validated:wrap('echo_app:app')"])
        #expect(try get(server, "/some/path?q=1").status == 200)
        let body = "name=value&other=2"
        let echoed = try jsonObject(try exchange(server, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"))
        #expect(echoed["body"] as? String == body)
        let chunked = try jsonObject(try exchange(server, "POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"))
        #expect(chunked["body_size"] as? Int == 3)
        #expect(try get(server, "/stream?n=3&size=4").bodyText == "xxxxxxxxxxxx")
        // (Not /status/204: the reference application sends a Content-Type with it, which the
        // validator refuses in the application.)
        #expect(try get(server, "/status/404").status == 404)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(validatorComplaints(server.log).isEmpty, "\(server.log)")
    }

    @Test func theChecksApplicationPassesTheValidator() throws {
        let server = try PythonFixtures.serve(["validated:wrap('wsgi_checks:application')"])
        #expect(try jsonObject(try get(server, "/environ"))["REQUEST_METHOD"] as? String == "GET")
        #expect(try get(server, "/lazy").bodyText == "lazy body")
        #expect(try get(server, "/stream?n=2").bodyText == "chunk0\nchunk1\n")
        #expect(try get(server, "/write").bodyText == "one two three")
        #expect(try get(server, "/filelike").bodyText.hasPrefix("from a BytesIO"))
        let body = "a\nb\n"
        #expect(try json(try exchange(server, "POST /lines HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\(body)")) as? [String] == ["a\n", "b\n"])
        #expect(try exchange(server, "HEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n").status == 200)
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        #expect(validatorComplaints(server.log).isEmpty, "\(server.log)")
    }
}
