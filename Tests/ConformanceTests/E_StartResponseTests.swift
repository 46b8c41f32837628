import Foundation
import Testing
import TestSupport
import WSGIServer

/// Checklist E: `start_response` (PEP 3333 "The start_response() Callable", "Unicode Issues").
///
/// Where the test is about the server's own checks, the application makes the offending call with
/// the server's `start_response` (``ServerCallables``), beneath the Validator: the Validator would
/// otherwise refuse it first and the server's check would never run. The same call through the
/// Validator is then shown to be reported as the application's violation.
@Suite struct StartResponseTests {
    /// Serves one request whose application makes `call` with the server's own callables and
    /// rethrows what it throws. Returns the response and the error the server threw, if any.
    static func probe(
        threads: Int = 0,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ call: @escaping @Sendable (ServerCallables) throws -> ResponseBody
    ) throws -> (response: HTTPResponse, thrown: (any Error)?) {
        let thrown = Shared<(any Error)?>(nil)
        let harness = try Harness(threads: threads, exposeServer: true, app: { environ, _ in
            do {
                return try call(ServerCallables.of(environ))
            } catch {
                thrown.value = error
                throw error
            }
        })
        let response = try harness.get("/")
        harness.finish(sourceLocation: sourceLocation)
        return (response, thrown.value)
    }

