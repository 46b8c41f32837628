import CLibUV
import TLS
import UVLoop

/// A connection's transport over TLS: ciphertext on the socket, plaintext for the connection,
/// through the connection's ``TLSSession`` (memory BIOs: OpenSSL never touches the socket).
///
/// Its life: first the handshake (``Phase/handshaking``), driven by the socket's reads, with the
/// loop's registry holding a ``TLSHandshake`` for its timeout; once the handshake is done the loop
/// makes the connection (which protocol runs is known only then: ALPN) and the transport serves it
/// (``Phase/serving``) until the socket's close callback (``Phase/closed``).
///
/// Writing (TLSTransport+Writing): every byte of ciphertext goes out with `uv_try_write`, none is
/// queued in libuv. What the socket did not take waits here, at most one slice (nothing more is
/// encrypted until it is gone), and the socket's writability (a poll) says when to go on. So the
/// loop's turns and the blocking waits of an application writing on the loop thread see one queue,
/// in order; a queued plaintext write is encrypted a slice at a time as the socket takes the last
/// one (a body is never copied whole), and TLS keeps plain TCP's backpressure.
///
/// Reading (TLSTransport+Reading): each read's ciphertext goes into the session and is decrypted
/// for the connection while it reads; what it does not want yet stays in the session and is
/// delivered at the loop's next turn after it starts reading again (``TLSLoopState``).
///
/// Ownership: the socket holds this object as its delegate until its close callback; this object
/// holds its session, and its connection (or handshake) until that same callback, which breaks the
/// cycle (the connection holds its transport). Thread: the loop's only.
final class TLSTransport {
    enum Phase {
        /// The handshake is under way; the loop's registry holds the handshake.
        case handshaking(TLSHandshake)
        /// The connection (HTTP/1.1 or HTTP/2, as ALPN chose) runs over this transport.
        case serving(any TransportClient)
        /// The socket's close callback ran.
        case closed
    }

    let stream: SocketStream
    let session: TLSSession
    let shared: TLSLoopState
    var phase: Phase

    // Reading (TLSTransport+Reading).
    /// The connection wants plaintext (its `isReading`).
    var wantsInput = false
    /// The peer finished sending (FIN, or close_notify): once the session holds nothing more, the
    /// connection hears the end of input.
    var inputEnded = false
    /// Plaintext received on demand with `peeking` (an application reading its body on the loop
    /// thread) and not taken yet: given again to the next receive, or to the connection.
    var peeked: [UInt8] = []

    // Writing (TLSTransport+Writing).
    /// Ciphertext the socket has not taken: `unsent[unsentStart...]`. Its memory goes when it is
    /// sent (an idle connection keeps none).
    var unsent: [UInt8] = []
    var unsentStart = 0
    /// Plaintext writes the connection queued, oldest first; the first may be partly encrypted.
    var queued: [QueuedWrite] = []
    /// Queued writes wholly encrypted, whose completions the connection hears once their ciphertext
    /// is in the kernel.
    var finishedWrites = 0
    /// The connection asked to hear when more fits (``notifyWhenWritable()``).
    var connectionAwaitsWritable = false
    /// The connection asked for FIN; sent once the queued writes are out.
    var shutdownRequested = false

    struct QueuedWrite {
        /// What is left to encrypt.
        var buffers: WriteBuffers
        /// Keeps `buffers` valid until they are encrypted.
        let owner: AnyObject?
    }

    /// A transport for `stream`, its handshake under way: it becomes the stream's delegate and
    /// reads.
    init(stream: SocketStream, session: TLSSession, shared: TLSLoopState, handshake: TLSHandshake) throws {
        self.stream = stream
        self.session = session
        self.shared = shared
        phase = .handshaking(handshake)
        stream.delegate = self
        try stream.startReading()
    }

    /// The handshake is done and `connection` runs over this transport from now on.
    func attach(_ connection: any TransportClient) {
        phase = .serving(connection)
    }

    /// A TLS failure, as the connection's errors are: a protocol error, with OpenSSL's reasons.
    static func failure(_ error: TLSError) -> UVError {
        UVError(UV_EPROTO.rawValue, "TLS \(error)")
    }
}

extension TLSTransport: ConnectionTransport {
    var isReading: Bool { wantsInput }

    func startReading() throws {
        wantsInput = true
        if !peeked.isEmpty || session.hasBufferedInput || inputEnded { shared.deliverSoon(self) }
        try stream.startReading()
    }

    func stopReading() {
        wantsInput = false
        stream.stopReading()
    }

    /// Closes the socket; queued writes complete with a cancellation, then the connection (or the
    /// handshake) hears that it closed.
    func close() {
        stream.close { [self] in didClose() }
    }

    private func didClose() {
        let ended = phase
        phase = .closed
        let cancelled = queued.count + finishedWrites
        queued = []
        finishedWrites = 0
        switch ended {
        case .serving(let connection):
            for _ in 0..<cancelled { connection.writeCompleted(UVError(UV_ECANCELED.rawValue, "TLS write")) }
            if shutdownRequested { connection.shutdownCompleted(UVError(UV_ECANCELED.rawValue, "TLS shutdown")) }
            connection.closed()
        case .handshaking(let handshake):
            handshake.closed()
        case .closed:
            break
        }
    }
}

extension TLSTransport: SocketStreamDelegate {
    func streamDidRead(_ stream: SocketStream, _ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .handshaking(let handshake):
            if handshake.isPlaintextHTTP(bytes) { return refusePlaintext(handshake) }
            session.receiveCiphertext(bytes)
            advanceHandshake(handshake)
        case .serving:
            session.receiveCiphertext(bytes)
            deliverBufferedInput()
        case .closed:
            break
        }
    }

    func streamDidReachEOF(_ stream: SocketStream) {
        inputEnded = true
        switch phase {
        case .handshaking: close()
        case .serving: deliverBufferedInput()
        case .closed: break
        }
    }

    func streamDidFail(_ stream: SocketStream, _ error: UVError) {
        switch phase {
        case .handshaking: close()
        case .serving(let connection): connection.readFailed(error)
        case .closed: break
        }
    }

    /// Never called: this transport writes with `uv_try_write` only.
    func streamDidFinishWrite(_ stream: SocketStream, _ error: UVError?) {}

    func streamDidShutdown(_ stream: SocketStream, _ error: UVError?) {
        guard case .serving(let connection) = phase else { return }
        connection.shutdownCompleted(error)
    }

    func streamDidBecomeWritable(_ stream: SocketStream, _ error: UVError?) {
        socketBecameWritable(error)
    }
}
