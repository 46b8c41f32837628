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
            // 256 MiB in one write() or in 64 KiB ones, to a client that reads a little, then resets.
            let size = index == 0 ? 256 << 20 : 65536
            let client = try RawClient(port: server.port, receiveBuffer: 64 * 1024)
            try client.send("GET /write-big?n=\((256 << 20) / size)&size=\(size) HTTP/1.1\r\nHost: x\r\n\r\n")
            _ = try client.receiveSome(timeout: 10)
            client.reset()
            try Self.expectServing(server)
        }
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
