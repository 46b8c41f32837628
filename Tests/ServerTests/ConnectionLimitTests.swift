import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// The connection ceiling, many idle connections, and descriptor exhaustion.
@Suite struct ConnectionLimitTests {
    @Test func acceptingPausesAtTheLimitAndResumes() throws {
        let server = try TestServer(app: TimeoutTests.hello, configure: { $0.maxConnections = 3 })
        defer { server.stop() }
        let held = try (0..<3).map { _ in try server.client() }
        for client in held {
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.readResponse()
        }
        // The kernel completes the handshake (backlog), but the server does not accept it yet.
        let waiting = try server.client()
        try waiting.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(throws: RawClient.Failure.self) { try waiting.receiveSome(timeout: 0.5) }
        held[0].close()
        #expect(try waiting.readResponse(timeout: 5).bodyText == "Hello")
    }

    @Test func twoThousandIdleConnectionsThenNormalRequests() throws {
        let server = try TestServer(app: TimeoutTests.hello)
        defer { server.stop() }
        var idle: [RawClient] = []
        for index in 0..<2000 {
            let client = try server.client()
            if index % 2 == 0 {  // half have had a request, half never sent a byte
                try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = try client.readResponse()
            }
            idle.append(client)
        }
        let fresh = try server.client()
        for _ in 0..<20 {
            try fresh.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try fresh.readResponse().bodyText == "Hello")
        }
        try idle[1].send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try idle[1].readResponse().bodyText == "Hello")
    }

    @Test func descriptorExhaustionIsSurvived() throws {
        // 256 descriptors in all and 1000 clients: the server must neither crash nor spin; it caps
        // its connections below the descriptor limit (the rest wait in the kernel's backlog), logs
        // that a few lines a second at most (not one per connection), and recovers.
        let demo = try ServerProcess(
            ["/usr/bin/prlimit", "--nofile=256:256", ServerProcess.binaryPath(), "--bind", "127.0.0.1:0"],
            executable: "/usr/bin/env", captureLog: true
        )
        var clients: [RawClient] = []
        for _ in 0..<1000 { if let client = try? RawClient(port: demo.port) { clients.append(client) } }
        for client in clients { try? client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(demo.waitForLog("accepting paused"))
        clients.removeAll()
        // Once the server has seen those connections close it has descriptors again: a new
        // connection is served (one accepted while it was still out of them is dropped, so retry).
        let recovered = eventually(timeout: 10) {
            guard let after = try? RawClient(port: demo.port) else { return false }
            try? after.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            return (try? after.readResponse(timeout: 2))?.bodyText == "Index"
        }
        #expect(recovered)
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
        let lines = demo.log.split(separator: "\n").filter { $0.contains("accepting paused") || $0.contains("accept failed") }
        #expect(lines.count < 100, "\(lines.count) lines about shed connections")
    }
}
