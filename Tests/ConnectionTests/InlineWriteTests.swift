import Synchronization
import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// The legacy `write()` of an application on the loop thread: beyond a window its data goes out
/// while the application runs, the application waiting for the client, so a slow client cannot
/// make the server buffer without bound (Connection+Pushing).
@Suite struct InlineWriteTests {
    /// What the application saw, in order, across threads (the app closure is `Sendable`).
    final class Events: Sendable {
        private let list = Mutex<[String]>([])
        func add(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    static let chunk = Bytes([UInt8](repeating: UInt8(ascii: "x"), count: 16 * 1024))

    @Test func dataBeyondTheWindowIsWrittenWhileTheApplicationRuns() throws {
        let events = Events()
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            for _ in 0..<64 { try write(Self.chunk) }
            events.add("returned")
            return []
        })
        client.transport.takesAtMost = 8 * 1024
        var mostQueued = 0
        // Weak: the transport belongs to the client, which must not be kept alive by its own hook.
        client.transport.whileWaiting = { [weak client] in
            mostQueued = max(mostQueued, client?.connection.pushed.byteCount ?? 0)
        }
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        // Waits happened: the socket took 8 KiB at a time, so every window was written while the
        // application waited; what waited never exceeded the window (plus one write).
        #expect(client.transport.waits > 100)
        #expect(mostQueued <= Connection.pushWindow + Self.chunk.count)
        client.transport.takesAtMost = .max
        client.flushPoint()
        let response = try client.response()
        #expect(response.isChunked)
        #expect(response.body.count == 64 * Self.chunk.count)
        #expect(events.all == ["returned"])
        #expect(client.state == .awaitingRequest)
    }

    @Test func aClientThatReadsNothingEndsTheWritingApplicationAfterTheWriteTimeout() throws {
        let events = Events()
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            do {
                for index in 0..<10_000 {
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
        // The window filled, one wait (the memory socket never becomes writable), then write()
        // raised: nothing more was queued, and the connection is on its way out.
        let written = events.all.filter { $0.hasPrefix("wrote") }.count
        #expect(written == Connection.pushWindow / Self.chunk.count - 1)
        #expect(events.all.last == "write failed")
        #expect(client.transport.waits == 1)
        #expect(client.connection.pushed.parts.isEmpty)
        #expect(client.state == .lingering || client.state == .closed || client.state == .finishing)
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

    @Test func writesUnderTheWindowWaitForTheApplicationToReturn() throws {
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            for _ in 0..<3 { try write(Self.chunk) }
            return []
        })
        client.transport.takesAtMost = 8 * 1024
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.transport.waits == 0, "no wait: the loop writes asynchronously once the application returned")
        client.transport.drain()
        client.transport.takesAtMost = .max
        #expect(try client.response().body.count == 3 * Self.chunk.count)
    }
}
