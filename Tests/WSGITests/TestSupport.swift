import Synchronization
import Testing
import WSGI

/// A `start_response` that records every call and every `write`, as a server would receive them.
/// Used from one test's thread only.
final class RecordingStartResponse {
    private(set) var calls: [(status: String, headers: ResponseHeaders)] = []
    private(set) var written: [Bytes] = []

    /// What was written since the last call (a server sends it before what the step returns).
    func takeWritten() -> [Bytes] {
        defer { written = [] }
        return written
    }

    var startResponse: StartResponse {
        StartResponse { status, headers, _ in
            self.calls.append((status, headers))
            return Write { self.written.append($0) }
        }
    }
}

/// A response as a server would collect it: the last status and headers given, and every chunk.
struct CollectedResponse {
    var status: String?
    var headers: ResponseHeaders
    var chunks: [Bytes]

    var body: [UInt8] { chunks.flatMap(\.array) }
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The value of header `name` (case-insensitive), when given exactly once.
    func header(_ name: String) -> String? {
        let values = headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1)
        return values.count == 1 ? values[0] : nil
    }
}

/// Calls `app` and drives its body to the end, closing it whatever happens, as a server does.
func collect(_ app: Application, _ environ: Environ) throws -> CollectedResponse {
    let recorder = RecordingStartResponse()
    var body = try app(environ, recorder.startResponse)
    defer { body.close() }
    var chunks = recorder.takeWritten()
    while let chunk = try body.next() {
        chunks += recorder.takeWritten()
        chunks.append(chunk)
    }
    chunks += recorder.takeWritten()
    return CollectedResponse(status: recorder.calls.last?.status, headers: recorder.calls.last?.headers ?? [], chunks: chunks)
}

/// A complete, valid environ for a request, as a conforming server builds it.
func makeEnviron(
    method: String = "GET", path: String = "/", query: String = "", body: Bytes = Bytes(),
    _ extra: [String: EnvironValue] = [:]
) -> Environ {
    var environ: Environ = [
        "REQUEST_METHOD": .string(method), "SCRIPT_NAME": "", "PATH_INFO": .string(path),
        "QUERY_STRING": .string(query), "SERVER_NAME": "localhost", "SERVER_PORT": "8080",
        "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost:8080",
        "wsgi.version": .version(major: 1, minor: 0), "wsgi.url_scheme": "http",
        "wsgi.input": .input(BytesInput(body)), "wsgi.errors": .errors(StandardErrorOutput.shared),
        "wsgi.multithread": false, "wsgi.multiprocess": false, "wsgi.run_once": false,
    ]
    if !body.isEmpty { environ["CONTENT_LENGTH"] = String(body.count) }
    for (key, value) in extra { environ[value: key] = value }
    return environ
}

/// Collects what ``Validator`` reports; safe to call from any thread.
final class ViolationLog: Sendable {
    private let violations = Mutex<[Violation]>([])

    var handler: Validator.ViolationHandler {
        { violation in self.violations.withLock { $0.append(violation) } }
    }

    var checks: [Violation.Check] { violations.withLock { $0.map(\.check) } }
}

/// One run of an application under a ``Validator`` that logs instead of trapping, driven as a
/// server drives it (the body iterated to its end and closed whatever happens).
struct ValidatedRun {
    var checks: [Violation.Check]
    var response: CollectedResponse?
    var thrown: (any Error)?

    /// The rule of the violation the validator threw into the server, if it threw one.
    var thrownCheck: Violation.Check? { (thrown as? Violation)?.check }

    init(_ app: @escaping Application, _ environ: Environ = makeEnviron()) {
        let log = ViolationLog()
        do {
            response = try collect(Validator(app, onViolation: log.handler).application, environ)
        } catch {
            thrown = error
        }
        checks = log.checks
    }
}

/// A count that any thread may bump.
final class Counter: Sendable {
    private let count = Mutex(0)

    @discardableResult
    func increment() -> Int { count.withLock { $0 += 1; return $0 } }

    var value: Int { count.withLock { $0 } }
}
