#if DEBUG
import Synchronization
import TestSupport
import WSGI
@testable import ConnectionHarness
@testable import HTTPServerCore

/// A broken rule: a crash libFuzzer records, with the reason.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

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

/// One run of an input: the stream delivered in `pieces`, then FIN if asked, then the socket
/// drained until nothing moves. Checks every rule that holds for one run:
/// - the output is a sequence of well-formed responses (`HTTPResponse.parse`, strict on framing),
///   nothing left over;
/// - exactly one response per request the application accepted, in order, each its own answer
///   (status 200, the body the application made from that request); at most one more, a refusal
///   by the server (4xx/5xx), last;
/// - nothing after a response with `Connection: close`, and after it the server half-closed;
/// - every body the application returned was closed exactly once;
/// - the connection never stays stuck in the middle of a response.
/// `seen` and `answers` (responses with their Date header removed, interim 100s dropped) are kept
/// for the comparison of the whole and the cut runs.
struct ConnectionRun {
    let seen: [SeenRequest]
    let answers: [String]

    init(_ input: ConnectionFuzzInput, pieces: [Int]) {
        let log = ApplicationLog()
        let client: MemoryConnection
        do {
            client = try MemoryConnection(app: fuzzApplication(log), deferring: input.defersOutput) { $0.limits = input.limits }
        } catch {
            fatalError("harness: \(error)")
        }
        if input.slowSocket { client.transport.takesAtMost = 7 }
        var offset = 0
        for size in pieces where client.transport.isReading {
            client.send(Array(input.stream[offset..<offset + size]))
            offset += size
            ConnectionRun.settle(client)
        }
        if input.sendsFIN && !client.transport.isClosed {
            client.sendEOF()
            ConnectionRun.settle(client)
        }
        check(client.state != .responding, "the connection is stuck responding")

        let responses: [HTTPResponse]
        do {
            responses = try ConnectionRun.responses(client.transport.takeOutput(), to: log.seen, atEOF: client.transport.isShutDown || client.transport.isClosed)
        } catch {
            fatalError("malformed output: \(error)")
        }
        let seen = log.seen
        check(responses.count == seen.count || responses.count == seen.count + 1,
              "\(responses.count) responses to \(seen.count) accepted requests")
        for (response, request) in zip(responses, seen) {
            check(response.status == 200, "an accepted request answered \(response.status)")
            guard request.method != "HEAD" else { continue }
            let expected = Array("\(request)\n".utf8) + (request.path.hasPrefix("/len") || request.path.hasPrefix("/write") ? [] : Array("then ".utf8)) + request.body
            check(response.body == expected, "response to \(request) is not its own: \(response.bodyText.debugDescription)")
        }
        if responses.count > seen.count, let refusal = responses.last {
            check(refusal.status >= 400, "an extra response that is not a refusal: \(refusal.status)")
            check(refusal.header("Connection") == "close", "a refusal that keeps the connection")
        }
        if let closing = responses.firstIndex(where: { $0.header("Connection") == "close" }) {
            check(closing == responses.count - 1, "a response after Connection: close")
            check(client.transport.isShutDown || client.transport.isClosed, "no FIN after Connection: close")
        }
        check(log.closes == seen.count, "\(log.closes) bodies closed for \(seen.count) requests")
        self.seen = seen
        answers = responses.map { response in
            let headers = response.headers.filter { $0.0 != "Date" }.map { "\($0.0): \($0.1)" }
            return "\(response.status) \(headers) \(response.bodyText.debugDescription)"
        }
    }

    /// Lets the loop's deferred work and the socket's pending events run until nothing changes.
    private static func settle(_ client: MemoryConnection) {
        for _ in 0..<64 {
            let before = client.transport.output.count
            client.flushPoint()
            client.transport.drain()
            if client.transport.takesAtMost != .max { client.transport.takesAtMost = 7 }
            if client.transport.output.count == before && !client.transport.hasQueuedWrites { return }
        }
    }

    /// Parses `bytes` into responses, dropping interim 100 responses; the responses to HEAD
    /// requests of `requests` have no body.
    private static func responses(_ bytes: [UInt8], to requests: [SeenRequest], atEOF: Bool) throws -> [HTTPResponse] {
        var rest = bytes[...]
        var found: [HTTPResponse] = []
        while !rest.isEmpty {
            let index = found.count
            let head = index < requests.count && requests[index].method == "HEAD"
            guard let (response, used) = try HTTPResponse.parse(Array(rest), head: head, atEOF: atEOF) else {
                throw RawClient.Failure("an incomplete response after \(found.count): \(String(decoding: rest, as: UTF8.self).debugDescription)")
            }
            rest = rest.dropFirst(used)
            if response.status != 100 { found.append(response) }
        }
        return found
    }
}
#endif
