import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Each timeout fires, does what it should, and is logged by name.
@Suite struct TimeoutTests {
    static let hello: Application = { _, startResponse in
        try startResponse("200 OK", [("Content-Length", "5")])
        return ["Hello"]
    }

    static func server(_ recorder: LogRecorder, app: @escaping Application = hello, _ configure: @escaping (inout ServerConfiguration) -> Void) throws -> TestServer {
        try TestServer(app: app, logger: recorder.logger(level: .debug), configure: configure)
    }

    static func fired(_ recorder: LogRecorder, _ name: String) -> Bool {
        recorder.records.contains { $0.metadata["timeout"] == name }
    }

    @Test func slowlorisGets408WhileOthersAreServed() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.headerRead = .milliseconds(400) }
        defer { server.stop() }
        let slow = try server.client()
        try slow.send("GET / HTTP/1.1\r\n")
        // Trickle header bytes: activity must not extend the header deadline.
        for byte in "Host: slowloris.example\r\n".utf8.prefix(5) {
            try slow.send([byte])
            // A normal client on another connection is answered meanwhile.
            #expect(try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "Hello")
            usleep(50_000)
        }
        let response = try slow.readResponse(timeout: 5)
        #expect(response.status == 408)
        #expect(response.header("Connection") == "close")
        #expect(slow.isClosedByPeer())
        #expect(Self.fired(recorder, "header read"))
    }

    @Test func headerTimeoutIsPerRequestOnKeepAlive() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.headerRead = .milliseconds(300) }
        defer { server.stop() }
        let client = try server.client()
        // Several requests, each well within the timeout, spanning more than it in total.
        for _ in 0..<5 {
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
            usleep(100_000)
        }
        #expect(!Self.fired(recorder, "header read"))
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.keepAliveIdle = .milliseconds(300) }
        defer { server.stop() }
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        #expect(client.isClosedByPeer(timeout: 5))
        #expect(Self.fired(recorder, "keep-alive idle"))
    }

    @Test func stalledBodyGets408() throws {
        let recorder = LogRecorder()
        let calls = Counter()
        let server = try Self.server(recorder, app: { environ, startResponse in
            calls.increment()
            return try Self.hello(environ, startResponse)
        }) { $0.timeouts.bodyRead = .milliseconds(300) }
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse(timeout: 5)
        #expect(response.status == 408)
        #expect(calls.count == 0)
        #expect(Self.fired(recorder, "body read"))
    }

    @Test func clientThatStopsReadingIsCutOff() throws {
        let recorder = LogRecorder()
        let closes = Counter()
        let server = try Self.server(recorder, app: StreamingTests.endless(size: 64 * 1024, pulls: Counter(), closes: closes)) {
            $0.timeouts.write = .milliseconds(400)
        }
        defer { server.stop() }
        let client = try RawClient(port: server.port, receiveBuffer: 16 * 1024)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(closes.wait(timeout: 10) { $0 >= 1 } == 1)
        #expect(Self.fired(recorder, "write"))
    }

    @Test func silentNewConnectionIsClosed() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.headerRead = .milliseconds(300) }
        defer { server.stop() }
        let client = try server.client()
        #expect(client.isClosedByPeer(timeout: 5))
        #expect(Self.fired(recorder, "header read"))
    }
}
