import Testing
import WSGI

/// The application side of the contract: each rule is reported, thrown into the server where it
/// is broken, and not reported for an application that keeps it.
@Suite struct ValidatorApplicationTests {
    /// An application that starts the response with `status` and `headers`, then returns `chunks`.
    static func app(_ status: String = "200 OK", _ headers: ResponseHeaders = [], _ chunks: [Bytes] = []) -> Application {
        { _, startResponse in
            try startResponse(status, headers)
            return ResponseBody(chunks)
        }
    }

    @Test func aCorrectApplicationPasses() {
        let run = ValidatedRun(Self.app("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], ["He", "", "llo"]))
        #expect(run.checks == [])
        #expect(run.thrown == nil)
        #expect(run.response?.bodyText == "Hello")
    }

    @Test(arguments: ["200OK", "20 OK", "200 OK\r\n", "200 \u{20AC}"])
    func invalidStatus(status: String) {
        let run = ValidatedRun(Self.app(status))
        #expect(run.checks == [.status])
        #expect(run.thrownCheck == .status)
    }

    @Test(arguments: [
        [("Bad Name", "x")], [("X-Split", "a\r\nb")], [("Connection", "close")], [("Status", "200 OK")],
        [("X-Euro", "\u{20AC}")], [("Content-Length", "12x")], [("Content-Length", "-1")],
        [("Content-Length", "1"), ("content-length", "1")],
    ])
    func invalidHeaders(headers: [(String, String)]) {
        let run = ValidatedRun(Self.app("200 OK", headers, ["x"]))
        #expect(run.checks == [.header])
        #expect(run.thrownCheck == .header)
    }

    @Test func startResponseCalledTwice() {
        let run = ValidatedRun { _, startResponse in
            try startResponse("200 OK", [])
            try startResponse("500 Internal Server Error", [])
            return []
        }
        #expect(run.checks == [.startResponseCalledTwice])
        #expect(run.thrownCheck == .startResponseCalledTwice)
    }

    @Test func aFailedFirstCallStillCounts() {
        let run = ValidatedRun { _, startResponse in
            _ = try? startResponse("bad", [])
            try startResponse("200 OK", [])
            return []
        }
        #expect(run.checks == [.status, .startResponseCalledTwice])
    }

    @Test func aSecondCallWithAnErrorReplacesTheHeaders() {
        struct Failure: Error {}
        let run = ValidatedRun { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "100")])
            try startResponse("500 Internal Server Error", [("Content-Length", "5")], Failure())
            return ["error"]
        }
        #expect(run.checks == [])
        #expect(run.response?.status == "500 Internal Server Error")
    }

    /// Thrown at the chunk itself, so the data never reaches the server.
    @Test func dataBeforeStartResponse() throws {
        let log = ViolationLog()
        var body = try Validator({ _, _ in ["early"] }, onViolation: log.handler)(makeEnviron(), RecordingStartResponse().startResponse)
        defer { body.close() }
        let error = #expect(throws: Violation.self) { try body.next() }
        #expect(error?.check == .startResponseNotCalled)
        #expect(log.checks == [.startResponseNotCalled])
    }

    @Test func bodyEndsWithoutStartResponse() {
        let run = ValidatedRun { _, _ in ["", ""] }
        #expect(run.checks == [.startResponseNotCalled])
        #expect(run.thrownCheck == .startResponseNotCalled)
    }

    /// PEP 3333 S3: a generator may call start_response in its first step, after empty chunks.
    @Test func startResponseFromInsideTheBodyPasses() {
        let run = ValidatedRun { _, startResponse in
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1: return ""
                case 2:
                    try startResponse("404 Not Found", [("Content-Length", "4")])
                    return "gone"
                default: return nil
                }
            })
        }
        #expect(run.checks == [])
        #expect(run.response?.status == "404 Not Found")
        #expect(run.response?.bodyText == "gone")
    }

    @Test func writeBeforeReturningPasses() {
        let run = ValidatedRun { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Length", "6")])
            try write("abc")
            return ["def"]
        }
        #expect(run.checks == [])
        #expect(run.response?.bodyText == "abcdef")
    }

    @Test func writeDuringIterationPasses() {
        // PEP 3333 does not forbid it; Mercurial's hgweb writes its archives that way.
        let steps = Counter()
        let run = ValidatedRun { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Length", "6")])
            return ResponseBody(next: {
                switch steps.increment() {
                case 1:
                    try write("ab")
                    return "cd"
                case 2:
                    try write("ef")
                    return nil
                default: return nil
                }
            })
        }
        #expect(run.checks == [])
        #expect(run.response?.bodyText == "abcdef")
    }

    @Test func startResponseAndWriteFromTheFirstIterationPass() {
        // hgweb's shape: a generator that starts the response and writes, then ends.
        let run = ValidatedRun { _, startResponse in
            ResponseBody(next: {
                guard let write = try? startResponse("200 OK", [("Content-Type", "application/x-tar")]) else { return nil }
                try write("archive")
                return nil
            })
        }
        #expect(run.checks == [])
        #expect(run.response?.bodyText == "archive")
    }

    @Test func writeAfterClose() {
        let run = ValidatedRun { _, startResponse in
            let write = try startResponse("200 OK", [])
            return ResponseBody(next: { nil }, close: { _ = try? write("too late") })
        }
        #expect(run.checks == [.writeAfterClose])
    }

    @Test func moreBytesThanContentLength() {
        let run = ValidatedRun(Self.app("200 OK", [("Content-Length", "3")], ["ab", "cd"]))
        #expect(run.checks == [.responseLength])
        #expect(run.thrownCheck == .responseLength)
    }

    @Test func writtenBytesCountTowardsContentLength() {
        let run = ValidatedRun { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Length", "2")])
            try write("ab")
            return ["c"]
        }
        #expect(run.checks == [.responseLength])
        #expect(run.thrownCheck == .responseLength)
    }

    @Test func fewerBytesThanContentLength() {
        let run = ValidatedRun(Self.app("200 OK", [("Content-Length", "5")], ["abc"]))
        #expect(run.checks == [.responseLength])
        #expect(run.thrownCheck == .responseLength)
    }

    /// HEAD and 304 answers may declare the length of a representation they do not carry.
    @Test func headAndNotModifiedMayDeclareAnUnsentLength() {
        let head = ValidatedRun(Self.app("200 OK", [("Content-Length", "5")]), makeEnviron(method: "HEAD"))
        let notModified = ValidatedRun(Self.app("304 Not Modified", [("Content-Length", "5")]))
        #expect(head.checks == [] && head.thrown == nil)
        #expect(notModified.checks == [] && notModified.thrown == nil)
    }

    /// A body whose `count` (Python's `len()`) says 2 but which produces 3 chunks.
    struct MiscountedBody: ResponseIterator {
        var remaining = 3
        var count: Int? { 2 }
        mutating func next() throws -> Bytes? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            return "x"
        }
    }

    @Test func countThatDoesNotMatchTheChunks() {
        let run = ValidatedRun { _, startResponse in
            try startResponse("200 OK", [])
            return ResponseBody(MiscountedBody())
        }
        #expect(run.checks == [.chunkCount])
        #expect(run.thrownCheck == .chunkCount)
    }

    @Test func theBodyCountIsForwarded() throws {
        let validator = Validator(Self.app("200 OK", [], ["a", "b"]), onViolation: ViolationLog().handler)
        var body = try validator(makeEnviron(), RecordingStartResponse().startResponse)
        defer { body.close() }
        #expect(body.count == 2)
    }

    @Test func closingTheInput() {
        let run = ValidatedRun { environ, startResponse in
            environ.input.close()
            try startResponse("200 OK", [])
            return []
        }
        #expect(run.checks == [.inputClosed])
        #expect(run.thrown == nil)
    }

    @Test func readingTheInputPasses() {
        let run = ValidatedRun({ environ, startResponse in
            let first = try environ.input.readline()
            let rest = try environ.input.read()
            try startResponse("200 OK", [])
            return [first, rest]
        }, makeEnviron(method: "POST", body: "line\nrest"))
        #expect(run.checks == [])
        #expect(run.response?.bodyText == "line\nrest")
    }

    @Test func everyApplicationRuleIsThrownAndEveryServerRuleIsNot() {
        #expect(Violation.Check.status.side == .application)
        #expect(Violation.Check.bodyNotClosed.side == .server)
        #expect(Violation(.status, "x").description == "WSGI application violation (status): x")
    }
}
