import Foundation
import Glibc
import Testing
import TestSupport
import WSGIServer

/// A streamed body: the application starts as soon as the head is in and reads the body as it
/// arrives (StreamedBody): `100 Continue` at its first read, a body it does not read never taken
/// for a request, a client that goes away mid-body a failed read, not a stuck thread. On
/// application threads, and on the loop thread of a worker (`LoopThreadBodies.streamed`, with
/// every body above the memory threshold, here 0).
@Suite struct StreamedBodyTests {
    enum Mode: CaseIterable, CustomTestStringConvertible {
        case applicationThreads, loopThread
        var testDescription: String { self == .loopThread ? "loop thread" : "application threads" }
    }

    static func server(_ mode: Mode, _ app: @escaping Application) throws -> TestServer {
        try TestServer(app: app, configure: { configuration in
            switch mode {
            case .applicationThreads:
                configuration.threads = 2
            case .loopThread:
                configuration.loopThreadBodies = .streamed
                configuration.bodyMemoryThreshold = 0
            }
        })
    }

    @Test(arguments: Mode.allCases)
    func theApplicationReadsTheBodyWhileItArrives(mode: Mode) throws {
        let firstRead = Counter()
        let server = try Self.server(mode) { environ, startResponse in
            let first = try environ.input.read(1000)
            firstRead.increment()
            let rest = try environ.input.read()
            let body = Bytes("\(first.count)+\(rest.count)".utf8)
            try startResponse("200 OK", [("Content-Length", "\(body.count)")])
            return [body]
        }
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n\r\n" + String(repeating: "a", count: 1000))
        // The application has the first thousand bytes while the rest is not even sent.
        #expect(firstRead.wait(until: { $0 == 1 }) == 1)
        try client.send(String(repeating: "b", count: 2000))
        #expect(try client.readResponse().bodyText == "1000+2000")
        // The connection goes on with the next request.
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + String(repeating: "c", count: 1000) + "\r\n0\r\n\r\n")
        #expect(try client.readResponse().bodyText == "1000+0")
    }

    @Test(arguments: Mode.allCases)
    func continueGoesOutWhenTheApplicationFirstReads(mode: Mode) throws {
        let gate = Gate()
        let server = try Self.server(mode) { environ, startResponse in
            gate.wait()
            let body = try environ.input.read()
            try startResponse("200 OK", [("Content-Length", "\(body.count)")])
            return [body]
        }
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        // Nothing while the application has not read (the wait is the behaviour under test).
        #expect(throws: RawClient.Failure.self) { try client.receiveSome(timeout: 0.3) }
        gate.open()
        #expect(try client.readResponse().status == 100)
        try client.send("hello")
        #expect(try client.readResponse().bodyText == "hello")
    }

    @Test(arguments: Mode.allCases, [false, true])
    func aBodyTheApplicationDoesNotReadIsNeverARequest(mode: Mode, expectsContinue: Bool) throws {
        let calls = Counter()
        let server = try Self.server(mode) { _, startResponse in
            calls.increment()
            try startResponse("413 Content Too Large", [("Content-Length", "4")])
            return ["nope"]
        }
        defer { server.stop() }
        let client = try server.client()
        let expect = expectsContinue ? "Expect: 100-continue\r\n" : ""
        // The body would hold a second request if it were ever parsed as one.
        let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(smuggled.utf8.count + 100_000)\r\n\(expect)\r\n" + smuggled)
        let response = try client.readResponse()
        #expect(response.status == 413, "the final answer, no 100 Continue before it")
        #expect(response.header("Connection") == "close")
        try? client.send(String(repeating: "z", count: 100_000))
        #expect(client.isClosedByPeer())
        #expect(calls.count == 1)
    }

    /// Full duplex, as in gunicorn's workers: the application answers first and reads the rest of
    /// its body afterwards (from `write()`'s side, and from its body's iteration). The client gets
    /// the start of the response before it sent the rest; the connection closes after it.
    @Test(arguments: Mode.allCases, ["/write", "/iterate"])
    func theApplicationReadsItsBodyAfterItsResponseStarted(mode: Mode, path: String) throws {
        let server = try Self.server(mode) { environ, startResponse in
            let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
            let input = environ.input
            if environ["PATH_INFO"] == "/write" {
                try write("started\n")
                return [Bytes(utf8: "read \(try input.read().count)\n")]
            }
            var step = 0
            return ResponseBody(next: {
                step += 1
                switch step {
                case 1: return "started\n"
                case 2: return Bytes(utf8: "read \(try input.read().count)\n")
                default: return nil
                }
            })
        }
        defer { server.stop() }
        let client = try server.client()
        let total = 300_000
        try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(total)\r\n\r\n" + String(repeating: "a", count: 1000))
        let head = try client.receive(until: "started\n", timeout: 10)
        #expect(String(decoding: head, as: UTF8.self).contains("Connection: close"))
        try client.send(String(repeating: "b", count: total - 1000))
        let rest = try client.readToEOF(timeout: 10)
        #expect(String(decoding: rest, as: UTF8.self).contains("read \(total)\n"))
        #expect(try server.client().exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n").status == 200, "the server goes on")
    }

    @Test(arguments: Mode.allCases)
    func aClientGoneMidBodyFailsTheReadAndTheServerGoesOn(mode: Mode) throws {
        let started = Counter()
        let failures = Counter()
        let server = try Self.server(mode) { environ, startResponse in
            started.increment()
            do {
                _ = try environ.input.read()
            } catch {
                failures.increment()
                throw error
            }
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        }
        defer { server.stop() }
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + String(repeating: "a", count: 5000))
        // Reset once the application waits in its read (a reset discards what the server has not
        // read yet: the request would never arrive).
        #expect(started.wait(until: { $0 == 1 }) == 1)
        client.reset()
        #expect(failures.wait(until: { $0 == 1 }) == 1)
        let next = try server.client()
        try next.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(try next.readResponse().bodyText == "ok")
    }

    @Test(arguments: Mode.allCases)
    func aSlowReaderHoldsTheClientBackWithBoundedMemory(mode: Mode) throws {
        let gate = Gate()
        let server = try Self.server(mode) { environ, startResponse in
            gate.wait()
            var total = 0
            while true {
                let block = try environ.input.read(65536)
                if block.isEmpty { break }
                total += block.count
            }
            let body = Bytes("\(total)".utf8)
            try startResponse("200 OK", [("Content-Length", "\(body.count)")])
            return [body]
        }
        defer { server.stop() }
        let size = 64 << 20
        let client = try server.client()
        try client.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(size)\r\n\r\n")
        // While the application reads nothing the server takes only its window and buffers: the
        // client's sends stop (a send that would block times out here), far short of the body.
        let block = [UInt8](repeating: UInt8(ascii: "s"), count: 65536)
        var sent = 0
        while sent < size {
            let went = try client.send(Array(block[..<min(block.count, size - sent)]), within: 0.5)
            sent += went
            if went < block.count { break }
        }
        #expect(sent < 16 << 20, "\(sent) bytes taken while the application read nothing")
        gate.open()
        while sent < size {
            let count = min(block.count, size - sent)
            try client.send(Array(block[..<count]))
            sent += count
        }
        #expect(try client.readResponse(timeout: 30).bodyText == "\(size)")
    }
}
