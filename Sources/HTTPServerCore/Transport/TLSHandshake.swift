import Logging
import TLS
import UVLoop

/// A TLS connection before any protocol runs on it: its handshake, in the loop's registry under the
/// connection's id, bounded by the header-read timeout (a client that never finishes it costs one
/// connection for that long), closed at once when the server drains. Once the handshake is done the
/// loop replaces it with the connection (``ServerLoop``), under the same id.
///
/// Ownership: the loop's registry holds it until the handshake ends; its transport holds it while
/// in ``TLSTransport/Phase/handshaking``. Thread: the loop's.
final class TLSHandshake: LoopConnection {
    let id: Int
    /// The connection's addresses; the loop adds the session's facts once it is established.
    let info: ConnectionInfo
    private unowned let context: LoopContext
    private let deadline: UInt64
    /// The loop makes the connection (the handshake is done).
    private let onEstablished: (TLSHandshake, TLSTransport) -> Void
    /// Whether the first bytes were looked at (plain HTTP is told apart there only).
    private var sawFirstBytes = false
    /// Set once the transport is made (right after this object).
    weak var transport: TLSTransport?

    init(id: Int, info: ConnectionInfo, context: LoopContext, established: @escaping (TLSHandshake, TLSTransport) -> Void) {
        self.id = id
        self.info = info
        self.context = context
        deadline = context.now + context.milliseconds(for: .headerRead)
        onEstablished = established
    }

    var isHandlingRequest: Bool { false }

    func checkTimeout(now: UInt64) {
        guard now >= deadline else { return }
        context.logger.debug("TLS handshake timed out; closing", metadata: ["peer": "\(peer)"])
        close()
    }

    func drain() { close() }

    func close() { transport?.close() }

    func resume() {}

    /// Whether `bytes`, the first of the connection, are plain HTTP rather than a TLS record (which
    /// starts with its content type, 0x16 for a handshake): a request line starts with an
    /// upper-case method.
    func isPlaintextHTTP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard !sawFirstBytes, let first = bytes.first else { return false }
        sawFirstBytes = true
        return first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z")
    }

    func established(_ transport: TLSTransport) {
        onEstablished(self, transport)
    }

    func failed(_ error: TLSError) {
        context.refusalLog.log(context.logger, level: .info, "TLS handshake failed; closing", metadata: ["peer": "\(peer)", "error": "\(error)"], now: context.now)
    }

    func refusedPlaintext() {
        context.refusalLog.log(context.logger, level: .info, "plain HTTP on a TLS listener; answering 400", metadata: ["peer": "\(peer)"], now: context.now)
    }

    /// The transport's close callback, before the handshake was done.
    func closed() {
        context.connectionClosed(self)
    }

    private var peer: String { "\(info.remoteAddress):\(info.remotePort)" }
}
