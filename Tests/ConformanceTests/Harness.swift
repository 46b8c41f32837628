import Foundation
import Glibc
import Logging
import Synchronization
import Testing
import TestSupport
import WSGIServer

// The harness of the PEP 3333 conformance suite. Every test:
// - serves its application from a `TestServer` (in process, 127.0.0.1, port 0) and speaks raw
//   HTTP/1.1 to it with `RawClient`;
// - runs the application under `Validator`, which records every violation here instead of trapping;
// - ends with `finish(...)`: the server stops, then no server-side violation may have been reported
//   and the application-side ones must be exactly those the test provoked on purpose.
// Checklist numbers (S1...S72) refer to /work/shared/research/pep3333-checklist.md; docs/CONFORMANCE.md
// maps each one to its tests.

/// How much of the exchange ``Harness`` runs under ``Validator``.
enum Validation {
    /// The whole of it: environ, start_response, write, body, input (the default).
    case full
    /// The environ only (``Validator/violations(in:)``). For the few tests whose application must
    /// break a body rule the Validator would turn into an error before the server sees it (more
    /// bytes than Content-Length in one chunk; fewer, to reach the server's own handling), and for
    /// the `sendfile` path, which the Validator's body wrapper hides from the server by design.
    case environOnly
}

/// One server under test with its violation and log records.
final class Harness {
    let violations = ViolationRecorder()
    let logs = LogRecorder()
    let server: TestServer
    private var stopped = false

    /// - Parameters:
    ///   - threads: application threads (0: the loop thread runs the application).
    ///   - validation: see ``Validation``.
    ///   - exposeServer: puts the server's own start_response and write in the environ
    ///     (``ServerCallables``), beneath the Validator.
    init(
        threads: Int = 0, validation: Validation = .full, exposeServer: Bool = false,
        scriptName: String = "", environ extra: [String: String] = [:],
        configure: (inout ServerConfiguration) -> Void = { _ in },
        app: @escaping Application
    ) throws {
        let recorder = violations
        var served: Application
        switch validation {
        case .full:
            served = Validator(app, onViolation: recorder.record).application
        case .environOnly:
            served = { environ, startResponse in
                for violation in Validator.violations(in: environ) { recorder.record(violation) }
                return try app(environ, startResponse)
            }
        }
        if exposeServer { served = ServerCallables.exposing(to: served) }
        server = try TestServer(app: served, logger: logs.logger(level: .debug), scriptName: scriptName, environ: extra) { configuration in
            configuration.threads = threads
            configure(&configuration)
        }
    }

    var port: Int { server.port }

    func client() throws -> RawClient { try server.client() }

    /// Sends `request` on a new connection and reads one response.
    func request(_ request: String, timeout: Double = 5) throws -> HTTPResponse {
        let client = try client()
        try client.send(request)
        return try client.readResponse(timeout: timeout, head: request.hasPrefix("HEAD "))
    }

    /// `GET target` on a new connection.
    func get(_ target: String, headers: String = "") throws -> HTTPResponse {
        try request("GET \(target) HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
    }

    /// Sends `request` (which should end with `Connection: close`) and returns every byte of the
    /// answer, for assertions on the exact wire format.
    func rawExchange(_ request: String, timeout: Double = 5) throws -> [UInt8] {
        let client = try client()
        try client.send(request)
        return try client.readToEOF(timeout: timeout)
    }

    /// Stops the server (at once unless `graceful`); every body still open is closed. Idempotent.
    func stop(graceful: Bool = false) {
        guard !stopped else { return }
        stopped = true
        server.stop(graceful: graceful)
    }

    /// Stops the server, then checks the Validator's findings: no server-side violation at all, and
    /// exactly the application-side rules in `applicationChecks` (those the test broke on purpose).
    func finish(applicationChecks: Set<Violation.Check> = [], sourceLocation: SourceLocation = #_sourceLocation) {
        stop()
        let found = violations.all
        let server = found.filter { $0.side == .server }
        #expect(server.isEmpty, "server-side WSGI violations: \(server)", sourceLocation: sourceLocation)
        let application = Set(found.filter { $0.side == .application }.map(\.check))
        #expect(application == applicationChecks, "application-side violations: \(found.filter { $0.side == .application })", sourceLocation: sourceLocation)
    }

    /// Log records at `error` level or above.
    var errorRecords: [LogRecorder.Entry] { logs.records.filter { $0.level >= .error } }

    /// Error records that mention `marker` in their message or metadata.
    func errorRecords(mentioning marker: String) -> [LogRecorder.Entry] {
        errorRecords.filter { entry in entry.message.contains(marker) || entry.metadata.values.contains { $0.contains(marker) } }
    }

    deinit { stop() }
}

/// The Validator's findings, from any thread.
final class ViolationRecorder: Sendable {
    private let found = Mutex<[Violation]>([])

