import Foundation
import Glibc
import Testing
import TestSupport

/// Every way a response can end badly gives its Python references back with the GIL held
/// (PythonRelease), never taking it twice, and the server (or its worker) answers the next request
/// at once: a client gone in the middle of a large `write()`, a client gone in the middle of its
/// upload, a shutdown while a `write()` waits, a worker recycled between writing responses. Inline,
/// with application threads, and in a worker. (The in-memory tier, Tests/PythonGatewayTests, covers
/// the write timeout and the GIL's state after each path.)
@Suite struct FailurePathTests {
    static let modes: [[String]] = [[], ["--threads", "2"], ["--workers", "1"]]

    /// A request that must be answered promptly: a hang (the GIL taken twice) fails it.
    static func expectServing(_ server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let client = try RawClient(port: server.port)
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse(timeout: 10).bodyText == "checks", sourceLocation: sourceLocation)
    }

    @Test(arguments: modes) func aClientGoneMidWrite(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + mode)
        try Self.expectServing(server)
        for index in 0..<3 {
            // 512 MiB in one write(), or 256 MiB in 64 KiB ones, to a client that reads a little,
            // then resets.
            let (count, size) = index == 0 ? (1, 512 << 20) : (4096, 65536)
            let client = try RawClient(port: server.port, receiveBuffer: 64 * 1024)
            try client.send("GET /write-big?n=\(count)&size=\(size) HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.receiveSome(timeout: 10)
            client.reset()
            try Self.expectServing(server)
        }
    }

    /// `write(b"x")`, then the application waits: "x" reaches the client meanwhile (PEP 3333: a
    /// written block is on its way before `write()` returns).
    @Test(arguments: modes) func aWrittenBlockArrivesWhileTheApplicationWaits(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + mode)
        let mark = temporaryPath("mark")
        defer { unlink(mark) }
        let client = try RawClient(port: server.port)
        try client.send("GET /write-then-wait?mark=\(mark) HTTP/1.1\r\nHost: x\r\n\r\n")
        try client.receive(until: "\r\n1\r\nx\r\n", timeout: 10)
        #expect(!marked(mark), "the application is still waiting")
        #expect(creat(mark, 0o600) >= 0)
        #expect(try client.readResponse(timeout: 10).bodyText == "xy")
    }

    /// Mercurial's hgweb archive download: start_response and write() from the generator's first
    /// step, then the end: 200 with the whole archive.
    @Test(arguments: modes) func anHgwebArchiveArrivesWhole(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + mode)
        let size = 3 << 20
        let response = try exchange(server, "GET /hgweb?size=\(size) HTTP/1.1\r\nHost: x\r\n\r\n", timeout: 30)
        #expect(response.status == 200)
        #expect(response.body.count == size)
        let block = (0..<256).map(UInt8.init)
        #expect(response.body.prefix(512).elementsEqual(block + block))
    }

    @Test(arguments: modes) func aClientGoneMidUpload(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks"] + mode)
        for _ in 0..<3 {
            let client = try RawClient(port: server.port)
            try client.send("POST /hash HTTP/1.1\r\nHost: x\r\nContent-Length: \(64 << 20)\r\n\r\n")
            try client.send([UInt8](repeating: 7, count: 2 << 20))
            client.reset()
            try Self.expectServing(server)
        }
    }

    @Test(arguments: modes) func aShutdownWhileWriteWaitsEndsCleanly(mode: [String]) throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--graceful-timeout", "1"] + mode)
        try Self.expectServing(server)
        let client = try RawClient(port: server.port, receiveBuffer: 16 * 1024)
        try client.send("GET /write-big?n=16384 HTTP/1.1\r\nHost: x\r\n\r\n")
        _ = try client.receiveSome(timeout: 10)
        server.signal(SIGTERM)
        #expect(server.waitForExit(timeout: 20) == 0, "\(server.log)")
        withExtendedLifetime(client) {}
    }

    @Test func aRecycledWorkerGivesWhatItHeldBack() throws {
        let server = try PythonFixtures.serve(["wsgi_checks", "--workers", "1", "--max-requests", "2"])
        for _ in 0..<6 {
            let client = try RawClient(port: server.port)
            try client.send("GET /write-big?n=64 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(try client.readResponse(timeout: 10).body.count == 64 * 65536)
        }
        #expect(server.log.components(separatedBy: "worker recycled").count - 1 >= 2, "\(server.log)")
    }
}
