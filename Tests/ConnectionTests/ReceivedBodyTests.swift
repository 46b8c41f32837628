import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// An application on the loop thread reading a streamed body (`LoopThreadBodies.streamed`, what
/// workers use): it starts once the bytes at hand are in the body, and each read with nothing
/// unread has the connection receive more from the socket, bytes past the body staying there
/// (Connection+ReceivingBody).
@Suite struct ReceivedBodyTests {
    static func streaming(_ app: @escaping Application) throws -> MemoryConnection {
        try MemoryConnection(app: app) { configuration in
            configuration.loopThreadBodies = .streamed
            configuration.bodyMemoryThreshold = 1024
            configuration.timeouts.bodyRead = .milliseconds(10)
        }
    }

    /// Reads the whole body 4 KiB at a time; answers its length and a checksum, or why a read
    /// failed.
    static let summing: Application = { environ, startResponse in
        var total = 0
        var sum = 0
        var answer: String
        do {
            while case let piece = try environ.input.read(4096), !piece.isEmpty {
                total += piece.count
                sum = Self.checksum(piece, from: sum)
            }
            answer = "\(total) \(sum)"
        } catch {
            answer = "failed after \(total): \(error)"
        }
        let body = Bytes(answer.utf8)
        try startResponse("200 OK", [("Content-Length", "\(body.count)")])
        return [body]
    }

    static func checksum(_ bytes: some Sequence<UInt8>, from start: Int = 0) -> Int {
        bytes.reduce(start) { ($0 &* 31 &+ Int($1)) & 0xFF_FFFF }
    }

