#if DEBUG
import Foundation
import HTTP1Parser
import TestSupport
@testable import HTTPServerCore

/// The layout of an input of the whole-connection fuzzers (Fuzz/ConnectionFuzzer, Fuzz/PythonFuzzer):
/// - byte 0, flags: bit 0 defers output to the loop's flush point; bit 1 makes the socket take at
///   most 7 bytes per write (every response leaves through the asynchronous path); bit 2 sends FIN
///   after the stream; bit 3 means 3 bytes of limits follow byte 1; bit 4 streams every request
///   body to the application on the loop thread (`LoopThreadBodies.streamed`, no memory
///   threshold): it starts once the bytes at hand are in, and the pieces not sent yet arrive as
///   it reads;
/// - byte 1, splits: how the stream is cut for the second run (``splitSizes(splitByte:count:)``);
/// - with flag bit 3: the request-line limit (x 4), the head limit (x 8) and the body limit;
/// - the rest: what the client sends.
struct FuzzInput {
    var defersOutput = false
    var slowSocket = false
    var sendsFIN = false
    var streamsBodies = false
    var limits = ParserLimits()
    var splitByte: UInt8 = 0
    var stream: [UInt8] = []

    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard bytes.count >= 2 else { return nil }
        let flags = bytes[0]
        defersOutput = flags & 1 != 0
        slowSocket = flags & 2 != 0
        sendsFIN = flags & 4 != 0
        streamsBodies = flags & 16 != 0
        splitByte = bytes[1]
        var start = 2
        if flags & 8 != 0 {
            guard bytes.count >= 5 else { return nil }
            limits.maxRequestLineLength = Int(bytes[2]) * 4
            limits.maxHeadLength = Int(bytes[3]) * 8
            limits.maxBodyLength = Int(bytes[4])
            start = 5
        }
        stream = Array(bytes[start...])
    }

    /// The sizes of the pieces the stream is cut into for the second run.
    func pieces() -> [Int] { splitSizes(splitByte: splitByte, count: stream.count) }

    /// The server settings the input asks for.
    func configure(_ configuration: inout ServerConfiguration) {
        configuration.limits = limits
        if streamsBodies {
            configuration.loopThreadBodies = .streamed
            configuration.bodyMemoryThreshold = 0
        }
    }
}

/// The rules every run of a fuzzed connection keeps, whatever the application: exactly one response
/// per request the application accepted (`accepted`), in order, the last possibly cut short (it
/// failed after its head); at most one more, the server's refusal, with `Connection: close`; nothing
/// after a `Connection: close` response, and FIN (`ended`) after it.
func checkSequence(_ responses: [HTTPResponse], cut: Bool, accepted: Int, ended: Bool) {
    let count = responses.count + (cut ? 1 : 0)
    check(count == accepted || count == accepted + 1, "\(count) responses to \(accepted) accepted requests")
    if count > accepted {
        check(!cut, "a refusal cut short")
        check(responses.last!.status >= 400, "an extra response that is not a refusal: \(responses.last!.status)")
        check(responses.last!.header("Connection") == "close", "a refusal that keeps the connection")
    }
    if let closing = responses.firstIndex(where: { $0.header("Connection") == "close" }) {
        check(closing == responses.count - 1 && !cut, "a response after Connection: close")
        check(ended, "no FIN after Connection: close")
    }
}

/// Responses as comparable text (without their Date header): whole and cut runs must agree.
func answers(_ responses: [HTTPResponse]) -> [String] {
    responses.map { response in
        let headers = response.headers.filter { $0.0 != "Date" }.map { "\($0.0): \($0.1)" }
        return "\(response.status) \(headers) \(response.bodyText.debugDescription)"
    }
}

/// A fuzzer's replay mode (a plain debug build): runs `fuzzOne` once on each file named on the
/// command line, which is how a finding is reproduced under the debugger.
func replayFiles(_ fuzzOne: (UnsafePointer<UInt8>, Int) -> Int32) throws {
    for path in CommandLine.arguments.dropFirst() {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = bytes.withUnsafeBufferPointer { fuzzOne($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
        print("ok \(path)")
    }
}

/// A broken rule: a crash libFuzzer records, with the reason.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

extension MemoryConnection {
    /// Delivers `input`'s stream in `pieces` (while the connection reads), then FIN if the input asks
    /// for it, letting the loop's deferred work and the socket's events run after each step.
    ///
    /// An application reading a streamed body on the loop thread receives on demand: each wait of
    /// its for the socket brings the next piece (then FIN, if asked for, or else a timeout), and
    /// what it leaves in the "kernel" reaches the connection before the next piece.
    func deliver(_ input: FuzzInput, in pieces: [Int]) {
        if input.slowSocket { transport.takesAtMost = 7 }
        var rest = pieces[...]
        var offset = 0
        func nextPiece() -> [UInt8]? {
            guard let size = rest.popFirst() else { return nil }
            defer { offset += size }
            return Array(input.stream[offset..<offset + size])
        }
        transport.whileWaitingToRead = { [unowned transport] in
            if let piece = nextPiece() {
                transport.unreceived += piece
            } else if input.sendsFIN {
                transport.peerFinished = true
            }
        }
        defer { transport.whileWaitingToRead = {} }
        while transport.isReading, let piece = nextPiece() {
            send(piece)
            settle()
            while transport.isReading && !transport.unreceived.isEmpty {
                deliverUnreceived()
                settle()
            }
        }
        if input.sendsFIN && !transport.isClosed {
            sendEOF()
            settle()
        }
        check(state != .responding, "the connection is stuck responding")
    }

    /// Lets the loop's deferred work and the socket's pending events run until nothing changes.
    private func settle() {
        for _ in 0..<64 {
            let before = transport.output.count
            flushPoint()
            transport.drain()
            if transport.takesAtMost != .max { transport.takesAtMost = 7 }
            if transport.output.count == before && !transport.hasQueuedWrites { return }
        }
    }

    /// The responses written, the server's interim `100 Continue`s dropped; those answering HEAD (`isHead(index)`) have no
    /// body. `cut`: after them a response was cut short, which is accepted only once the
    /// connection ended (an application failing after its head).
    func fuzzedResponses(isHead: (Int) -> Bool) throws -> (responses: [HTTPResponse], cut: Bool) {
        let ended = transport.isShutDown || transport.isClosed
        var rest = transport.takeOutput()[...]
        var found: [HTTPResponse] = []
        while !rest.isEmpty {
            guard let (response, used) = try? HTTPResponse.parse(Array(rest), head: isHead(found.count), atEOF: ended) else {
                guard ended, rest.starts(with: Array("HTTP/1.1 ".utf8)) else {
                    throw RawClient.Failure("malformed output after \(found.count) responses: \(String(decoding: rest.prefix(300), as: UTF8.self).debugDescription)")
                }
                return (found, true)
            }
            rest = rest.dropFirst(used)
            // The server's interim `100 Continue` has no fields; an application's 1xx answer
            // (sent as its final response, with Connection: close) counts.
            if !(response.status == 100 && response.headers.isEmpty) { found.append(response) }
        }
        return (found, false)
    }
}
#endif
