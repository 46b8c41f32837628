import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// Request bodies: Content-Length and chunked, in memory or spooled to disk, and Expect: 100-continue.
@Suite struct RequestBodyTests {
    /// An app answering with the size and a checksum of the body it read in odd-sized reads.
    static let digest: Application = { environ, startResponse in
        var total = 0
        var sum: UInt64 = 0
        while true {
            let block = try environ.input.read(70_001)
            if block.isEmpty { break }
            total += block.count
            for byte in block { sum = sum &* 31 &+ UInt64(byte) }
        }
        let body = Bytes("\(total) \(sum)".utf8)
        try startResponse("200 OK", [("Content-Length", String(body.count))])
        return [body]
    }

    static func expectedDigest(_ bytes: [UInt8]) -> String {
        var sum: UInt64 = 0
        for byte in bytes { sum = sum &* 31 &+ UInt64(byte) }
        return "\(bytes.count) \(sum)"
    }

    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) } }

    @Test(arguments: [0, 1, 1 << 20, (1 << 20) + 1, 3_000_000])
    func contentLengthBodiesOfEverySize(size: Int) throws {
        let server = try TestServer(app: Self.digest)
        defer { server.stop() }
        let body = Self.pattern(size)
        let client = try server.client()
        try client.send(Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n".utf8) + body)
        #expect(try client.readResponse(timeout: 60).bodyText == Self.expectedDigest(body))
        // The connection is reusable: the body was consumed exactly.
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try client.readResponse().bodyText == Self.expectedDigest(Array("abc".utf8)))
    }

    @Test func chunkedBodySplitAcrossWrites() throws {
        let server = try TestServer(app: Self.digest)
        defer { server.stop() }
        let body = Self.pattern(2_500_000)
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        var offset = 0
        while offset < body.count {
            let size = min(100_003, body.count - offset)
            try client.send(Array("\(String(size, radix: 16))\r\n".utf8) + body[offset..<offset + size] + Array("\r\n".utf8))
            offset += size
        }
        try client.send("0\r\n\r\n")
        #expect(try client.readResponse(timeout: 60).bodyText == Self.expectedDigest(body))
    }

    @Test(arguments: ["length", "chunked"])
    func fiftyMegabyteUploadIsSpooledNotHeldInMemory(framing: String) throws {
        let demo = try ServerProcess(["--app", "echo", "--bind", "127.0.0.1:0"])
        let pid = demo.process.processIdentifier
        let client = try RawClient(port: demo.port)
        let size = 50 << 20
        let block = [UInt8](repeating: UInt8(ascii: "u"), count: 1 << 20)
        if framing == "length" {
            try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
            for _ in 0..<50 { try client.send(block) }
        } else {
            try client.send("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<50 { try client.send(Array("100000\r\n".utf8) + block + Array("\r\n".utf8)) }
            try client.send("0\r\n\r\n")
        }
        let response = try client.readResponse(timeout: 60)
        let json = try #require(JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        #expect(json["body_size"] as? Int == size)
        #expect(json["body"] == nil)
        // The echo app reads in 64 KiB blocks; the server held at most its 1 MiB threshold.
        let peak = try ProcessMemory.resident(pid: pid, peak: true)
        #expect(!ProcessMemory.isMeaningful || peak < 40 << 20, "peak RSS \(peak >> 20) MiB for a 50 MiB upload")
        demo.signal(SIGTERM)
        #expect(demo.waitForExit() == 0)
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() throws {
        let server = try TestServer(app: Self.digest)
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("hello")
        #expect(try client.readResponse().bodyText == Self.expectedDigest(Array("hello".utf8)))
    }

    @Test func expectContinueIsIgnoredOnHTTP10() throws {
        let server = try TestServer(app: Self.digest)
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        #expect(throws: RawClient.Failure.self) { try client.receiveSome(timeout: 0.3) }
        try client.send("hello")
        #expect(try client.readResponse().status == 200)
    }

    @Test func unknownExpectationGets417() throws {
        let server = try TestServer(app: Self.digest)
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: telepathy\r\n\r\n")
        #expect(try client.readResponse().status == 417)
        #expect(client.isClosedByPeer())
    }

    @Test func tooLargeBodyGets413WithoutContinue() throws {
        let calls = Counter()
        let server = try TestServer(app: { environ, startResponse in
            calls.increment()
            return try Self.digest(environ, startResponse)
        }, configure: { $0.limits.maxBodyLength = 1000 })
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(response.header("Connection") == "close")
        #expect(client.isClosedByPeer())
        #expect(calls.count == 0)
    }

    @Test func chunkedBodyOverTheLimitGets413() throws {
        let server = try TestServer(app: Self.digest, configure: { $0.limits.maxBodyLength = 1000 })
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + String(repeating: "a", count: 1000) + "\r\n1\r\nb\r\n0\r\n\r\n")
        #expect(try client.readResponse().status == 413)
    }

    /// A body that must be spooled where no file can be made (a missing directory, a full disk):
    /// a clean 500 for that request, and the server goes on.
    @Test func aBodyThatCannotBeSpooledIs500AndTheServerGoesOn() throws {
        let server = try TestServer(app: Self.digest) { configuration in
            configuration.spoolDirectory = "/nonexistent/swift-wsgi-spool"
            configuration.bodyMemoryThreshold = 1024
        }
        defer { server.stop() }
        let body = Self.pattern(100_000)
        let client = try RawClient(port: server.port)
        try client.send(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let response = try client.readResponse()
        #expect(response.status == 500)
        #expect(response.header("Connection") == "close")
        // Small bodies stay in memory; the server still serves.
        let small = Self.pattern(100)
        let next = try RawClient(port: server.port)
        try next.send(Array("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n".utf8) + small)
        #expect(try next.readResponse().bodyText == Self.expectedDigest(small))
    }
}
