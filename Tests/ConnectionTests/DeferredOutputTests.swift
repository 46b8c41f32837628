import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// A connection's turn hands its output to the loop's flush point (after the iteration's I/O
/// callbacks, or before the loop waits), where the outputs of all connections are written back to
/// back: fewer wake-ups of the clients. Nothing may be lost, reordered or left unwritten on the way.
@Suite struct DeferredOutputTests {
    static let hello: Application = { environ, startResponse in
        let body = Bytes(utf8: environ["PATH_INFO"] ?? "?")
        try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", String(body.count))])
        return [body]
    }

    @Test func outputWaitsForTheFlushPoint() throws {
        let client = try MemoryConnection(app: Self.hello, deferring: true)
        client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.transport.output.isEmpty)
        #expect(client.connection.writesInFlight == 1)
        client.flushPoint()
        #expect(try client.response().bodyText == "/a")
        #expect(client.connection.writesInFlight == 0)
        #expect(client.state == .awaitingRequest)
        client.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        client.flushPoint()
        #expect(try client.response().bodyText == "/b")
    }

    @Test func pipelinedRequestsOfOneTurnLeaveInOneWrite() throws {
        let client = try MemoryConnection(app: Self.hello, deferring: true)
        client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        client.flushPoint()
        #expect(try client.responses().map(\.bodyText) == ["/1", "/2"])
        #expect(client.transport.writeCalls == 1)
    }

    @Test func inputArrivingBeforeTheFlushPointIsAnsweredInOrderAfterIt() throws {
        let client = try MemoryConnection(app: Self.hello, deferring: true)
        client.send("GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        client.send("GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.transport.output.isEmpty)
        // At the flush point the first response goes out, then the second request is answered at
        // once (not deferred again: the loop may be about to wait).
        client.flushPoint()
        #expect(try client.responses().map(\.bodyText) == ["/first", "/second"])
        #expect(client.connection.writesInFlight == 0)
    }

    @Test func connectionCloseFinishesAfterTheFlushPoint() throws {
        let client = try MemoryConnection(app: Self.hello, deferring: true)
        client.send("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(client.state == .finishing)
        #expect(!client.transport.isShutDown, "no FIN before the response")
        client.flushPoint()
        #expect(try client.response().bodyText == "/last")
        #expect(client.transport.isShutDown)
    }

    @Test func aConnectionClosedBeforeTheFlushPointWritesNothing() throws {
        let client = try MemoryConnection(app: Self.hello, deferring: true)
        client.send("GET /gone HTTP/1.1\r\nHost: x\r\n\r\n")
        client.connection.close()
        client.flushPoint()
        #expect(client.transport.output.isEmpty)
        #expect(client.state == .closed)
    }
}
