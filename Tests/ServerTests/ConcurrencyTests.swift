import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Loop threads and application threads.
@Suite struct ConcurrencyTests {
    /// Eight requests that can only finish once all eight are inside the application at the same
    /// time: they finish only if eight pool threads run them concurrently. Meanwhile the loop
    /// thread keeps answering other connections.
    @Test func threadPoolRunsBlockingRequestsConcurrently() throws {
        let arrived = Counter()
        let server = try TestServer(app: { environ, startResponse in
            if environ["PATH_INFO"] == "/hello" {
                try startResponse("200 OK", [("Content-Length", "5")])
                return ["Hello"]
            }
            arrived.increment()
            let together = arrived.wait(timeout: 10) { $0 >= 8 } >= 8
            #expect(environ.multithread)
            let body: Bytes = together ? "together" : "alone"
            try startResponse("200 OK", [("Content-Length", String(body.count))])
            return [body]
        }, configure: { $0.threads = 8 })
        defer { server.stop() }
        let blocked = try (0..<7).map { _ in try server.client() }
        for client in blocked { try client.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n") }
        arrived.wait { $0 >= 7 }
        // Seven application threads are blocked; the loop still serves.
        #expect(try server.request("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "Hello")
        let last = try server.client()
        try last.send("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n")
        for client in blocked + [last] { #expect(try client.readResponse(timeout: 15).bodyText == "together") }
    }

    @Test func withoutThreadsTheApplicationRunsOnTheLoopThread() throws {
        let threads = ThreadSet()
        let server = try TestServer(app: { environ, startResponse in
            threads.insert(pthread_self())
            #expect(!environ.multithread)
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        defer { server.stop() }
        for _ in 0..<20 { _ = try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(threads.count == 1)
    }

    @Test func severalLoopsServeFromSeveralThreads() throws {
        let threads = ThreadSet()
        let server = try TestServer(app: { _, startResponse in
            threads.insert(pthread_self())
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        }, configure: { $0.loops = 3 })
        defer { server.stop() }
        // SO_REUSEPORT spreads connections by their addresses: 40 connections reach several loops.
        for _ in 0..<40 { #expect(try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n").bodyText == "ok") }
        #expect(threads.count >= 2)
    }
}

/// Thread identities seen by applications.
final class ThreadSet: Sendable {
    private let seen = LockedSet()
    func insert(_ thread: pthread_t) { seen.insert(UInt(thread)) }
    var count: Int { seen.count }

    private final class LockedSet: @unchecked Sendable {
        // @unchecked: `values` is only touched under `lock`.
        private let lock = NSLock()
        private var values = Set<UInt>()
        func insert(_ value: UInt) { lock.withLock { _ = values.insert(value) } }
        var count: Int { lock.withLock { values.count } }
    }
}