    func record(_ violation: Violation) { found.withLock { $0.append(violation) } }

    var all: [Violation] { found.withLock { $0 } }
}

/// The server's own `start_response`, and the `write` it returned, reached from beneath the
/// Validator: a test app uses them to make a call the Validator would refuse before the server sees
/// it (a bad status, a second call, ...), so that what is tested is the server's own check.
///
/// `@unchecked Sendable` is sound: one instance exists per request, created by the harness inside
/// the application call and used only by that request's application code. The server runs the
/// application, its `start_response`, `write` and body on one thread at a time and hands the
/// response from one thread to the next (loop thread to pool thread) only through locks, which
/// order every access to `write`.
final class ServerCallables: @unchecked Sendable {
    static let key = "test.server_callables"

    let startResponse: StartResponse
    /// The `write` the server's start_response returned last.
    private(set) var write: Write?

    private init(_ startResponse: StartResponse) { self.startResponse = startResponse }

    static func of(_ environ: Environ) -> ServerCallables {
        guard case .other(let value)? = environ[value: key], let callables = value as? ServerCallables else {
            fatalError("the harness was not asked to expose the server's callables")
        }
        return callables
    }

    /// `app` with the server's callables in its environ; the start_response it gets still goes to
    /// the server, recording the `write` returned.
    static func exposing(to app: @escaping Application) -> Application {
        { environ, startResponse in
            let callables = ServerCallables(startResponse)
            var environ = environ
            environ[value: key] = .other(callables)
            return try app(environ, StartResponse { status, headers, error in
                let write = try startResponse(status, headers, error)
                callables.write = write
                return write
            })
        }
    }
}

// MARK: - Small thread-safe tools

/// A value shared between the test and the application threads.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value {
        get { mutex.withLock { $0 } }
        set { mutex.withLock { $0 = newValue } }
    }

    func update(_ change: (inout Value) -> Void) { mutex.withLock { change(&$0) } }
}

/// A harness expectation that could not be met on the wire (timeout, early close).
struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An error whose description carries a marker, to find it in logs and check it never reaches a client.
struct MarkedError: Error, CustomStringConvertible, Equatable {
    let marker: String
    init(_ marker: String = "marker-\(UInt32.random(in: 0...UInt32.max))") { self.marker = marker }
    var description: String { "deliberate test error \(marker)" }
}

// MARK: - Raw wire helpers

extension RawClient {
    /// True when no byte (and no EOF) arrives within `seconds`: something is being withheld.
    func staysSilent(for seconds: Double) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&poller, 1, Int32(seconds * 1000)) == 0
    }

    /// Makes closing this client abortive (RST instead of FIN): release the last reference to it
    /// afterwards (`client = nil`). Not `reset()`, which closes the descriptor and leaves `deinit`
    /// to close the same number again, by then possibly another test's socket or file.
    func abortOnRelease() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// The local port of this client's socket (the server's REMOTE_PORT).
    var localPort: Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }

    /// The head of a raw response (up to and including CRLF CRLF) and the bytes after it.
    var splitHead: (head: String, body: [UInt8])? {
        guard let range = firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        return (String(decoding: self[..<range.upperBound], as: UTF8.self), Array(self[range.upperBound...]))
    }

    func count(of needle: [UInt8]) -> Int {
        guard !needle.isEmpty, count >= needle.count else { return 0 }
        var found = 0
        var index = 0
        while index <= count - needle.count {
            if self[index..<index + needle.count].elementsEqual(needle) {
                found += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        return found
    }
}

extension HTTPResponse {
    /// Header names in order, as on the wire.
    var headerNames: [String] { headers.map(\.0) }
}

/// An application answering `200 OK` with `body` and its Content-Length after running `inspect`.
func answering(_ body: Bytes = "ok", inspect: @escaping @Sendable (Environ) throws -> Void = { _ in }) -> Application {
    { environ, startResponse in
        try inspect(environ)
        try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", String(body.count))])
        return [body]
    }
}

/// Captures the environ of each request.
///
/// What it keeps are detached copies, entry by entry: a request's environ reads through its
/// gateway, which holds the application, which holds this log; keeping the environ itself would
/// close that cycle and leak the lot.
final class EnvironLog: Sendable {
    private let environs = Mutex<[Environ]>([])

    var all: [Environ] { environs.withLock { $0 } }
    var last: Environ? { all.last }

    func app(_ body: Bytes = "ok") -> Application {
        answering(body) { environ in self.record(environ) }
    }

    func record(_ environ: Environ) {
        let copy = Environ(Dictionary(environ.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }))
        environs.withLock { $0.append(copy) }
    }
}
