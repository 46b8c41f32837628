import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// Every timeout rule, in memory with a manual clock: each fires exactly at its deadline, not a
/// moment before or after, and what a client does meanwhile extends it only where the rule says so.
/// (TimeoutTests of ServerTests keeps what needs a running loop: others served meanwhile, the
/// sweep firing on its own.)
@Suite struct TimeoutTests {
    static let hello: Application = { _, startResponse in
        try startResponse("200 OK", [("Content-Length", "5")])
        return ["Hello"]
    }

    static func client(app: @escaping Application = hello, _ configure: (inout ServerConfiguration.Timeouts) -> Void) throws -> MemoryConnection {
        try MemoryConnection(app: app) { configure(&$0.timeouts) }
    }

    @Test func aSlowlorisGets408AtTheHeaderDeadlineFromItsFirstByteHoweverItTrickles() throws {
        let client = try Self.client { $0.headerRead = .milliseconds(400) }
        client.send("GET / HTTP/1.1\r\n")
        // A byte every 99 ms: activity must not extend the header deadline.
        for byte in "Host: s".utf8.prefix(4) {
            client.advance(milliseconds: 99)
            client.send([byte])
        }
        #expect(client.rawOutput().isEmpty, "396 ms: before the deadline")
        client.advance(milliseconds: 3)
        #expect(client.rawOutput().isEmpty, "399 ms")
        client.advance(milliseconds: 1)
        let response = try client.response()
        #expect(response.status == 408, "400 ms: the deadline")
        #expect(response.header("Connection") == "close")
        #expect(client.transport.isShutDown)
    }

    @Test func theHeaderDeadlineIsPerRequestOnKeepAlive() throws {
        let client = try Self.client { $0.headerRead = .milliseconds(300) }
        // Five requests 100 ms apart: 500 ms in all, each head within its own 300 ms.
        for _ in 0..<5 {
            client.send("GET / HTTP/1.1\r\n")
            client.advance(milliseconds: 100)
            client.send("Host: x\r\n\r\n")
        }
        #expect(try client.responses().map(\.status) == Array(repeating: 200, count: 5))
        #expect(client.state == .awaitingRequest)
    }

    @Test func anIdleKeepAliveConnectionClosesAtItsDeadline() throws {
        let client = try Self.client { $0.keepAliveIdle = .milliseconds(300) }
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().status == 200)
        client.advance(milliseconds: 299)
        #expect(!client.transport.isClosed)
        client.advance(milliseconds: 1)
        #expect(client.transport.isClosed)
    }

    @Test func aStalledBodyGets408AtTheBodyDeadlineFromItsLastByteAndTheApplicationIsNotCalled() throws {
        let calls = Counter()
        let client = try Self.client(app: { environ, startResponse in
            calls.increment()
            return try Self.hello(environ, startResponse)
        }) { $0.bodyRead = .milliseconds(300) }
        client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        client.advance(milliseconds: 200)
        client.send("de")  // body bytes extend the body deadline
        client.advance(milliseconds: 299)
        #expect(client.rawOutput().isEmpty)
        client.advance(milliseconds: 1)
        #expect(try client.response().status == 408)
        #expect(calls.count == 0)
    }

    @Test func aClientThatStopsReadingIsCutOffAtTheWriteDeadline() throws {
        let closes = Counter()
        let client = try Self.client(app: { _, startResponse in
            try startResponse("200 OK", [])
            return ResponseBody(next: { Bytes([UInt8](repeating: 0x61, count: 65536)) }, close: { closes.increment() })
        }) { $0.write = .milliseconds(400) }
        client.transport.acceptsWrites = false
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.transport.hasQueuedWrites, "the first chunk waits in a queued write")
        client.advance(milliseconds: 399)
        #expect(!client.transport.isClosed)
        client.advance(milliseconds: 1)
        #expect(client.transport.isClosed)
        #expect(closes.count == 1)
    }

    @Test func aSilentNewConnectionClosesAtTheHeaderDeadline() throws {
        let client = try Self.client { $0.headerRead = .milliseconds(300) }
        client.advance(milliseconds: 299)
        #expect(!client.transport.isClosed)
        client.advance(milliseconds: 1)
        #expect(client.transport.isClosed)
        #expect(client.rawOutput().isEmpty, "nothing was asked: no 408")
    }

    @Test func aDrainingServerGivesAnIdleConnectionItsGraceThenClosesIt() throws {
        let client = try Self.client { $0.keepAliveIdle = .seconds(60) }
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().status == 200)
        client.context.isDraining = true
        client.connection.drain()
        client.advance(milliseconds: Connection.drainGrace - 1)
        #expect(!client.transport.isClosed)
        client.advance(milliseconds: 1)
        #expect(client.transport.isClosed)
    }

    @Test func aRequestArrivingDuringTheDrainGraceIsAnsweredWithConnectionClose() throws {
        let client = try Self.client { _ in }
        client.context.isDraining = true
        client.connection.drain()
        client.advance(milliseconds: Connection.drainGrace / 2)
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.response()
        #expect(response.status == 200)
        #expect(response.header("Connection") == "close")
    }

    @Test func aLingeringCloseEndsAtItsDeadline() throws {
        let client = try Self.client { $0.lingeringClose = .milliseconds(500) }
        client.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(try client.response().header("Connection") == "close")
        #expect(client.state == .lingering)
        client.send("more bytes the client sent are read and dropped")
        client.advance(milliseconds: 499)
        #expect(client.state == .lingering)
        client.advance(milliseconds: 1)
        #expect(client.transport.isClosed)
    }
}