    static let payload = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }

    static func chunked(_ bytes: [UInt8], size: Int) -> [UInt8] {
        var framed: [UInt8] = []
        for start in stride(from: 0, to: bytes.count, by: size) {
            let piece = bytes[start..<min(start + size, bytes.count)]
            framed += Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10]
        }
        return framed + Array("0\r\n\r\n".utf8)
    }

    @Test(arguments: [false, true])
    func theApplicationReadsALargeBodyAsItArrives(chunked: Bool) throws {
        let client = try Self.streaming(Self.summing)
        let head = chunked
            ? "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            : "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: \(Self.payload.count)\r\n\r\n"
        let body = chunked ? Self.chunked(Self.payload, size: 3000) : Self.payload
        let next = Array("GET /next HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // The client sends 10 KB each time the application waits, a few bytes per segment.
        var unsent = body.dropFirst(500)
        client.transport.receivesAtMost = 1000
        client.transport.whileWaitingToRead = { [weak client] in
            let part = unsent.prefix(10_000)
            unsent = unsent.dropFirst(part.count)
            client?.sendUnreceived(Array(part) + (unsent.isEmpty ? next : []))
        }
        client.send(Array(head.utf8) + body.prefix(500))
        // The application read while the body arrived, waiting about ten times for the client.
        #expect(client.transport.readWaits >= 10)
        #expect(try client.response().bodyText == "\(Self.payload.count) \(Self.checksum(Self.payload))")
        // The pipelined request was left to the loop's next read, then answered.
        #expect(client.transport.unreceived.elementsEqual(next))
        #expect(client.state == .awaitingRequest)
        client.deliverUnreceived()
        #expect(try client.response().bodyText == "0 0")
    }

    /// Chunk-size lines cut anywhere, the first one by the end of the bytes at hand: the parser's
    /// leftover is held and parsed again with what completes it.
    @Test func chunkLinesCutByEveryReceiveAreParsedWhole() throws {
        let client = try Self.streaming(Self.summing)
        let body = Self.chunked(Array(Self.payload.prefix(300)), size: 100) + Array("GET /next HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        client.transport.receivesAtMost = 1
        client.sendUnreceived(Array(body.dropFirst(1)))
        client.send(Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + body.prefix(1))
        #expect(try client.response().bodyText == "300 \(Self.checksum(Self.payload.prefix(300)))")
        client.deliverUnreceived()
        #expect(try client.response().bodyText == "0 0")
    }

    @Test func continueGoesOutAtTheFirstRead() throws {
        let client = try Self.streaming(Self.summing)
        var outputWhenReading = ""
        client.transport.whileWaitingToRead = { [weak client] in
            guard let client, outputWhenReading.isEmpty else { return }
            outputWhenReading = client.rawOutput()
            client.sendUnreceived(Array(Self.payload.prefix(5000)))
        }
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n")
        #expect(outputWhenReading == "HTTP/1.1 100 Continue\r\n\r\n")
        let response = try client.response()
        #expect(response.bodyText == "5000 \(Self.checksum(Self.payload.prefix(5000)))")
        #expect(response.header("Connection") == nil)
        #expect(client.state == .awaitingRequest)
    }

    @Test func anApplicationAnsweringWithoutReadingSparesTheUploadAndCloses() throws {
        let calls = Counter()
        let client = try Self.streaming { _, startResponse in
            calls.increment()
            try startResponse("413 Content Too Large", [("Content-Length", "0")])
            return []
        }
        // The body is shaped like a request: it must never be taken for one.
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        client.sendUnreceived(Array((smuggled + String(repeating: "z", count: 2000 - smuggled.utf8.count)).utf8))
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\nExpect: 100-continue\r\n\r\n")
        let output = client.rawOutput()
        #expect(!output.contains("100 Continue"))
        #expect(output.hasPrefix("HTTP/1.1 413 "))
        #expect(output.contains("Connection: close"))
        #expect(client.transport.readWaits == 0)
        client.deliverUnreceived()
        #expect(calls.count == 1)
        #expect(client.state != .awaitingRequest && client.state != .responding)
    }

    @Test func aBodyReadHalfIsNeverARequest() throws {
        let client = try Self.streaming { environ, startResponse in
            let first = try environ.input.read(100)
            try startResponse("200 OK", [("Content-Length", "\(first.count)")])
            return [first]
        }
        let smuggled = Array("GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        // More than one receive takes: the body is not received to its end.
        let length = 2 * LoopContext.receiveScratchSize
        client.sendUnreceived(smuggled + [UInt8](repeating: 0x7A, count: length - smuggled.count))
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(length)\r\n\r\n")
        let response = try client.response()
        #expect(response.body.count == 100)
        #expect(response.header("Connection") == "close")
        client.deliverUnreceived()
        #expect(try client.responses().isEmpty)
        #expect(client.state != .awaitingRequest && client.state != .responding)
    }

    /// A body that fails while the application reads it fails its read; once the application
    /// returned, its answer is dropped for what a failed body gets before the application runs: a
    /// 408 or a 400, or nothing for a client gone.
    @Test(arguments: [("silent", 408), ("malformed", 400), ("gone", 0)])
    func aBodyThatCannotArriveFailsTheReadAndTheRequest(how: String, status: Int) throws {
        let reads = Counter()
        let client = try Self.streaming { environ, startResponse in
            do {
                _ = try environ.input.read()
            } catch {
                reads.increment()
            }
            try startResponse("200 OK", [("Content-Length", "7")])
            return ["dropped"]
        }
        switch how {
        case "gone": client.transport.peerFinished = true
        case "malformed": client.sendUnreceived(Array("zz\r\n".utf8))
        default: break
        }
        client.send(Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n".utf8))
        #expect(reads.count == 1, "the read raised")
        let responses = try client.responses()
        #expect(responses.map(\.status) == (status == 0 ? [] : [status]))
        #expect(responses.allSatisfy { $0.header("Connection") == "close" })
        #expect(client.state != .awaitingRequest && client.state != .responding)
    }

    @Test func aBodyUnderTheMemoryThresholdIsReceivedWholeFirst() throws {
        let calls = Counter()
        let client = try Self.streaming { environ, startResponse in
            calls.increment()
            return try Self.summing(environ, startResponse)
        }
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "a", count: 400))
        #expect(calls.count == 0, "the application waits for the whole body")
        client.send(String(repeating: "a", count: 600))
        #expect(try client.response().bodyText == "1000 \(Self.checksum([UInt8](repeating: 97, count: 1000)))")
        #expect(client.transport.readWaits == 0)
    }
}
