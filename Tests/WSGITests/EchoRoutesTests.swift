import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import DemoApps
import Testing
import WSGI

/// The echo app's special routes against the Python reference (expected values are what
/// `echo_app.py`'s `app` returned for the same path and query under CPython 3.11).
@Suite struct EchoRoutesTests {
    static let echo = EchoApp().application

    @Test(arguments: [
        ("/status/404", "", "404 Not Found", "status 404\n"),
        ("/status/204", "body=1", "204 No Content", "status 204\n"),
        ("/status/304", "x=1&body=1&body=0", "304 Not Modified", "status 304\n"),
        ("/status/999", "", "400 Bad Request", "status 400\n"),
        ("/status/199", "", "400 Bad Request", "status 400\n"),
        ("/status/abc", "", "400 Bad Request", "status 400\n"),
        ("/status/", "", "400 Bad Request", "status 400\n"),
        ("/status/200/x", "", "400 Bad Request", "status 400\n"),
        ("/status/418/", "", "418 I'm a Teapot", "status 418\n"),
        ("/status/299", "", "299 Status", "status 299\n"),
        ("/status/\u{A0}404 ", "", "404 Not Found", "status 404\n"),
        ("/status/4_04", "", "404 Not Found", "status 404\n"),
        ("/status/+201", "", "201 Created", "status 201\n"),
    ])
    func statusWithBody(path: String, query: String, status: String, body: String) throws {
        let response = try collect(Self.echo, makeEnviron(path: path, query: query))
        #expect(response.status == status)
        #expect(response.headers.map(\.0) == ["Content-Type", "Content-Length"])
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.header("Content-Length") == "11")
        #expect(response.bodyText == body)
    }

    @Test(arguments: [("/status/204", "", "204 No Content"), ("/status/304", "body=01", "304 Not Modified")])
    func statusWithoutBody(path: String, query: String, status: String) throws {
        let response = try collect(Self.echo, makeEnviron(path: path, query: query))
        #expect(response.status == status)
        #expect(response.headers.map(\.0) == ["Content-Type"])
        #expect(response.chunks == [""])
    }

    @Test func statusReadsTheBodyFirst() throws {
        let environ = makeEnviron(method: "POST", path: "/status/201", body: "abc")
        #expect(try collect(Self.echo, environ).status == "201 Created")
        #expect(try environ.input.read().isEmpty)
    }

    @Test(arguments: [
        ("", 5, 10), ("n=3&size=4", 3, 4), ("n=+2&size=1_0", 2, 10), ("n=abc&size=3", 5, 3),
        ("n=&size=2", 5, 2), ("n=%33&size=%2B1", 3, 1), ("n=-2", 0, 10), ("n=2&n=7&size=1", 2, 1),
        ("n=2+&size=+3+", 2, 3), ("size=0&n=3", 3, 0), ("n=1.5&size=2", 5, 2), ("n=%D9%A3&size=1", 3, 1),
        ("n&size=2", 5, 2), ("=&n=2&size=1", 2, 1), ("n%3D2&size=1", 5, 1), ("N=2&size=1", 5, 1), ("n=2;size=3", 5, 10),
        ("n=1__0&size=1", 5, 1), ("n=_2&size=1", 5, 1), ("n=2_&size=1", 5, 1),
    ])
    func streamParsesItsQueryLikeParseQS(query: String, count: Int, size: Int) throws {
        let response = try collect(Self.echo, makeEnviron(path: "/stream", query: query))
        #expect(response.status == "200 OK")
        #expect(response.headers.map(\.0) == ["Content-Type"])
        #expect(response.header("Content-Type") == "text/plain")
        #expect(response.chunks.map(\.count) == Array(repeating: size, count: count))
        #expect(response.body.allSatisfy { $0 == UInt8(ascii: "x") })
    }

    @Test func streamReadsTheBodyFirst() throws {
        let environ = makeEnviron(method: "POST", path: "/stream", query: "n=1", body: "data")
        _ = try collect(Self.echo, environ)
        #expect(try environ.input.read().isEmpty)
    }

    @Test func streamProducesOneChunkPerStepPausingBetweenChunksOnly() throws {
        let events = Mutex<[String]>([])
        let echo = EchoApp(pause: { milliseconds in events.withLock { $0.append("pause \(milliseconds)") } })
        let recorder = RecordingStartResponse()
        var body = try echo(makeEnviron(path: "/stream", query: "n=3&size=2&delay_ms=150"), recorder.startResponse)
        defer { body.close() }
        #expect(recorder.calls.count == 1)
        while let chunk = try body.next() { events.withLock { $0.append(chunk.utf8String) } }
        #expect(events.withLock { $0 } == ["xx", "pause 150", "xx", "pause 150", "xx"])
    }

    @Test func streamRefusesAChunkAboveTheLimit() {
        #expect(throws: DemoAppError.self) {
            try collect(Self.echo, makeEnviron(path: "/stream", query: "size=\(1 << 30)"))
        }
    }

    @Test func errorThrowsBeforeStartResponse() {
        let recorder = RecordingStartResponse()
        #expect(throws: DemoAppError.self) { try Self.echo(makeEnviron(path: "/error"), recorder.startResponse) }
        #expect(recorder.calls.isEmpty)
    }

    @Test func errorAfterStartThrowsAfterTheFirstChunk() throws {
        let recorder = RecordingStartResponse()
        var body = try Self.echo(makeEnviron(path: "/error-after-start"), recorder.startResponse)
        defer { body.close() }
        #expect(recorder.calls.map(\.status) == ["200 OK"])
        #expect(recorder.calls.first?.headers.map(\.0) == ["Content-Type"])
        #expect(try body.next() == "first chunk\n")
        #expect(throws: DemoAppError.self) { try body.next() }
    }

    @Test func crashStopsTheProcess() async {
        await #expect(processExitsWith: .failure) {
            _ = try? EchoApp()(makeEnviron(path: "/crash"), RecordingStartResponse().startResponse)
        }
    }

    @Test(arguments: ["/stream", "/status/204", "/status/204?body=1", "/status/404", "/"])
    func routesKeepTheApplicationSideOfTheContract(target: String) {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let run = ValidatedRun(Self.echo, makeEnviron(method: "POST", path: parts[0], query: parts.count > 1 ? parts[1] : "", body: "b"))
        #expect(run.checks == [])
        #expect(run.thrown == nil)
    }
}
