import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// Keep-alive, pipelining, closing: how one connection carries requests, with no socket.
@Suite struct PersistenceTests {
    static let hello: Application = { environ, startResponse in
        let body = Bytes(utf8: environ["PATH_INFO"] ?? "?")
        try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", String(body.count))])
        return [body]
    }

    @Test func keepAliveCarriesTheNextRequest() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().bodyText == "/a")
        #expect(client.state == .awaitingRequest)
        client.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        let second = try client.response()
        #expect(second.bodyText == "/b")
        #expect(second.header("Connection") == nil)
        #expect(!client.transport.isShutDown)
    }

    @Test func pipelinedRequestsAreAnsweredInOrderInOneWrite() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.responses().map(\.bodyText) == ["/1", "/2", "/3"])
        #expect(client.transport.writeCalls == 1)
    }

    @Test func aRequestSplitAnywhereIsTheSameRequest() throws {
        let request = Array("GET /split HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\r\n".utf8)
        for cut in 1..<request.count {
            let client = try MemoryConnection(app: Self.hello)
            client.send(Array(request[..<cut]))
            #expect(client.transport.output.isEmpty)
            client.send(Array(request[cut...]))
            #expect(try client.response().bodyText == "/split", "cut at \(cut)")
        }
    }

    @Test func connectionCloseFinishesAfterTheResponse() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.response()
        #expect(response.bodyText == "/a")
        #expect(response.header("Connection") == "close")
        #expect(client.transport.isShutDown, "FIN after the response")
        #expect(client.state == .lingering)
    }

    @Test func http10WithoutKeepAliveCloses() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /a HTTP/1.0\r\n\r\n")
        let response = try client.response()
        #expect(response.header("Connection") == "close")
        #expect(client.transport.isShutDown)
    }

    @Test func http10KeepAliveIsAnswered() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        #expect(try client.response().header("Connection") == "keep-alive")
        #expect(client.state == .awaitingRequest)
    }

    @Test func requestsReceivedBeforeFINAreAllAnswered() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n")
        client.sendEOF()
        #expect(try client.responses().map(\.bodyText) == ["/1", "/2"])
        #expect(client.transport.isClosed, "closed once the peer finished and the responses are out")
        #expect(client.closeCallbacks == 1)
    }

    @Test func aRequestCutByFINIsDropped() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /1 HTTP/1.1\r\nHo")
        client.sendEOF()
        #expect(client.transport.output.isEmpty)
        #expect(client.transport.isClosed)
    }

    @Test func aMalformedRequestIsRefusedAndNothingAfterItIsRead() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\nGET /bad HTTP/1.1\r\nHost : x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = try client.responses()
        #expect(responses.map(\.status) == [200, 400])
        #expect(responses.last?.header("Connection") == "close")
        #expect(client.transport.isShutDown)
    }

    @Test func anUnreadBodyNeverBecomesTheNextRequest() throws {
        let client = try MemoryConnection(app: Self.hello)
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        client.send("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: \(smuggled.utf8.count)\r\n\r\n\(smuggled)GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.responses().map(\.bodyText) == ["/a", "/b"])
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() throws {
        let client = try MemoryConnection(app: Self.hello)
        client.send("PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        #expect(client.rawOutput() == "HTTP/1.1 100 Continue\r\n\r\n")
        client.send("ok")
        #expect(try client.response().bodyText == "/a")
    }

    @Test func pipelinedInputBeyondItsBoundStopsReadingUntilTheSocketDrains() throws {
        // A streamed body: its first chunk must reach the socket before the second is pulled.
        let client = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            return ResponseBody(["a", "b"].lazy.map { $0 })
        }, configure: { $0.maxBufferedInput = 100 })
        client.transport.acceptsWrites = false
        let request = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
        client.send(String(repeating: request, count: 11))
        #expect(client.transport.hasQueuedWrites, "the first response waits for the socket")
        #expect(!client.transport.isReading, "the 10 requests behind it (280 bytes) pass the bound")
        client.transport.drain()
        #expect(try client.responses().count == 11)
        #expect(client.transport.isReading)
    }
}
