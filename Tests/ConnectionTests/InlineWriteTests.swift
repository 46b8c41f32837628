import Synchronization
import Testing
import TestSupport
import UVLoop
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// The legacy `write()` of an application on the loop thread: every block is handed to the
/// "kernel" before `write()` returns (PEP 3333), the application waiting while the socket is full,
/// and nothing that changes the connection happens before the application returns control
/// (Connection+Pushing).
@Suite struct InlineWriteTests {
    /// What the application saw, in order, across threads (the app closure is `Sendable`).
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// Lets the application look at its connection's transport (set once the connection exists).
    /// `@unchecked Sendable`: the application runs on the test's own thread (inline), which alone
    /// touches the transport.
    final class TransportProbe: @unchecked Sendable {
        weak var transport: MemoryTransport?
        var outputCount: Int { transport?.outputCount ?? -1 }
    }

    static let chunk = Bytes([UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024))

    @Test func everyWrittenBlockReachesTheSocketBeforeWriteReturns() throws {
        let probe = TransportProbe()
        let seen = Mutex<[Int]>([])
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            for text in ["a", "bb", "ccc"] {
                try write(Bytes(utf8: text))
                seen.withLock { $0.append(probe.outputCount) }
            }
            return ["dddd"]
        })
        probe.transport = client.transport
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let counts = seen.withLock { $0 }
        // The head and "a" left with the first write, then each block with its own write.
        #expect(counts.count == 3)
        #expect(counts[0] > 0 && counts[0] < counts[1] && counts[1] < counts[2])
        #expect(client.transport.waits == 0)
        client.flushPoint()
        #expect(try client.response().bodyText == "abbcccdddd")
    }

    @Test func aSlowClientMakesWriteWaitOneBlockAtATime() throws {
        let probe = TransportProbe()
        let written = Mutex(0)
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            for _ in 0..<64 {
                try write(Self.chunk)
                written.withLock { $0 += Self.chunk.count }
            }
            return []
        })
        probe.transport = client.transport
        client.transport.takesAtMost = 8 * 1024
        var mostAhead = 0
        // While write() waits, what the application handed over and the socket did not take yet
        // is at most the block being written (plus its framing): nothing piles up.
        client.transport.whileWaiting = {
            let ahead = written.withLock { $0 } + Self.chunk.count - probe.outputCount
            mostAhead = max(mostAhead, ahead)
        }
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.transport.waits > 100)
        #expect(mostAhead <= Self.chunk.count)
        client.transport.takesAtMost = .max
        client.flushPoint()
        let response = try client.response()
        #expect(response.isChunked)
        #expect(response.body.count == 64 * Self.chunk.count)
        #expect(client.state == .awaitingRequest)
    }

    @Test func aClientThatReadsNothingFailsTheWriteAfterTheWriteTimeout() throws {
        let events = Events()
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            do {
                for index in 0..<10 {
                    try write(Self.chunk)
                    events.add("wrote \(index)")
                }
            } catch {
                events.add("write failed")
                throw error
            }
            return []
        }) { $0.timeouts.write = .milliseconds(10) }
        client.transport.acceptsWrites = false
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        // The first block waited once (the memory socket never becomes writable), then write()
        // raised; the connection closed once the application returned.
        #expect(events.all == ["write failed"])
        #expect(client.transport.waits == 1)
        #expect(client.state == .closed)
    }

    @Test func aClientGoneMidWriteFailsTheWriteAndTheNextConnectionIsServed() throws {
        let events = Events()
        let app: Application = { _, startResponse in
            let write = try startResponse("200 OK", [])
            do {
                for _ in 0..<4 { try write(Self.chunk) }
            } catch {
                events.add("write failed")
                throw error
            }
            return ResponseBody(next: { nil }, close: { events.add("closed") })
        }
        let gone = try MemoryConnection(app: app)
        gone.transport.takesAtMost = 4 * 1024
        gone.transport.whileWaiting = { [weak gone] in gone?.transport.failure = UVError(-104, "uv_try_write") }
        gone.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(events.all == ["write failed"], "the body was never returned, so nothing to close")
        #expect(gone.state == .closed)
        let next = try MemoryConnection(app: app)
        next.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        next.flushPoint()
        #expect(try next.response().body.count == 4 * Self.chunk.count)
    }

    @Test func aWriteReachingTheContentLengthEndsTheResponseOnlyAfterTheApplicationReturns() throws {
        let events = Events()
        let length = 100_000
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Length", "\(length)")])
            for _ in 0..<40 { try write(Self.chunk) }
            events.add("returned")
            return ResponseBody(next: { nil }, close: { events.add("closed") })
        })
        client.transport.takesAtMost = 8 * 1024
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.transport.takesAtMost = .max
        client.flushPoint()
        let responses = try client.responses()
        #expect(responses.map(\.body.count) == [length, length])
        #expect(events.all == ["returned", "closed", "returned", "closed"], "close runs after the application returned")
        #expect(client.state == .awaitingRequest)
    }

    @Test func writesFromTheIterationGoOutInOrder() throws {
        let steps = Counter()
        let client = try MemoryConnection(app: { _, startResponse in
            ResponseBody(next: {
                switch steps.increment() {
                case 1:
                    let write = try startResponse("200 OK", [])
                    try write("a")
                    return "b"
                case 2: return "c"
                default: return nil
                }
            })
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        client.flushPoint()
        #expect(try client.response().bodyText == "abc")
    }
}