    /// The response to an application that failed before sending anything: a generic 500.
    static func expectGeneric500(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == 500, "\(response)", sourceLocation: sourceLocation)
        #expect(response.bodyText == "Internal Server Error\n", sourceLocation: sourceLocation)
        #expect(Set(response.headerNames) == ["Content-Type", "Content-Length", "Date", "Server"], "\(response.headers)", sourceLocation: sourceLocation)
    }

    // MARK: S38

    @Test func S38_startResponseReturnsAWriteCallable() throws {
        let harness = try Harness(app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("written ")
            return ["returned"]
        })
        #expect(try harness.get("/").bodyText == "written returned")
        harness.finish()
    }

    // MARK: S39

    @Test func S39_statusAndHeadersAreCheckedWhenStartResponseIsCalled() throws {
        let reached = Counter()
        let (response, thrown) = try Self.probe { server in
            try server.startResponse("200 OK\r\nX-Injected: y", [("Content-Type", "text/plain")])
            reached.increment()  // not reached: the call itself throws
            return ["split"]
        }
        #expect(thrown as? WSGIError == .invalidStatus("200 OK\r\nX-Injected: y"))
        #expect(reached.count == 0)
        Self.expectGeneric500(response)
        #expect(response.header("X-Injected") == nil)
    }

    @Test func S39_theValidatorReportsTheSameCallAsTheApplications() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK\r\nX-Injected: y", [])
            return ["split"]
        })
        Self.expectGeneric500(try harness.get("/"))
        harness.finish(applicationChecks: [.status])
    }

    // MARK: S40

    @Test func S40_malformedStatusLinesAreRejected() throws {
        let malformed = ["20 OK", "200OK", "200 OK\n", "200 OK\r", "2000 OK", "099 Low", "abc OK", "200", "",
                         " 200 OK", "200\tOK", "200 O\u{7F}K", "200 O\u{0}K", "-20 OK"]
        for status in malformed {
            let (response, thrown) = try Self.probe { server in
                try server.startResponse(status, [])
                return []
            }
            #expect(thrown as? WSGIError == .invalidStatus(status), "\(status.debugDescription): \(String(describing: thrown))")
            Self.expectGeneric500(response)
        }
    }

    @Test func S40_validStatusLinesGoOutExactly() throws {
        for status in ["200 OK", "299 Custom Reason Phrase", "404 Not Found", "599 X", "200 Tab\tInside"] {
            let harness = try Harness(app: { _, startResponse in
                try startResponse(status, [("Content-Length", "0")])
                return []
            })
            let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            #expect(raw.text.hasPrefix("HTTP/1.1 \(status)\r\n"), "\(raw.text.debugDescription)")
            harness.finish()
        }
    }

    // MARK: S41

    @Test func S41_invalidHeadersAreRejected() throws {
        let cases: [((String, String), WSGIError)] = [
            (("X-A", "v\r\nSet-Cookie: x"), .invalidHeaderValue(name: "X-A")),
            (("X-A", "v\n"), .invalidHeaderValue(name: "X-A")),
            (("X-A", "v\r"), .invalidHeaderValue(name: "X-A")),
            (("X-A", "a\u{0}b"), .invalidHeaderValue(name: "X-A")),
            (("X-A", "a\u{7F}b"), .invalidHeaderValue(name: "X-A")),
            (("X A", "v"), .invalidHeaderName("X A")),
            (("X:A", "v"), .invalidHeaderName("X:A")),
            (("", "v"), .invalidHeaderName("")),
            (("X-A\r\nSet-Cookie", "x"), .invalidHeaderName("X-A\r\nSet-Cookie")),
            (("Ä", "v"), .invalidHeaderName("Ä")),
            (("Status", "200 OK"), .statusHeader),
            (("status", "404 Not Found"), .statusHeader),
        ]
        for ((name, value), expected) in cases {
            let (response, thrown) = try Self.probe { server in
                try server.startResponse("200 OK", [("Content-Type", "text/plain"), (name, value)])
                return []
            }
            #expect(thrown as? WSGIError == expected, "\(name.debugDescription): \(value.debugDescription) threw \(String(describing: thrown))")
            Self.expectGeneric500(response)
            #expect(response.header("Set-Cookie") == nil)
        }
    }

    @Test func S41_valuesWithTabsAndLatin1TextAreAccepted() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("X-Tab", "a\tb"), ("X-Latin", "caf\u{E9}"), ("X-Empty", ""), ("Content-Length", "0")])
            return []
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        #expect(raw.firstRange(of: Array("\r\nX-Tab: a\tb\r\n".utf8)) != nil)
        #expect(raw.firstRange(of: Array("\r\nX-Latin: caf".utf8) + [0xE9] + Array("\r\n".utf8)) != nil)
        #expect(raw.firstRange(of: Array("\r\nX-Empty: \r\n".utf8)) != nil)
        harness.finish()
    }

    // MARK: S42

    @Test func S42_dateAndServerAreAddedWhenMissing() throws {
        let harness = try Harness(app: answering())
        let response = try harness.get("/")
        let date = try #require(response.header("Date"))
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
        #expect(date.wholeMatch(of: /(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-3][0-9] (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-2][0-9]:[0-5][0-9]:[0-6][0-9] GMT/) != nil, "\(date)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let sent = try #require(formatter.date(from: date))
        #expect(abs(sent.timeIntervalSinceNow) < 120)
        #expect(response.headers(named: "Date").count == 1)
        #expect(response.headers(named: "Server") == [ServerConfiguration().serverSoftware])
        harness.finish()
    }

    @Test func S42_headersTheApplicationGaveAreNotDuplicated() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("date", "Mon, 01 Jan 2001 00:00:00 GMT"), ("SERVER", "mine/1.0"), ("Content-Length", "0")])
            return []
        })
        let response = try harness.get("/")
        #expect(response.headers(named: "Date") == ["Mon, 01 Jan 2001 00:00:00 GMT"])
        #expect(response.headers(named: "Server") == ["mine/1.0"])
        harness.finish()
    }

    // MARK: S43

    @Test func S43_hopByHopHeadersAreAFatalError() throws {
        let names = ["Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
                     "Trailers", "Transfer-Encoding", "Upgrade", "transfer-ENCODING", "connection"]
        for name in names {
            let (response, thrown) = try Self.probe { server in
                try server.startResponse("200 OK", [(name, "chunked")])
                return ["x"]
            }
            #expect(thrown as? WSGIError == .hopByHopHeader(name), "\(name): \(String(describing: thrown))")
            Self.expectGeneric500(response)
        }
    }

    @Test func S43_theValidatorReportsHopByHopHeadersAsTheApplications() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Transfer-Encoding", "chunked")])
            return ["x"]
        })
        Self.expectGeneric500(try harness.get("/"))
        harness.finish(applicationChecks: [.header])
    }

    // MARK: S44

    @Test(arguments: [0, 2])
    func S44_headersNotSentOnEmptyChunk(threads: Int) throws {
        let error = MarkedError()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain"), ("X-Must-Not-Appear", "1")])
            var step = 0
            return ResponseBody(next: {
                step += 1
                if step <= 2 { return "" }
                throw error
            })
        })
        let response = try harness.get("/")
        Self.expectGeneric500(response)
        #expect(response.header("X-Must-Not-Appear") == nil)
        #expect(!response.bodyText.contains(error.marker))
        harness.finish()
    }

    @Test func S44_headersAreWithheldUntilTheFirstNonEmptyChunk() throws {
        let gate = Gate()
        let opened = Shared(false)
        let harness = try Harness(threads: 2, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1: return ""
                case 2:
                    opened.value = gate.wait()
                    return "data"
                default: return nil
                }
            })
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        // start_response ran and an empty chunk came: still nothing on the wire.
        #expect(client.staysSilent(for: 0.5))
        gate.open()
        let response = try client.readResponse()
        #expect(opened.value)
        #expect(response.status == 200)
        #expect(response.bodyText == "data")
        harness.finish()
    }

    @Test func S44_anEmptyWriteDoesNotSendHeaders() throws {
        let error = MarkedError()
        let harness = try Harness(app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("")
            throw error
        })
        Self.expectGeneric500(try harness.get("/"))
        harness.finish()
    }

    @Test func S44_anEmptyBodySendsTheHeadersAtItsEnd() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("202 Accepted", [("X-Kept", "1")])
            return ResponseBody(next: { nil })
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 202 Accepted\r\n"))
        #expect(head.contains("\r\nX-Kept: 1\r\n"))
        #expect(head.contains("\r\nContent-Length: 0\r\n"))
        #expect(body.isEmpty)
        harness.finish()
    }

    // MARK: S45

    @Test(arguments: [0, 2])
    func S45_anErrorBeforeTheHeadersReplacesThem(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("X-Old", "1"), ("Content-Type", "text/plain")])
            var step = 0
            return ResponseBody(next: {
                step += 1
                guard step == 1 else { return nil }
                // Something failed while producing the body: replace the response.
                try startResponse("503 Service Unavailable", [("X-New", "1"), ("Content-Length", "5")], MarkedError())
                return "sorry"
            })
        })
        let response = try harness.get("/")
        #expect(response.status == 503)
        #expect(response.header("X-New") == "1")
        #expect(response.header("X-Old") == nil)
        #expect(response.bodyText == "sorry")
        harness.finish()
    }

    // MARK: S46

    @Test(arguments: [0, 2])
    func S46_anErrorAfterTheHeadersIsRethrownAndTheResponseAborted(threads: Int) throws {
        let error = MarkedError()
        let rethrown = Shared<MarkedError?>(nil)
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            var step = 0
            return ResponseBody(next: {
                step += 1
                guard step == 2 else { return step == 1 ? "data" : nil }
                do {
                    try startResponse("500 Internal Server Error", [("Content-Type", "text/plain")], error)
                } catch {
                    rethrown.value = error as? MarkedError
                    throw error
                }
                return "must not be sent"
            })
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.contains("Transfer-Encoding: chunked"))
        // The chunk that was sent, then the end of the connection: no terminating chunk, no second status line.
        #expect(body.text == "4\r\ndata\r\n")
        #expect(raw.count(of: Array("HTTP/1.1".utf8)) == 1)
        #expect(rethrown.value == error)
        #expect(eventually { !harness.errorRecords(mentioning: error.marker).isEmpty })
        harness.finish()
        #expect(harness.errorRecords(mentioning: error.marker).count == 1, "\(harness.errorRecords)")
    }

    @Test(arguments: [0, 2])
    func S46_aNonEmptyWriteCommitsTheHeaders(threads: Int) throws {
        // PEP 3333: headers go out "upon the application's first invocation of the write()
        // callable" (with data): after write("partial") the headers count as sent, so an error
        // passed to start_response must be rethrown, not replace a status the data belongs to.
        let error = MarkedError()
        let rethrown = Shared<MarkedError?>(nil)
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("partial")
            do {
                try startResponse("500 Internal Server Error", [("Content-Length", "5")], error)
            } catch {
                rethrown.value = error as? MarkedError
                throw error
            }
            return ["oops!"]
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        #expect(rethrown.value == error)
        // Never the written data under the replacement status.
        #expect(!raw.text.hasPrefix("HTTP/1.1 500"), "\(raw.text.debugDescription)")
        #expect(raw.firstRange(of: Array("oops!".utf8)) == nil)
        harness.finish()
    }

    // MARK: S47

    @Test func S47_aSecondCallWithoutAnErrorIsFatal() throws {
        let (response, thrown) = try Self.probe { server in
            try server.startResponse("200 OK", [("Content-Length", "2")])
            try server.startResponse("201 Created", [("Content-Length", "2")])
            return ["no"]
        }
        #expect(thrown as? WSGIError == .startResponseCalledTwice)
        Self.expectGeneric500(response)
    }

    @Test func S47_aSecondCallIsFatalEvenWhenTheFirstFailed() throws {
        let (response, thrown) = try Self.probe { server in
            do {
                try server.startResponse("bad status", [])
            } catch {
                // The application ignores the failure and tries again, without an error.
            }
            try server.startResponse("200 OK", [("Content-Length", "2")])
            return ["no"]
        }
        #expect(thrown as? WSGIError == .startResponseCalledTwice)
        Self.expectGeneric500(response)
    }

    @Test func S47_theValidatorReportsTheSecondCallAsTheApplications() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "2")])
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["no"]
        })
        Self.expectGeneric500(try harness.get("/"))
        harness.finish(applicationChecks: [.startResponseCalledTwice])
    }

    // MARK: S48

    final class TrackedError: Error {
        let released: Counter
        init(_ released: Counter) { self.released = released }
        deinit { released.increment() }
    }

    @Test(arguments: [0, 2])
    func S48_theErrorIsNotKeptAfterTheCall(threads: Int) throws {
        let released = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            try startResponse("500 Internal Server Error", [("Content-Length", "4")], TrackedError(released))
            return ["oops"]
        })
        let client = try harness.client()
        for _ in 0..<50 {
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().status == 500)
        }
        // Every error is gone once its response is: none is held by the connection or the server.
        #expect(eventually { released.count == 50 }, "\(released.count) of 50 released")
        harness.finish()
    }

    // MARK: S49

    @Test func S49_statusAndHeadersAreEncodedAsLatin1() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 Caf\u{E9}", [("X-Latin", "\u{E9}\u{FF}"), ("Content-Length", "0")])
            return []
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        #expect(raw.starts(with: Array("HTTP/1.1 200 Caf".utf8) + [0xE9, 0x0D, 0x0A]))
        #expect(raw.firstRange(of: Array("\r\nX-Latin: ".utf8) + [0xE9, 0xFF, 0x0D, 0x0A]) != nil)
        // No UTF-8 encoding of U+00E9 anywhere.
        #expect(raw.firstRange(of: [0xC3, 0xA9]) == nil)
        harness.finish()
    }

    @Test func S49_scalarsAboveU00FFAreAFatalError() throws {
        for (status, headers) in [("200 OK", [("X-Euro", "\u{20AC}")]), ("200 Price in \u{20AC}", []), ("200 OK", [("X-Emoji", "💥")])] {
            let (response, thrown) = try Self.probe { server in
                try server.startResponse(status, headers)
                return ["x"]
            }
            if case .notLatin1? = thrown as? WSGIError {} else { Issue.record("\(status) \(headers): threw \(String(describing: thrown))") }
            Self.expectGeneric500(response)
        }
    }

    // MARK: S50

    @Test func S50_http11WithoutLengthIsChunkedAndKeptAlive() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(["a", "b"].lazy.map { Bytes(utf8: $0) })
        })
        let client = try harness.client()
        for _ in 0..<3 {
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.isChunked)
            #expect(response.header("Connection") == nil)
            #expect(response.bodyText == "ab")
        }
        harness.finish()
    }

    @Test func S50_http10WithoutLengthIsDelimitedByClose() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(["a", "b"].lazy.map { Bytes(utf8: $0) })
        })
        for request in ["GET / HTTP/1.0\r\n\r\n", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"] {
            let raw = try harness.rawExchange(request)
            let (head, body) = try #require(raw.splitHead)
            #expect(!head.lowercased().contains("transfer-encoding"), "\(request)")
            #expect(!head.lowercased().contains("content-length"), "\(request)")
            #expect(head.contains("\r\nConnection: close\r\n"), "\(request)")
            #expect(body.text == "ab", "\(request)")
        }
        harness.finish()
    }

    @Test func S50_theServerDecidesPersistence() throws {
        let harness = try Harness(app: answering("abc"))
        // HTTP/1.0 keep-alive with a known length stays open.
        let old = try harness.client()
        for _ in 0..<2 {
            try old.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            let response = try old.readResponse()
            #expect(response.header("Connection") == "keep-alive")
            #expect(response.bodyText == "abc")
        }
        // A client's Connection: close is honoured.
        let closing = try harness.client()
        try closing.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        #expect(try closing.readResponse().header("Connection") == "close")
        #expect(closing.isClosedByPeer())
        harness.finish()
    }
}
