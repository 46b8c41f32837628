import Foundation
import Glibc
import Testing
import TestSupport

/// One request on a new connection; the response (HEAD requests read without a body).
func exchange(_ server: ServerProcess, _ request: String, timeout: Double = 10) throws -> HTTPResponse {
    let client = try RawClient(port: server.port)
    try client.send(request)
    return try client.readResponse(timeout: timeout, head: request.hasPrefix("HEAD "))
}

/// `GET path` on a new connection.
func get(_ server: ServerProcess, _ path: String) throws -> HTTPResponse {
    try exchange(server, "GET \(path) HTTP/1.1\r\nHost: test\r\n\r\n")
}

/// A JSON body.
func json(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
    #expect(response.status == 200, "\(response)", sourceLocation: sourceLocation)
    return try JSONSerialization.jsonObject(with: Data(response.body))
}

func jsonObject(_ response: HTTPResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    try #require(try json(response, sourceLocation: sourceLocation) as? [String: Any], sourceLocation: sourceLocation)
}

/// A fresh path in the temporary directory (nothing there yet), for files applications write.
func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("swift-wsgi-\(name)-\(UUID().uuidString)").path
}

/// What a log shows when the application broke the WSGI contract as seen by
/// wsgiref.validate, or left a response unclosed.
func validatorComplaints(_ log: String) -> [String] {
    log.split(separator: "\n").map(String.init).filter {
        $0.contains("garbage collected without being closed") || $0.contains("WSGIWarning") || $0.contains("AssertionError")
    }
}

/// Sends `GET path` with `mark=` a fresh file the `wsgi_checks` route creates (`/sleep` and `/spin`
/// as soon as the application runs, `/forever` when its body is closed). Remove the mark with
/// `unlink` when done.
func requestMarking(_ server: ServerProcess, _ path: String, receiveBuffer: Int? = nil) throws -> (client: RawClient, mark: String) {
    let mark = temporaryPath("mark")
    let client = try RawClient(port: server.port, receiveBuffer: receiveBuffer)
    let separator = path.contains("?") ? "&" : "?"
    try client.send("GET \(path)\(separator)mark=\(mark) HTTP/1.1\r\nHost: x\r\n\r\n")
    return (client, mark)
}

/// Starts an endless stream, reads some of it and resets the connection; returns the mark the
/// application creates when the server closes its body.
func abandonEndlessStream(_ server: ServerProcess) throws -> String {
    let (client, mark) = try requestMarking(server, "/forever", receiveBuffer: 16 * 1024)
    _ = try client.receiveSome()
    client.reset()
    return mark
}

/// Whether the application made `mark`.
func marked(_ mark: String) -> Bool { access(mark, F_OK) == 0 }

/// Sends `GET path` with `progress=` a fresh file the route reports its progress in (see
/// ``progress(_:)``), from a client with a 16 KiB receive buffer that reads nothing yet. Remove the
/// file with `unlink` when done.
func requestReportingProgress(_ server: ServerProcess, _ path: String) throws -> (client: RawClient, file: String) {
    let file = temporaryPath("progress")
    let client = try RawClient(port: server.port, receiveBuffer: 16 * 1024)
    try client.send("GET \(path)&progress=\(file) HTTP/1.1\r\nHost: x\r\n\r\n")
    return (client, file)
}

/// What a fixture's `progress` file says (`wsgi_checks._progress`): its words, and the native id of
/// the thread that wrote it (the last word).
func progress(_ path: String) -> (words: [String], thread: Int32)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let words = text.split(separator: " ").map(String.init)
    guard let last = words.last, let thread = Int32(last) else { return nil }
    return (Array(words.dropLast()), thread)
}

/// A thread of a process as /proc shows it: the system call it is blocked in (nil while it runs),
/// and how often it gave up the processor (each wake-up from a blocking call counts one).
struct ThreadState: Equatable {
    let syscall: Int?
    let voluntarySwitches: Int

    static let poll = 7, epollWait = 232, ppoll = 271, epollPwait = 281

    init(pid: Int32, thread: Int32) throws {
        let base = "/proc/\(pid)/task/\(thread)"
        let call = try String(contentsOfFile: "\(base)/syscall", encoding: .utf8)
        syscall = call.hasPrefix("running") ? nil : Int(call.split(separator: " ").first ?? "")
        let status = try String(contentsOfFile: "\(base)/status", encoding: .utf8)
        let line = status.split(separator: "\n").first { $0.hasPrefix("voluntary_ctxt_switches:") }
        voluntarySwitches = Int(line?.split(separator: "\t").last ?? "") ?? -1
    }
}
