import Foundation
import Synchronization
import Testing
import TestSupport
import WSGIServer

/// After a request the parser refuses, the server answers its status with `Connection: close` and
/// never reads on: nothing pipelined behind a bad request reaches the application.
@Suite struct RefusedRequestTests {
    static let smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"

    /// Request-smuggling classes (gunicorn, waitress, Node CVEs), each followed by a second request.
    static let attacks: [(name: String, request: String, status: Int)] = [
        ("CL and TE together", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("TE not ending in chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("unsupported coding before chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        ("final coding not chunked", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        ("TE twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("different Content-Lengths", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400),
        ("Content-Length list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
        ("signed Content-Length", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", 400),
        ("bare LF", "GET / HTTP/1.1\r\nHost: x\nContent-Length: 0\r\n\r\n", 400),
        ("bare CR", "GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400),
        ("space before colon", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", 400),
        ("obs-fold", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n  abc\r\n\r\n", 400),
        ("chunk size with sign", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk size with 0x", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 400),
        ("chunked on HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("forbidden trailer", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nContent-Length: 99\r\n\r\n", 400),
        ("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ]

    @Test(arguments: attacks.indices)
    func nothingBehindARefusedRequestRuns(index: Int) throws {
        let attack = Self.attacks[index]
        let paths = PathLog()
        let server = try TestServer(app: { environ, startResponse in
            paths.add(environ["PATH_INFO"] ?? "")
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        defer { server.stop() }
        let client = try server.client()
        try client.send(attack.request + Self.smuggled)
        let response = try client.readResponse()
        #expect(response.status == attack.status, "\(attack.name)")
        #expect(response.header("Connection") == "close", "\(attack.name)")
        #expect(client.isClosedByPeer(), "\(attack.name): more than one response or no close")
        #expect(!paths.all.contains("/smuggled"), "\(attack.name): the request behind it ran")
    }

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 9000) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: x\r\n" + (0..<101).map { "X-\($0): v\r\n" }.joined() + "\r\n", 431),
    ])
    func limitsAnswerWithTheirStatus(request: String, status: Int) throws {
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [("Content-Length", "2")])
            return ["ok"]
        })
        defer { server.stop() }
        let client = try server.client()
        try client.send(request)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(client.isClosedByPeer())
    }
}

/// Paths seen by an application, from any thread.
final class PathLog: Sendable {
    private let paths = Mutex<[String]>([])
    func add(_ path: String) { paths.withLock { $0.append(path) } }
    var all: [String] { paths.withLock { $0 } }

    /// A flood of bad requests costs a few log lines, and every refusal is accounted for: logged,
    /// or counted in a "not logged" record once the second it came in is over.
    @Test func everyRefusalIsLoggedOrCounted() throws {
        let recorder = LogRecorder()
        let server = try TestServer(app: { _, startResponse in
            try startResponse("200 OK", [])
            return []
        }, logger: recorder.logger(level: .info))
        defer { server.stop() }
        for _ in 0..<40 {
            #expect(try RawClient(port: server.port).exchange("GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n").status == 400)
        }
        let accounted = {
            let logged = recorder.records.filter { $0.message == "refused request" }.count
            let counted = recorder.records.filter { $0.message.contains("similar records not logged") }
                .compactMap { Int($0.message.prefix { $0.isNumber }) }.reduce(0, +)
            return logged + counted
        }
        // The sweep reports a second's suppressed records once that second is over.
        #expect(eventually(timeout: 10) { accounted() == 40 }, "\(accounted()) of 40")
    }
}
