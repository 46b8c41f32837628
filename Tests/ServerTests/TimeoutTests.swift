import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Timeouts on a running loop: its sweep fires them on its own, and a connection waiting for its
/// deadline costs the others nothing. (Each rule and its exact deadline: ConnectionTests'
/// TimeoutTests, in memory with a manual clock.)
@Suite struct TimeoutTests {
    static let hello: Application = { _, startResponse in
        try startResponse("200 OK", [("Content-Length", "5")])
        return ["Hello"]
    }

    static func server(_ recorder: LogRecorder, _ configure: @escaping (inout ServerConfiguration) -> Void) throws -> TestServer {
        try TestServer(app: hello, logger: recorder.logger(level: .debug), configure: configure)
    }

    static func fired(_ recorder: LogRecorder, _ name: String) -> Bool {
        recorder.records.contains { $0.metadata["timeout"] == name }
    }

    @Test func aSlowlorisGets408WhileOthersAreServed() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.headerRead = .milliseconds(400) }
        defer { server.stop() }
        let slow = try server.client()
        try slow.send("GET / HTTP/1.1\r\n")
        for byte in "Host: slowloris.example\r\n".utf8.prefix(5) {
            try slow.send([byte])
            // A normal client on another connection is answered meanwhile.
            #expect(try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "Hello")
        }
        let response = try slow.readResponse(timeout: 5)
        #expect(response.status == 408)
        #expect(slow.isClosedByPeer())
        #expect(Self.fired(recorder, "header read"))
    }

    @Test func theSweepClosesASilentNewConnection() throws {
        let recorder = LogRecorder()
        let server = try Self.server(recorder) { $0.timeouts.headerRead = .milliseconds(300) }
        defer { server.stop() }
        let client = try server.client()
        #expect(client.isClosedByPeer(timeout: 5))
        #expect(Self.fired(recorder, "header read"))
    }
}
