/// What the TLS connections of one loop share: three scratch buffers (a transport uses them only
/// within one of its calls, on the loop thread, never across a return), and the transports whose
/// input waits inside their session for a reader that stopped and came back.
///
/// Why the waiting list: bytes a session already holds (a decrypted record's rest, ciphertext
/// received with the last read) never make the socket readable again, so a transport whose
/// connection starts reading again must be given them without an event from the socket, and not
/// from inside `startReading()` (the connection is in the middle of settling). The loop delivers
/// them at its next turn (``wake``: a zero-delay timer of the loop).
///
/// Ownership: the loop's ``LoopContext`` owns it; it owns its buffers (freed in `deinit`) and
/// holds the waiting transports until their delivery. Thread: the loop's.
final class TLSLoopState {
    /// Where decrypted bytes land before they reach a connection.
    let plaintext: UnsafeMutableRawBufferPointer
    /// Where plaintext is gathered before it is encrypted: the pieces of a write (so that a head or
    /// a chunk's size line shares a record with what follows), a file's bytes.
    let outgoing: UnsafeMutableRawBufferPointer
    /// Where ciphertext is taken from a session before it goes to the socket.
    let ciphertext: UnsafeMutableRawBufferPointer
    /// Transports to give their buffered input at the loop's next turn.
    private var waiting: [TLSTransport] = []
    /// Makes the loop turn without waiting for I/O, then call ``deliverWaiting()``. Set by the loop.
    var wake: () -> Void = {}

    /// Plaintext a transport encrypts per step: four records of 16 KiB.
    static let slice = 64 * 1024

    init() {
        plaintext = .allocate(byteCount: Self.slice, alignment: 16)
        outgoing = .allocate(byteCount: Self.slice, alignment: 16)
        // A slice's records with their headers, tags and padding, with room to spare.
        ciphertext = .allocate(byteCount: Self.slice + 4096, alignment: 16)
    }

    deinit {
        plaintext.deallocate()
        outgoing.deallocate()
        ciphertext.deallocate()
    }

    /// `transport` has input to deliver: at the loop's next turn.
    func deliverSoon(_ transport: TLSTransport) {
        guard !waiting.contains(where: { $0 === transport }) else { return }
        if waiting.isEmpty { wake() }
        waiting.append(transport)
    }

    /// The loop's turn: each waiting transport delivers what its reader still wants.
    func deliverWaiting() {
        let transports = waiting
        waiting = []
        for transport in transports { transport.deliverBufferedInput() }
    }
}
