#if DEBUG
import Synchronization
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// What the fuzzing application saw of one request.
struct SeenRequest: Equatable, CustomStringConvertible {
    var method: String
    var path: String
    var query: String
    var contentLength: String?
    var body: [UInt8]
    var description: String { "\(method) \(path)?\(query) length=\(contentLength ?? "-") body=\(body.count)" }
}

/// What the application saw, and how often a body was closed. Filled on this thread only (the
/// application runs on the loop thread, which is the fuzzer's); the mutex makes the type Sendable.
final class ApplicationLog: Sendable {
    private struct State {
        var seen: [SeenRequest] = []
        var closes = 0
    }

    private let state = Mutex(State())
    var seen: [SeenRequest] { state.withLock { $0.seen } }
    var closes: Int { state.withLock { $0.closes } }
    func record(_ request: SeenRequest) { state.withLock { $0.seen.append(request) } }
    func closed() { state.withLock { $0.closes += 1 } }
}

/// The application behind the fuzzed connection: it reads the whole body and answers with what it
/// saw, whole (`/len...`: with Content-Length), in pieces (`/stream...`: no length, so chunked or
/// close-delimited) or partly through `write()` (`/write...`). Its body's close is counted.
func fuzzApplication(_ log: ApplicationLog) -> Application {
    { environ, startResponse in
        let body = try environ.input.read()
        let request = SeenRequest(
            method: environ["REQUEST_METHOD", default: ""], path: environ["PATH_INFO", default: ""],
            query: environ["QUERY_STRING", default: ""], contentLength: environ["CONTENT_LENGTH"], body: body.array
        )
        log.record(request)
        let answer = Bytes(utf8: "\(request)\n")
        let path = request.path
        if path.hasPrefix("/len") {
            _ = try startResponse("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "\(answer.count + body.count)")])
            return ResponseBody(next: Pieces([answer, body]).next, close: log.closed)
        }
        let write = try startResponse("200 OK", [("Content-Type", "text/plain")])
        if path.hasPrefix("/write") {
            try write(answer)
            return ResponseBody(next: Pieces([body]).next, close: log.closed)
        }
        return ResponseBody(next: Pieces([answer, Bytes(utf8: "then "), body]).next, close: log.closed)
    }
}

/// Hands out chunks one at a time (a response body that is not a plain list).
final class Pieces: @unchecked Sendable {
    // Unchecked: used only by the one exchange's thread, the fuzzer's.
    private var rest: ArraySlice<Bytes>
    init(_ chunks: [Bytes]) { rest = chunks[...] }
    func next() -> Bytes? { rest.popFirst() }
}

/// One run of an input: the stream delivered in `pieces` (``MemoryConnection/deliver(_:in:)``).
/// Checks every rule that holds for one run:
/// - the output is a sequence of well-formed responses (`HTTPResponse.parse`, strict on framing),
///   nothing left over, none cut short;
/// - the sequence rules of ``checkSequence(_:cut:accepted:ended:)`` (one response per accepted
///   request, a refusal only last, nothing after `Connection: close`), each response its own
///   request's answer (status 200, the body the application made from that request);
/// - every body the application returned was closed exactly once;
/// - the connection never stays stuck in the middle of a response.
/// `seen` and `answers` (responses with their Date header removed, interim 100s dropped) are kept
/// for the comparison of the whole and the cut runs.
struct ConnectionRun {
    let seen: [SeenRequest]
    let answers: [String]

    init(_ input: FuzzInput, pieces: [Int]) {
        let log = ApplicationLog()
        let client: MemoryConnection
        do {
            client = try MemoryConnection(app: fuzzApplication(log), deferring: input.defersOutput, configure: input.configure)
        } catch {
            fatalError("harness: \(error)")
        }
        client.deliver(input, in: pieces)
        let responses: [HTTPResponse]
        do {
            let requests = log.seen
            let output = try client.fuzzedResponses { $0 < requests.count && requests[$0].method == "HEAD" }
            check(!output.cut, "a response cut short (the application never fails)")
            responses = output.responses
        } catch {
            fatalError("malformed output: \(error)")
        }
        let seen = log.seen
        checkSequence(responses, cut: false, accepted: seen.count, ended: client.transport.isShutDown || client.transport.isClosed)
        for (response, request) in zip(responses, seen) {
            check(response.status == 200, "an accepted request answered \(response.status)")
            guard request.method != "HEAD" else { continue }
            let expected = Array("\(request)\n".utf8) + (request.path.hasPrefix("/len") || request.path.hasPrefix("/write") ? [] : Array("then ".utf8)) + request.body
            check(response.body == expected, "response to \(request) is not its own: \(response.bodyText.debugDescription)")
        }
        check(log.closes == seen.count, "\(log.closes) bodies closed for \(seen.count) requests")
        self.seen = seen
        answers = ConnectionHarness.answers(responses)
    }
}
#endif
