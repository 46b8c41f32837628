import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Checklist F: body iteration, streaming and `close()` (PEP 3333 "Buffering and Streaming",
/// "Specification Details", "The write() Callable", "Handling the Content-Length Header").
@Suite struct BodyTests {
    // MARK: S51

    @Test(arguments: [0, 2])
    func S51_aChunkReachesTheClientBeforeTheNextIsAskedFor(threads: Int) throws {
        let received = Gate()
        let opened = Shared(false)
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1: return "a"
                case 2:
                    // Blocks until the test has received "a": only possible if "a" was sent
                    // before this step was asked for.
                    opened.value = received.wait(timeout: 10)
                    return "b"
                default: return nil
                }
            })
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try client.receive(until: "\r\n1\r\na\r\n", timeout: 8)
        received.open()
        let response = try client.readResponse()
        #expect(opened.value, "chunk \"a\" arrived only after the application had produced \"b\"")
        #expect(response.bodyText == "ab")
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S51_theBodyIsPulledOnlyAsFastAsTheClientReads(threads: Int) throws {
        let chunk = Bytes([UInt8](repeating: 0x41, count: 1 << 20))
        let total = 64
        let pulls = Counter()
        let closes = Counter()
        // Checked at every pull, whatever the timing: how far the server got ahead of the client.
        let clientRead = Shared(0)
        let furthestAhead = Shared(0)
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", String(total * chunk.count))])
            let body = countedBody(Array(repeating: chunk, count: total), pulls: pulls, closes: closes)
            var inner = body
            return ResponseBody(next: {
                let ahead = pulls.count * chunk.count - clientRead.value
                furthestAhead.update { $0 = max($0, ahead) }
                return try inner.next()
            }, close: { inner.close() })
        })
        let client = try RawClient(port: harness.port, receiveBuffer: 65536)
        try client.send("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        var received = 0
        while case let bytes = try client.receiveSome(max: 65536, timeout: 30), !bytes.isEmpty {
            received += bytes.count
            clientRead.value = received
        }
        // The server holds at most what the socket buffers take, never the 64 MiB the application
        // could produce: a server that buffered would pull everything while the client had read
        // almost nothing.
        #expect(furthestAhead.value < 24 << 20, "the server got \(furthestAhead.value >> 20) MiB ahead of the client")
        #expect(received > total * chunk.count)
        #expect(pulls.count == total + 1 || pulls.count == total, "\(pulls.count)")
        #expect(eventually { closes.count == 1 })
        harness.finish()
    }

    @Test func S52_bodyBytesAreOpaque() throws {
        let allBytes = Bytes((0...255).map { UInt8($0) } + Array("\r\n\r\n0\r\n\r\n\u{0}\n\r".utf8))
        let harness = try Harness(app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Type", "application/octet-stream")])
            // "/chunked": several chunks, so the framing is chunked; else one chunk (Content-Length).
            if environ["PATH_INFO"] == "/chunked" {
                return ResponseBody([allBytes.slice(0..<100), allBytes.slice(100..<allBytes.count)].makeIterator())
            }
            return [allBytes]
        })
        for path in ["/chunked", "/length"] {
            let response = try harness.get(path)
            #expect(response.body == allBytes.array, "\(path)")
            #expect(response.isChunked == (path == "/chunked"))
        }
        harness.finish()
    }

    // MARK: S53

    @Test(arguments: [0, 2])
    func S53_closeOnceAfterANormalEnd(threads: Int) throws {
        let pulls = Counter()
        let closes = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return countedBody(["a", "b", "c"], pulls: pulls, closes: closes)
        })
        let client = try harness.client()
        for round in 1...5 {
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().bodyText == "abc")
            #expect(eventually { closes.count == round })
        }
        harness.finish()
        #expect(closes.count == 5)
        #expect(pulls.count == 20)
    }

    @Test(arguments: [0, 2])
    func S53_closeOnceWhenIterationFails(threads: Int) throws {
        let closes = Counter()
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            let failAt = environ["PATH_INFO"] == "/before" ? 1 : 2
            var step = 0
            return ResponseBody(next: {
                step += 1
                if step == failAt { throw MarkedError() }
                return "data"
            }, close: { closes.increment() })
        })
        #expect(try harness.get("/before").status == 500)
        #expect(eventually { closes.count == 1 })
        let client = try harness.client()
        try client.send("GET /after HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readToEOF().text.hasSuffix("4\r\ndata\r\n"))
        #expect(eventually { closes.count == 2 })
        harness.finish()
        #expect(closes.count == 2)
    }

    @Test(arguments: [0, 2])
    func S53_closeOnceWhenTheClientGoesAway(threads: Int) throws {
        let pulls = Counter()
        let closes = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return countedBody(nil, pulls: pulls, closes: closes)  // endless
        })
        var client: RawClient? = try harness.client()
        try client?.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try client?.receive(until: "\r\n\r\n")
        client?.abortOnRelease()
        client = nil
        #expect(eventually(timeout: 10) { closes.count == 1 }, "close() was not called after the client left")
        let pulledAtClose = pulls.count
        // Once the server stopped (its loops and threads joined), no application code runs.
        harness.finish()
        #expect(pulls.count == pulledAtClose, "iteration went on after close()")
        #expect(closes.count == 1)
    }

    @Test(arguments: [0, 2])
    func S53_closeOnceWhenContentLengthIsReached(threads: Int) throws {
        let pulls = Counter()
        let closes = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "5")])
            return countedBody(["12345", "67890"], pulls: pulls, closes: closes)
        })
        #expect(try harness.get("/").bodyText == "12345")
        #expect(eventually { closes.count == 1 })
        harness.finish()
        #expect(closes.count == 1)
        #expect(pulls.count == 1, "the server asked for more after Content-Length was reached")
    }

    @Test(arguments: [0, 2])
    func S53_closeOnceWhenTheResponseHasNoBody(threads: Int) throws {
        let closes = Counter()
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            let status = environ["PATH_INFO"] == "/204" ? "204 No Content" : environ["PATH_INFO"] == "/304" ? "304 Not Modified" : "200 OK"
            try startResponse(status, [("Content-Type", "text/plain")])
            return countedBody(["a", "b"], pulls: Counter(), closes: closes)
        })
        let client = try harness.client()
        try client.send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse(head: true).status == 200)
        #expect(eventually { closes.count == 1 })
        for (index, path) in ["/204", "/304"].enumerated() {
            try client.send("GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().body.isEmpty)
            #expect(eventually { closes.count == index + 2 })
        }
        harness.finish()
        #expect(closes.count == 3)
    }

    @Test(arguments: [0, 2], [false, true])
    func S53_closeOnceWhenTheServerShutsDown(threads: Int, graceful: Bool) throws {
        let closes = Counter()
        let harness = try Harness(threads: threads, configure: { $0.gracefulTimeout = .milliseconds(300) }, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return countedBody(nil, pulls: Counter(), closes: closes)  // endless, and the client never reads
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try client.receive(until: "\r\n\r\n")
        #expect(closes.count == 0)
        harness.stop(graceful: graceful)
        #expect(eventually { closes.count == 1 })
        harness.finish()
        #expect(closes.count == 1)
    }

    // MARK: S54

    @Test func S54_iterationStopsWhenTheClientDisconnects() throws {
        let pulls = Counter()
        let closes = Counter()
        let harness = try Harness(threads: 2, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return countedBody(nil, filler: Bytes([UInt8](repeating: 0x2E, count: 1024)), pulls: pulls, closes: closes)
        })
        var client: RawClient? = try harness.client()
        try client?.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try client?.receive(until: "\r\n\r\n")
        client?.abortOnRelease()
        client = nil
        #expect(eventually(timeout: 10) { closes.count == 1 })
        let pulled = pulls.count
        harness.finish()
        #expect(pulls.count == pulled, "iteration went on after close()")
    }

    // MARK: S55

    @Test(arguments: [0, 2])
    func S55_emptyChunksAreSkipped(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(["", "a", "", "", "b", ""].lazy.map { Bytes(utf8: $0) })
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(raw.splitHead)
        #expect(head.contains("\r\nTransfer-Encoding: chunked\r\n"))
        #expect(body.text == "1\r\na\r\n1\r\nb\r\n0\r\n\r\n")
        harness.finish()
    }

    // MARK: S56

    @Test func S56_bodyChunksAreBytesByType() throws {
        // `ResponseBody` holds `Bytes` only: a `String` chunk does not compile, so there is no
        // text to reject at run time. A string *literal* is a bytes literal (Python's b"..."),
        // written as its UTF-8 bytes, never re-encoded.
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return ["é€"]
        })
        #expect(try harness.get("/").body == [0xC3, 0xA9, 0xE2, 0x82, 0xAC])
        harness.finish()
    }

    // MARK: S57

    /// Inline (the loop thread runs the application) and with application threads.
    static let modes = [0, 2]

    @Test(arguments: modes) func S57_writtenDataIsSentWhileTheApplicationProceeds(threads: Int) throws {
        let received = Gate()
        let opened = Shared(false)
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("x")
            // The application goes on working: "x" must be on its way meanwhile.
            opened.value = received.wait(timeout: 8)
            return ["y"]
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        // "x" arrives while the application is still blocked waiting for this test.
        try client.receive(until: "\r\n1\r\nx\r\n", timeout: 8)
        received.open()
        let response = try client.readResponse()
        #expect(response.bodyText == "xy")
        #expect(opened.value)
        harness.finish()
    }

    @Test(arguments: modes) func S57_dataWrittenFromTheIterationIsSentWhileItProceeds(threads: Int) throws {
        let received = Gate()
        let opened = Shared(false)
        let steps = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(next: {
                guard steps.increment() == 1 else { return nil }
                try write("x")
                opened.value = received.wait(timeout: 8)
                return "y"
            })
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        try client.receive(until: "\r\n1\r\nx\r\n", timeout: 8)
        received.open()
        #expect(try client.readResponse().bodyText == "xy")
        #expect(opened.value)
        harness.finish()
    }

    @Test(arguments: modes) func S57_writtenDataIsNeverLost(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            let big = Bytes([UInt8](repeating: 0x42, count: 300_000))
            for _ in 0..<4 { try write(big) }
            return []
        })
        let response = try harness.get("/")
        #expect(response.body.count == 1_200_000)
        #expect(response.body.allSatisfy { $0 == 0x42 })
        harness.finish()
    }

    // MARK: S58

    @Test(arguments: modes) func S58_writtenDataPrecedesTheBody(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            try write("a")
            try write("")
            try write("b")
            return ["c", "d"]
        })
        let response = try harness.get("/")
        #expect(response.bodyText == "abcd")
        #expect(response.isChunked)  // write() was used: no computed Content-Length (S5)
        harness.finish()
    }

    @Test(arguments: modes) func S58_writeDuringTheIterationPrecedesWhatThatStepYields(threads: Int) throws {
        // PEP 3333 does not forbid it (an earlier reading of ours did); gunicorn, wsgiref and
        // wsgiref.validate accept it.
        let steps = Counter()
        let harness = try Harness(threads: threads, app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(next: {
                switch steps.increment() {
                case 1:
                    try write("a")
                    return "b"
                case 2:
                    try write("c")
                    return "d"
                default:
                    return nil
                }
            })
        })
        #expect(try harness.get("/").bodyText == "abcd")
        harness.finish()
    }

    @Test(arguments: modes) func S58_anHgwebStyleGeneratorStartsAndWritesFromItsFirstStep(threads: Int) throws {
        // Mercurial's hgweb serves /archive/tip.tar.gz so: the returned generator calls
        // start_response, then write() with the whole archive, then ends without yielding.
        let archive = Bytes((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let harness = try Harness(threads: threads, app: { _, startResponse in
            ResponseBody(next: {
                guard let write = try? startResponse("200 OK", [("Content-Type", "application/x-gzip")]) else { return nil }
                try write(archive)
                return nil
            })
        })
        let response = try harness.get("/archive/tip.tar.gz")
        #expect(response.status == 200)
        #expect(response.body == archive.array)
        harness.finish()
    }

    @Test(arguments: modes) func S58_writeAfterTheResponseEndedIsRefused(threads: Int) throws {
        let thrown = Shared<String?>(nil)
        let harness = try Harness(threads: threads, exposeServer: true, app: { environ, startResponse in
            let server = ServerCallables.of(environ)
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody(next: { nil }, close: {
                do { try server.write?("too late") } catch { thrown.value = "\(error)" }
            })
        })
        #expect(try harness.get("/").bodyText == "")
        // With application threads close() runs on the pool thread after the response went out.
        #expect(eventually { thrown.value != nil })
        harness.finish()
    }

    // MARK: S59

    @Test func S59_theServerStopsAtContentLength() throws {
        // Through the Validator: the second chunk is never asked for.
        let pulls = Counter()
        let harness = try Harness(app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Length", "5")])
            if environ["PATH_INFO"] == "/next" { return ["next!"] }
            return countedBody(["12345", "67890"], pulls: pulls, closes: Counter())
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\nGET /next HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().bodyText == "12345")
        #expect(try client.readResponse().bodyText == "next!")
        #expect(pulls.count == 1)
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S59_excessBytesInAChunkAreNotSent(threads: Int) throws {
        // A single chunk longer than Content-Length (the Validator would refuse it before the
        // server sees it, so only the environ is validated here).
        let closes = Counter()
        let harness = try Harness(threads: threads, validation: .environOnly, app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Length", "5")])
            if environ["PATH_INFO"] == "/next" { return ["next!"] }
            return countedBody(["1234567890", "more"], pulls: Counter(), closes: closes)
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\nGET /next HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().bodyText == "12345")
        #expect(try client.readResponse().bodyText == "next!")
        #expect(eventually { closes.count == 1 })
        harness.finish()
        #expect(harness.logs.records.contains { $0.level >= .warning && $0.message.contains("more than its Content-Length") })
    }

    @Test(arguments: [0, 2])
    func S59_aShortBodyClosesTheConnectionAndIsLogged(threads: Int) throws {
        let closes = Counter()
        let harness = try Harness(threads: threads, validation: .environOnly, app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "10")])
            return countedBody(["12345"], pulls: Counter(), closes: closes)
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        #expect(raw.splitHead?.body.text == "12345")
        #expect(eventually { closes.count == 1 })
        harness.finish()
        #expect(harness.errorRecords.contains { $0.message.contains("less than its Content-Length") })
    }

    @Test func S59_theValidatorReportsAShortBodyAsTheApplications() throws {
        // A generator, so that the server asks for the end (a one-chunk list it trusts by len()).
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "10")])
            return ResponseBody(["12345"].makeIterator())
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readToEOF().splitHead?.body.text == "12345")
        harness.finish(applicationChecks: [.responseLength])
    }

    @Test func S59_conflictingContentLengthsAreRefused() throws {
        // Two Content-Length headers would reach the client as two different framings.
        let (response, thrown) = try StartResponseTests.probe { server in
            try server.startResponse("200 OK", [("Content-Length", "5"), ("Content-Length", "10")])
            return ["0123456789"]
        }
        #expect(thrown as? WSGIError == .invalidHeaderValue(name: "Content-Length"), "\(String(describing: thrown))")
        StartResponseTests.expectGeneric500(response)
    }

    @Test func S59_theValidatorReportsTwoContentLengthsAsTheApplications() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "5"), ("Content-Length", "5")])
            return ["01234"]
        })
        StartResponseTests.expectGeneric500(try harness.get("/"))
        harness.finish(applicationChecks: [.header])
    }

    // MARK: S60

    @Test func S60_chunkedFramingFollowsRFC9112() throws {
        let big = Bytes([UInt8](repeating: 0x61, count: 300))
        let sixteen = Bytes([UInt8](repeating: 0x62, count: 16))
        let harness = try Harness(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            return ResponseBody([big, sixteen, "z"].makeIterator())
        })
        let raw = try harness.rawExchange("GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        let (head, body) = try #require(raw.splitHead)
        #expect(head.contains("\r\nTransfer-Encoding: chunked\r\n"))
        #expect(!head.contains("Content-Length"))
        let expected = Array("12c\r\n".utf8) + big.array + Array("\r\n10\r\n".utf8) + sixteen.array + Array("\r\n1\r\nz\r\n0\r\n\r\n".utf8)
        #expect(body == expected)
        // And the connection is reusable after the terminator.
        let client = try harness.client()
        for _ in 0..<3 {
            try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
            #expect(try client.readResponse().body.count == 317)
        }
        harness.finish()
    }

    // MARK: S61

    @Test(arguments: [0, 2])
    func S61_headResponsesCarryNoBody(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            switch environ["PATH_INFO"] {
            case "/length":
                try startResponse("200 OK", [("Content-Length", "5")])
                return ["hello"]
            case "/list":
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return ["hello"]
            default:
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return ResponseBody(["he", "llo"].lazy.map { Bytes(utf8: $0) })
            }
        })
        let client = try harness.client()
        try client.send("HEAD /generator HTTP/1.1\r\nHost: test\r\n\r\n")
        let generator = try client.readResponse(head: true)
        #expect(generator.header("Transfer-Encoding") == nil)
        #expect(generator.header("Content-Length") == nil)
        try client.send("HEAD /length HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse(head: true).header("Content-Length") == "5")
        try client.send("HEAD /list HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse(head: true).header("Content-Length") == "5")
        // Had any body byte leaked, this response would not parse.
        try client.send("GET /length HTTP/1.1\r\nHost: test\r\n\r\n")
        #expect(try client.readResponse().bodyText == "hello")
        harness.finish()
    }

    @Test(arguments: [0, 2])
    func S61_204And304CarryNoBodyWhateverTheApplicationYields(threads: Int) throws {
        let harness = try Harness(threads: threads, app: { environ, startResponse in
            let code = String(environ["PATH_INFO"]!.dropFirst())
            let status = code == "204" ? "204 No Content" : "304 Not Modified"
            try startResponse(status, [("Content-Type", "text/plain"), ("Content-Length", "10")])
            return ["0123456789"]
        })
        for code in ["204", "304"] {
            let client = try harness.client()
            try client.send("GET /\(code) HTTP/1.1\r\nHost: test\r\n\r\nGET /\(code) HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            let raw = try client.readToEOF()
            #expect(raw.count(of: Array("HTTP/1.1 \(code)".utf8)) == 2, "\(raw.text.debugDescription)")
            #expect(raw.firstRange(of: Array("0123456789".utf8)) == nil)
            #expect(!raw.text.contains("Transfer-Encoding"))
            // 204 must not declare a length; 304 keeps the one of the representation.
            #expect(raw.text.contains("Content-Length: 10") == (code == "304"))
        }
        harness.finish()
    }

    @Test func S61_anInformationalFinalStatusCarriesNoBody() throws {
        let harness = try Harness(app: { _, startResponse in
            try startResponse("199 Odd", [("Content-Length", "3")])
            return ["abc"]
        })
        let client = try harness.client()
        try client.send("GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        let raw = try client.readToEOF()
        let (head, body) = try #require(raw.splitHead)
        #expect(head.hasPrefix("HTTP/1.1 199 Odd\r\n"))
        #expect(!head.contains("Content-Length"))
        #expect(body.isEmpty)
        harness.finish()
    }
}

/// Reads the raw response until the server closes, keeping only counts (for large bodies).
func discardToEOF(_ client: RawClient, timeout: Double = 30) throws -> (head: String, body: Int) {
    var head: [UInt8] = []
    var body = 0
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let deadline = Date().addingTimeInterval(timeout)
    var headDone = false
    while Date() < deadline {
        var poller = pollfd(fd: client.fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 1000) > 0 else { continue }
        let count = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
        if count <= 0 { return (String(decoding: head, as: UTF8.self), body) }
        if headDone {
            body += count
        } else {
            head += buffer[0..<count]
            if let end = head.firstRange(of: Array("\r\n\r\n".utf8)) {
                body += head.count - end.upperBound
                head.removeSubrange(end.upperBound...)
                headDone = true
            }
        }
    }
    throw HarnessFailure("no EOF within \(timeout)s")
}

/// A body that counts its steps and its `close()` calls: `chunks` then the end, or for ever
/// when `chunks` is nil (`filler` each time).
func countedBody(_ chunks: [Bytes]?, filler: Bytes = Bytes([UInt8](repeating: 0x2E, count: 65536)),
                 pulls: Counter, closes: Counter) -> ResponseBody {
    var remaining = chunks
    return ResponseBody(next: {
        pulls.increment()
        guard var list = remaining else { return filler }
        guard !list.isEmpty else { return nil }
        let chunk = list.removeFirst()
        remaining = list
        return chunk
    }, close: { closes.increment() })
}
