import Foundation
import Testing
import TestSupport
import WSGIServer

/// Checklist C: `wsgi.input` (PEP 3333 "Input and Error Streams").
///
/// Each test runs twice where it matters: with the body in memory and with the body spooled to a
/// temporary file (`bodyMemoryThreshold` below the body's size), the two storages behind the stream.
@Suite struct InputTests {
    /// Memory threshold for each storage: the default (in memory) and 4 bytes (spooled to a file).
    static let storages = [1 << 20, 4]

    /// Serves one request whose application runs `read` on the input and answers with what it
    /// returns (a description of what it read).
    static func reading(
        _ request: String, threshold: Int = 1 << 20, threads: Int = 0,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ read: @escaping @Sendable (any WSGIInput) throws -> String
    ) throws -> String {
        let harness = try Harness(threads: threads, configure: { $0.bodyMemoryThreshold = threshold }, app: { environ, startResponse in
            let text = Bytes(utf8: try read(environ.input))
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let response = try harness.request(request)
        #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
        harness.finish(sourceLocation: sourceLocation)
        return response.bodyText
    }

    static func post(_ body: String) -> String {
        "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func show(_ chunks: [Bytes]) -> String { chunks.map { $0.utf8String.debugDescription }.joined(separator: ",") }

    // MARK: S24

    @Test(arguments: storages)
    func S24_readReadlineReadlinesAndIteration(threshold: Int) throws {
        let body = "one\ntwo\nthree\n"
        #expect(try Self.reading(Self.post(body), threshold: threshold) { input in
            Self.show([try input.read(4), try input.read(100), try input.read(1)])
        } == #""one\n","two\nthree\n","""#)
        #expect(try Self.reading(Self.post(body), threshold: threshold) { input in
            Self.show([try input.readline(), try input.readline(), try input.readline(), try input.readline()])
        } == #""one\n","two\n","three\n","""#)
        #expect(try Self.reading(Self.post(body), threshold: threshold) { input in
            Self.show(try input.readlines())
        } == #""one\n","two\n","three\n""#)
        #expect(try Self.reading(Self.post(body), threshold: threshold) { input in
            var lines = input.lines
            var seen: [Bytes] = []
            while let line = try lines.next() { seen.append(line) }
            return Self.show(seen)
        } == #""one\n","two\n","three\n""#)
        // A last line without its newline is still a line.
        #expect(try Self.reading(Self.post("a\nb"), threshold: threshold) { input in
            Self.show(try input.readlines())
        } == #""a\n","b""#)
    }

    @Test(arguments: storages)
    func S24_longLinesAreReadWhole(threshold: Int) throws {
        // Lines longer than any internal block (the spool file is scanned 8 KiB at a time).
        let long = String(repeating: "L", count: 20_000)
        let body = "\(long)\nshort\n\(long)"
        #expect(try Self.reading(Self.post(body), threshold: threshold) { input in
            let lines = [try input.readline(), try input.readline(), try input.readline(9000), try input.readline(), try input.readline()]
            return lines.map { String($0.count) }.joined(separator: ",")
        } == "20001,6,9000,11000,0")
    }

    // MARK: S25

    @Test(arguments: storages)
    func S25_readWithoutSizeReturnsTheRest(threshold: Int) throws {
        #expect(try Self.reading(Self.post("0123456789"), threshold: threshold) { input in
            Self.show([try input.read(), try input.read()])
        } == #""0123456789","""#)
        #expect(try Self.reading(Self.post("0123456789"), threshold: threshold) { input in
            Self.show([try input.read(3), try input.read(-1), try input.read(-5)])
        } == #""012","3456789","""#)
    }

    // MARK: S26

    @Test(arguments: [0, 2])
    func S26_theStreamEndsAtContentLengthAndNeverReadsTheNextRequest(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            let data = try environ.input.read(1_000_000)
            let again = try environ.input.read(10)
            let text = Bytes(utf8: "\(data.utf8String)|\(again.count)")
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let client = try harness.client()
        // Two pipelined requests in one write: the first body must not swallow the second request.
        try client.send("POST /1 HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhelloPOST /2 HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try client.readResponse(timeout: 5).bodyText == "hello|0")
        #expect(try client.readResponse(timeout: 5).bodyText == "abc|0")
        // A request without a body: an empty stream, at once.
        try client.send("GET /3 HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse(timeout: 5).bodyText == "|0")
        harness.finish()
    }

    @Test func S26_readingNeverWaitsForBytesTheClientDidNotSend() throws {
        // The client sends the whole body and then nothing more, keeping the connection open:
        // read() and readline() must return at once with what the body holds.
        let harness = try Harness(app: { environ, startResponse in
            let line = try environ.input.readline()
            let rest = try environ.input.read()
            let text = Bytes(utf8: "\(line.utf8String)|\(rest.utf8String)")
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let client = try harness.client()
        try client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 6\r\n\r\nno eol")
        #expect(try client.readResponse(timeout: 5).bodyText == "no eol|")
        harness.finish()
    }

    // MARK: S27

    @Test(arguments: storages)
    func S27_readNReturnsNBytesWhateverTheSegmentation(threshold: Int) throws {
        let harness = try Harness(configure: { $0.bodyMemoryThreshold = threshold }, app: { environ, startResponse in
            var sizes: [Int] = []
            while case let data = try environ.input.read(8), !data.isEmpty { sizes.append(data.count) }
            let text = Bytes(utf8: sizes.map(String.init).joined(separator: ","))
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let client = try harness.client()
        try client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 20\r\n\r\n")
        for byte in "abcdefghijklmnopqrst".utf8 { try client.send([byte]) }
        #expect(try client.readResponse().bodyText == "8,8,4")
        harness.finish()
    }

    @Test func S27_chunkedBodiesArriveWhole() throws {
        let harness = try Harness(app: { environ, startResponse in
            let first = try environ.input.read(7)
            let rest = try environ.input.read()
            let text = Bytes(utf8: "\(first.utf8String)|\(rest.utf8String)")
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let client = try harness.client()
        try client.send("POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
        try client.send("2\r\nde\r\n")
        try client.send("4\r\nfghi\r\n0\r\n\r\n")
        #expect(try client.readResponse().bodyText == "abcdefg|hi")
        harness.finish()
    }

    // MARK: S28

    @Test(arguments: storages)
    func S28_readlineTakesASize(threshold: Int) throws {
        #expect(try Self.reading(Self.post("abcdef\nxy\n"), threshold: threshold) { input in
            Self.show([try input.readline(3), try input.readline(), try input.readline(0), try input.readline(100), try input.readline(5)])
        } == #""abc","def\n","","xy\n","""#)
    }

    // MARK: S29

    @Test(arguments: storages)
    func S29_readlinesHintStopsAfterWholeLines(threshold: Int) throws {
        // Python's io semantics: lines are read until their total reaches the hint; a line is
        // never cut. (PEP 3333 allows ignoring the hint; this server honours it.)
        #expect(try Self.reading(Self.post("ab\ncd\nef\n"), threshold: threshold) { input in
            Self.show(try input.readlines(1)) + "/" + Self.show(try input.readlines(4)) + "/" + Self.show(try input.readlines(0))
        } == #""ab\n"/"cd\n","ef\n"/"#)
        #expect(try Self.reading(Self.post("ab\ncd\nef\n"), threshold: threshold) { input in
            Self.show(try input.readlines(0))
        } == #""ab\n","cd\n","ef\n""#)
    }

    // MARK: S30

    @Test(arguments: storages)
    func S30_chunkedBodiesAreDecodedAndTheStreamIsTerminated(threshold: Int) throws {
        let log = EnvironLog()
        let harness = try Harness(configure: { $0.bodyMemoryThreshold = threshold }, app: { environ, startResponse in
            log.record(environ)
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        })
        let response = try harness.request("POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n")
        #expect(response.bodyText == "hello world")
        harness.finish()
        let environ = try #require(log.last)
        #expect(environ.inputTerminated == true)
        #expect(!environ.contains("CONTENT_LENGTH"))
        // Documented choice (docs/ENVIRON.md): the header is passed on, already acted upon.
        #expect(environ["HTTP_TRANSFER_ENCODING"] == "chunked")
    }

    // MARK: S31

    @Test(arguments: [0, 2])
    func S31_expectContinueIsAnsweredBeforeTheBodyIsSent(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        })
        let client = try harness.client()
        try client.send("POST / HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        // The client waits for the interim response before sending the body.
        try client.receive(until: "\r\n\r\n", timeout: 5)
        #expect(client.pending.text == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(try client.readResponse().status == 100)
        try client.send("hello")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.bodyText == "hello")
        harness.finish()
    }

    @Test func S31_noInterimResponseForHTTP10OrWithoutABody() throws {
        let harness = try Harness(app: { environ, startResponse in
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        })
        let old = try harness.rawExchange("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
        #expect(old.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(!old.text.contains("100 Continue"))
        #expect(old.splitHead?.body.text == "hi")
        let empty = try harness.rawExchange("POST / HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        #expect(empty.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        harness.finish()
    }

    @Test func S31_unknownExpectationsGet417() throws {
        let calls = Counter()
        let harness = try Harness(app: { _, startResponse in
            calls.increment()
            try startResponse("200 OK", [("Content-Length", "0")])
            return []
        })
        let response = try harness.request("POST / HTTP/1.1\r\nHost: test\r\nExpect: something-else\r\nContent-Length: 2\r\n\r\nhi")
        #expect(response.status == 417)
        #expect(calls.count == 0)
        harness.finish()
    }

    // MARK: S32

    @Test func S32_closingTheInputIsHarmless() throws {
        // The application closes the server's own stream (beneath the Validator, which would not
        // forward the call), then reads: the body is still there and the connection lives on.
        let validated: Application = { environ, startResponse in
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        }
        let recorder = ViolationRecorder()
        let checked = Validator(validated, onViolation: recorder.record)
        let harness = try Harness(validation: .environOnly, app: { environ, startResponse in
            environ.input.close()
            return try checked(environ, startResponse)
        })
        let client = try harness.client()
        for body in ["first", "second"] {
            try client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: \(body.count)\r\n\r\n\(body)")
            #expect(try client.readResponse().bodyText == body)
        }
        harness.finish()
        #expect(recorder.all.isEmpty, "\(recorder.all)")
    }

    @Test func S32_closingTheInputIsReportedAsAnApplicationError() throws {
        // Through the Validator, the same call is the application's violation, and still harmless.
        let harness = try Harness(app: { environ, startResponse in
            environ.input.close()
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        })
        let client = try harness.client()
        try client.send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try client.readResponse().bodyText == "abc")
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        harness.finish(applicationChecks: [.inputClosed])
    }

    // MARK: S33

    @Test(arguments: [0, 2])
    func S33_anUnreadBodyNeverBecomesTheNextRequest(threads: Int) throws {
        let harness = try Harness(threads: threads, configure: { $0.bodyMemoryThreshold = 64 }, app: { environ, startResponse in
            let text = Bytes(utf8: "\(environ["REQUEST_METHOD"]!) \(environ["PATH_INFO"]!)")
            try startResponse("200 OK", [("Content-Length", String(text.count))])
            return [text]
        })
        let client = try harness.client()
        // Bodies that look like requests; none is read by the application.
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"
        let padded = smuggled + String(repeating: "x", count: 100 - smuggled.utf8.count)
        let spooled = smuggled + String(repeating: "y", count: 300)
        try client.send("POST /a HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n\(padded)GET /b HTTP/1.1\r\nHost: test\r\n\r\n")
        try client.send("POST /c HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n\(String(smuggled.utf8.count, radix: 16))\r\n\(smuggled)\r\n0\r\n\r\n")
        try client.send("POST /d HTTP/1.1\r\nHost: test\r\nContent-Length: \(spooled.utf8.count)\r\n\r\n\(spooled)GET /e HTTP/1.1\r\nHost: test\r\n\r\n")
        for expected in ["POST /a", "GET /b", "POST /c", "POST /d", "GET /e"] {
            #expect(try client.readResponse().bodyText == expected)
        }
        #expect(client.staysSilent(for: 0.2))
        harness.finish()
    }
}
