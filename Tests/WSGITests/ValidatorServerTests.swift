import Testing
import WSGI

/// The server side of the contract beyond the environ: how it drives the body (PEP 3333 S53) and
/// how its `wsgi.input` behaves (S26, S27). Reported, never thrown.
@Suite struct ValidatorServerTests {
    static let helloApp: Application = { _, startResponse in
        try startResponse("200 OK", [("Content-Length", "5")])
        return ["Hello"]
    }

    /// The body a server gets from `app` under a validator reporting to `log`.
    static func validatedBody(_ app: @escaping Application, _ log: ViolationLog) throws -> ResponseBody {
        try Validator(app, onViolation: log.handler)(makeEnviron(), RecordingStartResponse().startResponse)
    }

    @Test func aBodyClosedOncePasses() throws {
        let log = ViolationLog()
        var body = try Self.validatedBody(Self.helloApp, log)
        #expect(try body.next() == "Hello")
        #expect(try body.next() == nil)
        body.close()
        #expect(log.checks == [])
    }

    @Test func aBodyReleasedWithoutClose() throws {
        let log = ViolationLog()
        do {
            var body = try Self.validatedBody(Self.helloApp, log)
            _ = try body.next()
        }
        #expect(log.checks == [.bodyNotClosed])
    }

    @Test func aBodyClosedTwice() throws {
        let log = ViolationLog()
        var body = try Self.validatedBody(Self.helloApp, log)
        var copy = body
        body.close()
        copy.close()
        #expect(log.checks == [.bodyClosedTwice])
    }

    @Test func nextAfterClose() throws {
        let log = ViolationLog()
        var body = try Self.validatedBody(Self.helloApp, log)
        var copy = body
        body.close()
        #expect(try copy.next() == nil)
        #expect(log.checks == [.nextAfterClose])
    }

    @Test func theApplicationsCloseRunsOnce() throws {
        let log = ViolationLog()
        let closes = Counter()
        let app: Application = { _, startResponse in
            try startResponse("200 OK", [])
            return ResponseBody(next: { nil }, close: { closes.increment() })
        }
        var body = try Self.validatedBody(app, log)
        var copy = body
        body.close()
        copy.close()
        #expect(closes.value == 1)
        #expect(log.checks == [.bodyClosedTwice])
    }

    /// An application that sends data, then reports an error through `start_response`.
    static let failingLate: Application = { _, startResponse in
        try startResponse("200 OK", [])
        var step = 0
        return ResponseBody(next: {
            step += 1
            if step == 1 { return "partial" }
            struct Failure: Error {}
            try startResponse("500 Internal Server Error", [], Failure())
            return nil
        })
    }

    @Test func aServerThatRethrowsTheLateErrorPasses() throws {
        let log = ViolationLog()
        var sent = false
        let server = StartResponse { _, _, error in
            if let error, sent { throw error }
            return Write { _ in }
        }
        var body = try Validator(Self.failingLate, onViolation: log.handler)(makeEnviron(), server)
        defer { body.close() }
        #expect(try body.next() == "partial")
        sent = true
        #expect(throws: (any Error).self) { try body.next() }
        #expect(log.checks == [])
    }

    @Test func aServerThatSwallowsTheLateError() {
        let run = ValidatedRun(Self.failingLate)
        #expect(run.checks == [.errorNotRethrown])
    }

    /// Reads `reads` through the validator's `wsgi.input` proxy and returns what was reported.
    static func readThroughValidator(_ input: any WSGIInput, contentLength: String?, reads: [Int]) -> [Violation.Check] {
        var environ = makeEnviron(method: "POST")
        environ.input = input
        environ["CONTENT_LENGTH"] = contentLength
        return ValidatedRun({ environ, startResponse in
            for size in reads { _ = try environ.input.read(size) }
            try startResponse("200 OK", [])
            return []
        }, environ).checks
    }

    /// A stream that hands out one byte more than asked.
    final class GreedyInput: WSGIInput {
        func read(_ size: Int) throws -> Bytes { Bytes([UInt8](repeating: 0x61, count: max(size, 0) + 1)) }
        func readline(_ size: Int) throws -> Bytes { try read(size) }
        func close() {}
    }

    /// A stream without buffered semantics: at most one byte per call, as a raw socket might.
    final class TricklingInput: WSGIInput {
        func read(_ size: Int) throws -> Bytes { "a" }
        func readline(_ size: Int) throws -> Bytes { "a" }
        func close() {}
    }

    @Test func correctReadsPass() {
        #expect(Self.readThroughValidator(BytesInput("0123456789"), contentLength: "10", reads: [4, 4, 4, 4, -1]) == [])
    }

    @Test func aReadLargerThanAsked() {
        #expect(Self.readThroughValidator(GreedyInput(), contentLength: nil, reads: [2]) == [.inputOverread])
    }

    @Test func moreBytesThanContentLength() {
        #expect(Self.readThroughValidator(BytesInput("0123456789"), contentLength: "4", reads: [-1]) == [.inputOverread])
    }

    @Test func dataAfterAShortRead() {
        #expect(Self.readThroughValidator(TricklingInput(), contentLength: nil, reads: [4, 4]) == [.inputShortRead])
    }

    @Test func readlineThroughTheProxyKeepsItsSemantics() {
        let run = ValidatedRun({ environ, startResponse in
            let lines = try environ.input.readlines()
            try startResponse("200 OK", [])
            return ResponseBody(lines)
        }, makeEnviron(method: "POST", body: "a\nbb\nccc"))
        #expect(run.checks == [])
        #expect(run.response?.chunks == ["a\n", "bb\n", "ccc"])
    }
}
