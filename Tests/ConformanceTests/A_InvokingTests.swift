import Testing
import TestSupport
import WSGIServer

/// Checklist A: invoking the application (PEP 3333 "Specification Details", "The Server/Gateway Side").
@Suite struct InvokingTests {
    // MARK: S1

    struct StructApp: WSGIApplication {
        func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
            try sameResponse(environ, startResponse)
        }
    }

    final class ClassApp: WSGIApplication {
        func callAsFunction(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
            try sameResponse(environ, startResponse)
        }
    }

    static func plainFunction(environ: Environ, startResponse: StartResponse) throws -> ResponseBody {
        try sameResponse(environ, startResponse)
    }

    @Test func S1_everyKindOfCallableIsServedAlike() throws {
        let forms: [(String, Application)] = [
            ("closure", { environ, startResponse in try sameResponse(environ, startResponse) }),
            ("function", InvokingTests.plainFunction),
            ("struct", StructApp().application),
            ("class", ClassApp().application),
        ]
        var answers: [String] = []
        for (_, app) in forms {
            let harness = try Harness(app: app)
            let response = try harness.get("/form?x=1")
            // Everything but the Date header must be identical.
            answers.append("\(response.status) \(response.reason) \(response.headers.filter { $0.0 != "Date" }) \(response.bodyText)")
            harness.finish()
        }
        #expect(answers.count == 4)
        #expect(Set(answers).count == 1, "\(answers)")
        #expect(answers[0].contains("/form x=1"))
    }

    // MARK: S2

    @Test(arguments: [0, 3])
    func S2_theApplicationIsCalledOncePerRequest(threads: Int) throws {
        let calls = Counter()
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            let number = calls.increment()
            try startResponse("200 OK", [("Content-Length", String(String(number).utf8.count))])
            return [Bytes(utf8: String(number))]
        })
        let client = try harness.client()
        for index in 1...100 {
            try client.send("GET /\(index) HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().bodyText == String(index))
        }
        #expect(calls.count == 100)
        harness.finish()
    }

    // MARK: S3

    @Test(arguments: [0, 2])
    func S3_startResponseMayBeCalledByTheFirstIteration(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { _, startResponse in
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1:
                    try startResponse("404 Not Found", [("Content-Type", "text/plain"), ("X-From-Generator", "yes")])
                    return "not "
                case 2: return "here"
                default: return nil
                }
            })
        })
        let response = try harness.get("/missing")
        #expect(response.status == 404)
        #expect(response.reason == "Not Found")
        #expect(response.header("X-From-Generator") == "yes")
        #expect(response.bodyText == "not here")
        harness.finish()
    }

    @Test func S3_startResponseCalledAfterEmptyChunksStillCounts() throws {
        // The generator yields empty chunks before deciding on its status.
        let harness = try Harness(app: { _, startResponse in
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1, 2: return ""
                case 3:
                    try startResponse("201 Created", [("Content-Length", "4")])
                    return "made"
                default: return nil
                }
            })
        })
        let response = try harness.get("/")
        #expect(response.status == 201)
        #expect(response.bodyText == "made")
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S3_aBodyThatNeverCallsStartResponseIsAnError(threads: Int) throws {
        // Iteration ends (or yields data) and start_response was never called: nothing valid can
        // be sent, so the client gets a 500 (the Validator names the application's fault).
        let harness = try Harness(threads: threads, app: { environ, _ in
            environ["PATH_INFO"] == "/data" ? ["data"] : ResponseBody(next: { nil })
        })
        for path in ["/data", "/empty"] {
            StartResponseTests.expectGeneric500(try harness.get(path))
        }
        harness.finish(applicationChecks: [.startResponseNotCalled])
    }

    // MARK: S4

    /// A body that is also file-like: the server must only iterate, close and count it.
    final class SpyBody: ResponseIterator, FileLike {
        let touched: Shared<[String]>
        private var chunks: [Bytes] = ["spy ", "body"]

        init(_ touched: Shared<[String]>) { self.touched = touched }

        func next() throws -> Bytes? {
            touched.update { $0.append("next") }
            return chunks.isEmpty ? nil : chunks.removeFirst()
        }

        func close() { touched.update { $0.append("close") } }

        var count: Int? {
            touched.update { $0.append("count") }
            return nil
        }

        // Traps: nothing but iteration, close() and count may be used.
        func read(_ size: Int) throws -> Bytes {
            touched.update { $0.append("read") }
            return "TRAP"
        }

        var fileDescriptor: Int32? {
            touched.update { $0.append("fileDescriptor") }
            return 0
        }
    }

    @Test(arguments: [0, 2])
    func S4_onlyIterationCloseAndCountAreUsed(threads: Int) throws {
        let touched = Shared<[String]>([])
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(SpyBody(touched))
        })
        let response = try harness.get("/")
        #expect(response.bodyText == "spy body")
        #expect(eventually { touched.value.contains("close") })
        harness.finish()
        let used = touched.value
        #expect(Set(used).isSubset(of: ["next", "close", "count"]), "\(used)")
        #expect(used.filter { $0 == "close" }.count == 1)
        #expect(used.filter { $0 == "next" }.count == 3)
    }

    // MARK: S5

    @Test func S5_aOneChunkListGetsItsContentLength() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ["hello"]
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(raw.splitHead)
        #expect(head.contains("\r\nContent-Length: 5\r\n"))
        #expect(!head.lowercased().contains("transfer-encoding"))
        #expect(body.text == "hello")
        harness.finish()
    }

    @Test func S5_noLengthIsComputedForOtherBodies() throws {
        // Two chunks, a lazy sequence (no len()), and a body after write(): all chunked.
        let harness = try Harness(app: { environ, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            switch environ["PATH_INFO"] {
            case "/two": return ["hel", "lo"]
            case "/lazy": return ResponseBody(["hello"].lazy.map { Bytes(utf8: $0) })
            default:
                try write("he")
                return ["llo"]
            }
        })
        for path in ["/two", "/lazy", "/write"] {
            let response = try harness.get(path)
            #expect(response.isChunked, "\(path)")
            #expect(response.header("Content-Length") == nil, "\(path)")
            #expect(response.bodyText == "hello", "\(path)")
        }
        harness.finish()
    }
}

/// The response every form of S1 gives: depends only on the request.
private func sameResponse(_ environ: Environ, _ startResponse: StartResponse) throws -> ResponseBody {
    let text = "\(environ["PATH_INFO"] ?? "-") \(environ["QUERY_STRING"] ?? "-")"
    try startResponse("200 OK", [("Content-Type", "text/plain"), ("X-Form", "same")])
    return [Bytes(utf8: text)]
}
