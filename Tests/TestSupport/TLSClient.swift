import Foundation
import TLS

/// A blocking TLS client over a ``RawClient``, on the server's own TLS module (a client session):
/// for tests that speak HTTPS byte for byte, see the negotiated protocol and present client
/// certificates.
public final class TLSClient {
    public let raw: RawClient
    public let session: TLSSession
    /// Decrypted bytes not consumed yet.
    private var plaintext: [UInt8] = []
    /// The server closed (close_notify or EOF).
    private var ended = false

    /// Connects and completes the handshake within `timeout` seconds; throws the TLS failure when
    /// the server refuses it.
    public init(port: Int, context: TLSContext, serverName: String = "localhost", timeout: Double = 5) throws {
        raw = try RawClient(port: port)
        session = try TLSSession(context: context, serverName: serverName)
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let progress = try session.handshake()
            try flush()
            if case .done = progress { return }
            guard case .needsInput = progress else { throw RawClient.Failure("the server closed during the handshake") }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw RawClient.Failure("no handshake within \(timeout)s") }
            guard try !raw.receiveSome(timeout: remaining).isEmpty else { throw RawClient.Failure("the server closed during the handshake") }
            raw.takePending().withUnsafeBytes { session.receiveCiphertext($0) }
        }
    }

    /// Encrypts and sends `text`.
    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            offset += try bytes[offset...].withUnsafeBytes { try session.writePlaintext($0) }
            try flush()
        }
    }

    /// Sends `request` and reads its response.
    public func exchange(_ request: String, timeout: Double = 5) throws -> HTTPResponse {
        try send(request)
        return try readResponse(timeout: timeout, head: request.hasPrefix("HEAD "))
    }

    /// Reads one complete response (Content-Length, chunked, or until the server closes).
    public func readResponse(timeout: Double = 5, head: Bool = false) throws -> HTTPResponse {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let (response, used) = try HTTPResponse.parse(plaintext, head: head, atEOF: ended) {
                plaintext.removeFirst(used)
                return response
            }
            guard !ended else { throw RawClient.Failure("closed before a whole response: \(String(decoding: plaintext, as: UTF8.self).debugDescription)") }
            try receiveMore(until: deadline)
        }
    }

    /// Receives until the decrypted bytes not consumed contain `text` (they stay unconsumed).
    public func receive(until text: String, timeout: Double = 5) throws {
        let deadline = Date().addingTimeInterval(timeout)
        let needle = Array(text.utf8)
        while plaintext.firstRange(of: needle) == nil {
            guard !ended else { throw RawClient.Failure("closed before \(text.debugDescription)") }
            try receiveMore(until: deadline)
        }
    }

    /// Receives once, decrypts, and drops the bytes: returns how many there were (possibly 0: a
    /// record with no data); throws once the server closed. For large bodies a test only counts.
    public func discardSome(timeout: Double = 5) throws -> Int {
        guard !ended else { throw RawClient.Failure("the server closed") }
        try receiveMore(until: Date().addingTimeInterval(timeout))
        defer { plaintext = [] }
        return plaintext.count
    }

    /// Decrypted bytes until the server closes; everything not consumed.
    public func readToEOF(timeout: Double = 5) throws -> [UInt8] {
        let deadline = Date().addingTimeInterval(timeout)
        while !ended { try receiveMore(until: deadline) }
        defer { plaintext = [] }
        return plaintext
    }

    /// Receives ciphertext once and decrypts what it completes.
    private func receiveMore(until deadline: Date) throws {
        let remaining = deadline.timeIntervalSinceNow
        guard remaining > 0 else { throw RawClient.Failure("nothing more within the time given (have \(plaintext.count) bytes)") }
        if try raw.receiveSome(timeout: remaining).isEmpty { ended = true }
        raw.takePending().withUnsafeBytes { session.receiveCiphertext($0) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let progress = try buffer.withUnsafeMutableBytes { try session.readPlaintext(into: $0) }
            switch progress {
            case .done(let count): plaintext += buffer[..<count]
            case .needsInput: return
            case .closed:
                ended = true
                return
            }
        }
    }

    private func flush() throws {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while session.pendingCiphertext > 0 {
            let count = buffer.withUnsafeMutableBytes { session.takeCiphertext(into: $0) }
            try raw.send(Array(buffer[..<count]))
        }
    }
}
