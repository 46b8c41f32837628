import Foundation
import Testing
import TestSupport
import WSGIServer

/// Checklist G: errors (PEP 3333 "Error Handling").
@Suite struct ErrorHandlingTests {
    /// Where the test application fails.
    enum FailurePoint: String, CaseIterable, Sendable {
        /// In the application call, before start_response.
        case beforeStart
        /// In the application call, after start_response.
        case afterStart
        /// In the body's first step.
        case firstChunk
        /// In the body's second step, after data went out.
        case afterData
    }

    static func failingApp(at point: FailurePoint, error: MarkedError) -> Application {
        { _, startResponse in
            if point == .beforeStart { throw error }
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            if point == .afterStart { throw error }
            var step = 0
            return ResponseBody(next: {
                step += 1
                if point == .firstChunk || step == 2 { throw error }
                return "partial"
            })
        }
    }

    // MARK: S62

    @Test(arguments: FailurePoint.allCases, [0, 2])
    func S62_everyApplicationErrorIsLoggedOnce(point: FailurePoint, threads: Int) throws {
        let error = MarkedError()
        let harness = try Harness(threads: threads, app: Self.failingApp(at: point, error: error))
        let client = try harness.client()
        try client.send("GET /where HTTP/1.1\r\nHost: test\r\n\r\n")
        _ = try client.readToEOFOrResponse(expectingAbort: point == .afterData)
        #expect(eventually { !harness.errorRecords(mentioning: error.marker).isEmpty })
        harness.finish()
        let records = harness.errorRecords(mentioning: error.marker)
        #expect(records.count == 1, "\(records.map(\.message))")
        // With what a log reader needs to find the request.
        #expect(records.first?.metadata["path"] == "/where")
        #expect(records.first?.metadata["method"] == "GET")
    }

    // MARK: S63

    @Test(arguments: [FailurePoint.beforeStart, .afterStart, .firstChunk], [0, 2])
    func S63_anErrorBeforeAnyDataGivesAGeneric500(point: FailurePoint, threads: Int) throws {
        let error = MarkedError()
        let harness = try Harness(threads: threads, app: Self.failingApp(at: point, error: error))
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let response = try client.readResponse()
        StartResponseTests.expectGeneric500(response)
        #expect(!response.bodyText.contains(error.marker))
        #expect(!response.headers.contains { $0.1.contains(error.marker) })
        // The connection is still good for the next request.
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().status == 500)
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S63_anErrorAfterDataAbortsTheConnection(threads: Int) throws {
        let error = MarkedError()
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            // "/length": a declared length the body never reaches; else chunked.
            var headers: ResponseHeaders = [("Content-Type", "text/plain")]
            if environ["PATH_INFO"] == "/length" { headers.append(("Content-Length", "100")) }
            try startResponse("200 OK", headers)
            var step = 0
            return ResponseBody(next: {
                step += 1
                if step == 2 { throw error }
                return "partial"
            })
        })
        let chunked = try harness.client()
        try chunked.send("GET /chunked HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try chunked.readToEOF()
        #expect(raw.splitHead?.body.text == "7\r\npartial\r\n")
        let sized = try harness.client()
        try sized.send("GET /length HTTP/1.1\r\nHost: test\r\n\r\n")
        let rawSized = try sized.readToEOF()
        #expect(rawSized.splitHead?.body.text == "partial")
        #expect(!raw.text.contains(error.marker) && !rawSized.text.contains(error.marker))
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S63_anErrorAfterWriteSendsTheWrittenDataThenAborts(threads: Int) throws {
        // Data given to write() committed the response (its headers count as sent): a later error
        // cannot turn it into a 500; the data goes out and the connection is cut.
        let error = MarkedError()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("written")
            throw error
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(body.text == "7\r\nwritten\r\n")
        harness.finish()
        #expect(harness.errorRecords(mentioning: error.marker).count == 1)
    }

    // MARK: S64

    @Test func S64_nothingIsAppendedToAPartialResponse() throws {
        // PEP 3333 lets a server append an error message to a partial text response; this server
        // does not (the client sees a truncated response instead).
        let harness = try Harness(app: Self.failingApp(at: .afterData, error: MarkedError()))
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(raw.splitHead?.body.text == "7\r\npartial\r\n")
        harness.finish()
    }
}

extension RawClient {
    /// A complete response, or (when the response is expected to be cut) everything until EOF.
    fileprivate func readToEOFOrResponse(expectingAbort: Bool) throws -> [UInt8] {
        if expectingAbort { return try readToEOF() }
        return try readResponse().body
    }
}
