import Foundation
import Glibc
import HTTPServerCore
import Testing
import TestSupport
import WSGI
import WSGIServer

/// HTTP/2 at the frame level, with Python's `h2` in the test venv (Tests/PythonHostTests/Fixtures/
/// h2_frames.py): a reset mid-response closes the application's body and the connection goes on; a
/// stalled stream does not hold back another; the known floods and malformed frames end the
/// connection with GOAWAY (and a log line), never the server.
@Suite struct HTTP2FrameTests {
    final class Probe: Sendable {
        let closed = Counter()
        /// `/hold` reads its body only once `/release` was requested.
        let release = DispatchSemaphore(value: 0)
    }

    static func server(probe: Probe, threads: Int = 0) throws -> TestServer {
        try TestServer(app: { environ, startResponse in
            switch environ["PATH_INFO"] {
            case "/endless":
                try startResponse("200 OK", [("Content-Type", "application/octet-stream")])
                let chunk = Bytes([UInt8](repeating: UInt8(ascii: "e"), count: 1000))
                return ResponseBody(next: { chunk }, close: { probe.closed.increment() })
            case "/big":
                try startResponse("200 OK", [("Content-Type", "application/octet-stream")])
                return ResponseBody((0..<64).lazy.map { _ in Bytes([UInt8](repeating: UInt8(ascii: "b"), count: 16384)) })
            case "/hold":
                probe.release.wait()
                let body = try environ.input.read()
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return [Bytes(utf8: "read \(body.count)")]
            case "/release":
                probe.release.signal()
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return [Bytes(utf8: "released")]
            case "/echo":
                let body = try environ.input.read()
                let trailer = environ["HTTP_X_CHECKSUM"] ?? "none"
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return [Bytes(utf8: "\(String(decoding: body.array, as: UTF8.self)) trailer=\(trailer)")]
            default:
                try startResponse("200 OK", [("Content-Type", "text/plain")])
                return [Bytes(utf8: "Hello")]
            }
        }, configure: { $0.threads = threads })
    }

    /// Runs one case of h2_frames.py against `port`; its `ok CASE ...` line.
    static func run(_ name: String, port: Int) throws -> String {
        let result = try TLSServerTests.run(PythonFixtures.venv + "/bin/python", [PythonFixtures.directory + "/h2_frames.py", String(port), name])
        #expect(result.status == 0, "\(name): \(result.output)")
        return result.output.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// The server still answers a new connection after a case ended one.
    static func stillServes(_ server: TestServer) throws {
        let response = try server.client().exchange("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 200)
    }

    @Test(arguments: [0, 2])
    func aResetMidResponseClosesTheBodyAndTheConnectionGoesOn(threads: Int) throws {
        let probe = Probe()
        let server = try Self.server(probe: probe, threads: threads)
        defer { server.stop() }
        #expect(try Self.run("reset-mid-response", port: server.port) == "ok reset-mid-response Hello")
        #expect(probe.closed.wait { $0 >= 1 } == 1, "close() was not called once: \(probe.closed.count)")
    }

    @Test func aStalledStreamDoesNotHoldBackAnother() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        let line = try Self.run("stalled-reader", port: server.port)
        #expect(line == "ok stalled-reader Hello", "\(line)")
    }

    @Test func rapidResetEndsTheConnection() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        let line = try Self.run("rapid-reset", port: server.port)
        // GOAWAY from nghttp2's reset rate limit (INTERNAL_ERROR, as nghttp2 sends it), or the
        // socket closed after it before the client read it.
        #expect(line == "ok rapid-reset 2" || line == "ok rapid-reset closed", "\(line)")
        try Self.stillServes(server)
    }

    @Test func aContinuationFloodEndsTheConnection() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        let line = try Self.run("continuation-flood", port: server.port)
        #expect(line == "ok continuation-flood 11" || line == "ok continuation-flood closed", "\(line)")
        try Self.stillServes(server)
    }

    @Test func aMalformedFrameIsAConnectionError() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        #expect(try Self.run("data-on-stream-zero", port: server.port) == "ok data-on-stream-zero 1")
        try Self.stillServes(server)
    }

    @Test func anHPACKBombIsRefusedWith431() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        #expect(try Self.run("hpack-bomb", port: server.port) == "ok hpack-bomb 431")
        try Self.stillServes(server)
    }

    /// PING and SETTINGS frames (each owing an answer) sent by the thousand: GOAWAY
    /// ENHANCE_YOUR_CALM (11), and the server goes on.
    @Test(arguments: ["ping-flood", "settings-flood"])
    func controlFrameFloodsEndTheConnection(flood: String) throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        let line = try Self.run(flood, port: server.port)
        #expect(line == "ok \(flood) 11" || line == "ok \(flood) closed", "\(line)")
        try Self.stillServes(server)
    }

    /// Trailers after a request body are accepted and not given to the application (as HTTP/1.1's
    /// chunked trailers are not).
    @Test func trailersAreIgnoredSafely() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        #expect(try Self.run("trailers", port: server.port) == "ok trailers 200 hello trailer=none")
    }

    /// On application threads a body is read as it arrives, and the peer's window opens by what
    /// the application read: nothing beyond the first window waits in the server while the
    /// application has not read (RFC 9113 flow control as backpressure).
    @Test func theWindowOpensAsTheApplicationReads() throws {
        let server = try Self.server(probe: Probe(), threads: 2)
        defer { server.stop() }
        #expect(try Self.run("window-until-read", port: server.port) == "ok window-until-read 65535 0 read 1048576")
    }

    /// Empty DATA frames without end (CVE-2019-9518's class): GOAWAY ENHANCE_YOUR_CALM past 1,000.
    @Test func anEmptyDataFloodEndsTheConnection() throws {
        let server = try Self.server(probe: Probe(), threads: 2)
        defer { server.stop() }
        let line = try Self.run("empty-data-flood", port: server.port)
        #expect(line == "ok empty-data-flood 11" || line == "ok empty-data-flood closed", "\(line)")
        try Self.stillServes(server)
    }

    /// A field block HPACK cannot decode is a connection error: COMPRESSION_ERROR (9).
    @Test func anHPACKDecodingErrorIsACompressionError() throws {
        let server = try Self.server(probe: Probe())
        defer { server.stop() }
        #expect(try Self.run("hpack-error", port: server.port) == "ok hpack-error 9")
        try Self.stillServes(server)
    }
}
