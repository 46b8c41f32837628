import Synchronization
import Testing
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// The rules of a response (PEP 3333 and RFC 9112 framing) end to end through one connection, from
/// request bytes to response bytes, without sockets.
@Suite struct ResponseRulesTests {
    static func answering(status: String = "200 OK", headers: ResponseHeaders, body: [Bytes]) -> Application {
        { _, startResponse in
            try startResponse(status, headers)
            return ResponseBody(body)
        }
    }

    @Test func headSentWithTheFirstChunkAndALengthComputedForOneChunk() throws {
        let client = try MemoryConnection(app: Self.answering(headers: [("Content-Type", "text/plain")], body: ["hello"]))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = client.rawOutput()
        #expect(raw.hasPrefix("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nDate: "))
        #expect(raw.hasSuffix("\r\n\r\nhello"))
        #expect(client.transport.writeCalls == 1, "head and body in one write")
    }

    @Test func aBodyOfUnknownLengthIsChunkedOnHTTP11AndCloseDelimitedOnHTTP10() throws {
        let body: @Sendable () -> ResponseBody = { ResponseBody(["a", "", "bc"].lazy.map { $0 }) }
        let chunked = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            return body()
        })
        chunked.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = chunked.rawOutput()
        #expect(raw.contains("Transfer-Encoding: chunked\r\n"))
        #expect(raw.hasSuffix("\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n"), "empty chunks are skipped")

        let delimited = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            return body()
        })
        delimited.send("GET / HTTP/1.0\r\n\r\n")
        let response = try delimited.response()
        #expect(response.bodyText == "abc")
        #expect(response.header("Connection") == "close")
        #expect(delimited.transport.isShutDown)
    }

    @Test func headAnd204And304CarryNoBody() throws {
        let head = try MemoryConnection(app: Self.answering(headers: [("Content-Length", "5")], body: ["hello"]))
        head.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        let headResponse = try head.response(head: true)
        #expect(headResponse.header("Content-Length") == "5", "HEAD keeps the GET length")
        #expect(head.transport.output.isEmpty && headResponse.body.isEmpty)

        for status in ["204 No Content", "304 Not Modified"] {
            let client = try MemoryConnection(app: Self.answering(status: status, headers: [], body: ["ignored"]))
            client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let raw = client.rawOutput()
            #expect(!raw.contains("ignored"), "\(status)")
            #expect(!raw.contains("Content-Length") && !raw.contains("Transfer-Encoding"), "\(status): \(raw.debugDescription)")
            #expect(raw.components(separatedBy: "HTTP/1.1 ").count == 3, "two responses, the connection kept")
        }
    }

    @Test func theContentLengthIsNeverExceeded() throws {
        let client = try MemoryConnection(app: Self.answering(headers: [("Content-Length", "3")], body: ["abcdef", "more"]))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.responses().map(\.bodyText) == ["abc", "abc"])
    }

    @Test func aShortBodyClosesTheConnection() throws {
        let client = try MemoryConnection(app: Self.answering(headers: [("Content-Length", "10")], body: ["abc"]))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /never HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.rawOutput().hasSuffix("\r\n\r\nabc"))
        #expect(client.transport.isShutDown, "the client sees the body end short")
    }

    @Test func writtenDataPrecedesTheBodyInOrder() throws {
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [])
            try write("a")
            try write("")
            try write("b")
            return ["c", "d"]
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.response()
        #expect(response.bodyText == "abcd")
        #expect(response.isChunked, "write() was used: no computed length")
    }

    @Test func writtenDataReachingTheContentLengthEndsTheResponse() throws {
        let closed = Counter()
        let client = try MemoryConnection(app: { _, startResponse in
            let write = try startResponse("200 OK", [("Content-Length", "2")])
            try write("ab")
            return ResponseBody(next: { "never sent" }, close: { closed.increment() })
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.responses().map(\.bodyText) == ["ab", "ab"])
        #expect(closed.count == 2)
    }

    @Test func anErrorBeforeTheHeadIsAGeneric500() throws {
        struct Secret: Error {}
        let client = try MemoryConnection(app: { _, _ in throw Secret() })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let responses = try client.responses()
        #expect(responses.map(\.status) == [500, 500])
        #expect(responses[0].bodyText == "Internal Server Error\n")
    }

    @Test func anErrorAfterTheHeadCutsTheResponse() throws {
        struct Late: Error {}
        let client = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            var sent = false
            return ResponseBody(next: {
                if sent { throw Late() }
                sent = true
                return "first"
            })
        })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let raw = client.rawOutput()
        #expect(raw.hasSuffix("\r\n5\r\nfirst\r\n"), "no terminating chunk")
        #expect(client.transport.isShutDown)
    }

    @Test func aBodyWithoutStartResponseIsA500() throws {
        let client = try MemoryConnection(app: { _, _ in ["data"] })
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.response().status == 500)
    }

    @Test func anEmptyBodySaysContentLengthZero() throws {
        let client = try MemoryConnection(app: Self.answering(headers: [], body: []))
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.response()
        #expect(response.header("Content-Length") == "0")
        #expect(!response.isChunked)
    }

    @Test func theNextChunkIsPulledOnlyOnceThePreviousOneLeft() throws {
        let pulled = Counter()
        let client = try MemoryConnection(app: { _, startResponse in
            try startResponse("200 OK", [])
            return ResponseBody(next: { pulled.increment() <= 3 ? "chunk" : nil })
        })
        client.transport.acceptsWrites = false
        client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(pulled.count == 1, "the first chunk waits for the socket")
        client.transport.drain()
        #expect(pulled.count == 4)
        #expect(try client.response().bodyText == "chunkchunkchunk")
    }
}
