import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Responses stream one chunk at a time: the next chunk is pulled only after the previous one
/// reached the kernel, and a vanished client stops the iteration and closes the body once.
@Suite struct StreamingTests {
    /// An endless body of `size`-byte chunks that counts pulls and closes.
    static func endless(size: Int, pulls: Counter, closes: Counter) -> Application {
        { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "application/octet-stream")])
            let chunk = Bytes([UInt8](repeating: UInt8(ascii: "x"), count: size))
            return ResponseBody(next: {
                pulls.increment()
                return chunk
            }, close: { closes.increment() })
        }
    }

    /// With the application on the loop thread (0) or on a pool thread (2).
    @Test(arguments: [0, 2])
    func eachChunkReachesTheClientBeforeTheNextIsProduced(threads: Int) throws {
        let gates = (0..<3).map { _ in Gate() }
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Type", "text/plain")])
            var step = 0
            return ResponseBody(next: {
                defer { step += 1 }
                guard step < 3 else { return nil }
                if step > 0 { gates[step - 1].wait() }
                return Bytes("chunk\(step);".utf8)
            })
        }, configure: { $0.threads = threads })
        defer { server.stop() }
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        // Chunk N arrives while the application is blocked before producing chunk N+1.
        for step in 0..<3 {
            var received = ""
            while !received.contains("chunk\(step);") {
                try client.receiveSome()
                received = String(decoding: client.pending, as: UTF8.self)
            }
            if step < 2 { gates[step].open() }
        }
        #expect(String(decoding: client.pending, as: UTF8.self).contains("Transfer-Encoding: chunked"))
    }

    @Test(arguments: [false, true])
    func clientDisconnectMidStreamClosesTheBodyOnce(reset: Bool) throws {
        let pulls = Counter()
        let closes = Counter()
        let server = try TestServer(app: Self.endless(size: 1024, pulls: pulls, closes: closes))
        let client = try server.client()
        try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try client.receiveSome()
        if reset { client.reset() } else { client.close() }
        #expect(closes.wait { $0 >= 1 } == 1)
        let pullsAtClose = pulls.count
        // Once the server stopped, no application code runs: anything pulled after close() shows.
        server.stop()
        #expect(closes.count == 1)
        #expect(pulls.count == pullsAtClose, "iteration went on after close()")
    }

    @Test func slowReaderKeepsServerMemoryFlat() throws {
        let demo = try ServerProcess(["--app", "stream", "--bind", "127.0.0.1:0"])
        let client = try RawClient(port: demo.port, receiveBuffer: 64 * 1024)
        try client.send("GET /?n=16384&size=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
        let pid = demo.process.processIdentifier
        try client.receiveSome()
        let baseline = try ProcessMemory.resident(pid: pid)
        var received = 0
        // A slow client (this pause is the behaviour under test, not a wait for an event): about
        // 1 MB/s for three seconds, while the server has ~1 GiB left to send and must not queue it.
        for _ in 0..<30 {
            received += try client.receiveSome(max: 100_000).count
            usleep(100_000)
        }
        let peak = try ProcessMemory.resident(pid: pid)
        #expect(received > 1_000_000)
        #expect(!ProcessMemory.isMeaningful || peak - baseline < 8 << 20, "RSS grew by \((peak - baseline) >> 20) MiB while streaming to a slow reader")
        demo.signal(SIGINT)
        #expect(demo.waitForExit() == 0)
    }

    @Test func largeStreamArrivesIntact() throws {
        let server = try TestServer(app: { environ, startResponse in
            try startResponse("200 OK", [("Content-Length", String(256 * 40_000))])
            var index = 0
            return ResponseBody(next: {
                defer { index += 1 }
                guard index < 256 else { return nil }
                return Bytes([UInt8](repeating: UInt8(index), count: 40_000))
            })
        })
        defer { server.stop() }
        let response = try server.request("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.body.count == 256 * 40_000)
        let intact = (0..<256).allSatisfy { (index: Int) -> Bool in
            let start = index * 40_000
            return response.body[start] == UInt8(index) && response.body[start + 39_999] == UInt8(index)
        }
        #expect(intact)
    }

    /// A 300,000-byte file and an application that sends it with `wsgi.file_wrapper` from offset
    /// 10; remove the file with `unlink(path)`.
    static func fileWrapperFixture() -> (path: String, content: [UInt8], app: Application) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wsgi-file-\(UUID().uuidString)").path
        let content = (0..<300_000).map { UInt8($0 % 251) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        return (path, content, { environ, startResponse in
            let file = try File(path: path)
            try file.seek(to: 10)
            try startResponse("200 OK", [("Content-Type", "application/octet-stream")])
            return environ.fileWrapper!(file)
        })
    }

    @Test func fileWrapperIsSentFromTheCurrentPosition() throws {
        let (path, content, app) = Self.fileWrapperFixture()
        defer { unlink(path) }
        let server = try TestServer(app: app)
        defer { server.stop() }
        let client = try server.client()
        for _ in 0..<2 {  // twice on one connection: the framing is exact
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            let response = try client.readResponse()
            #expect(response.header("Content-Length") == String(content.count - 10))
            #expect(response.body == Array(content[10...]))
        }
    }
}
