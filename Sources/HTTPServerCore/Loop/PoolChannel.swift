/// Carries the parts of one response from its application thread to its connection, one part at a
/// time: the application produces part N+1 only after the loop asked for it, which it does only
/// once part N was handed to the kernel. So streaming stays one chunk at a time across threads.
///
/// Thread: ``run(_:)`` on a pool thread; ``takePart()`` and ``finish()`` on the loop thread.
final class PoolChannel: PartSink, Sendable {
    private struct State {
        /// A part produced and not yet taken by the loop.
        var part: ResponsePart?
        /// The loop is ready for the next part.
        var wanted = true
        /// The response is over (complete, aborted, or the client went away): stop and close.
        var finished = false
    }

    private let state = LockedValue(State())
    private let connectionID: Int
    private let wake: @Sendable (Int) -> Void
    /// Hears that the application's thread is about to wait in `write()`.
    private let responder: any Responder

    /// - Parameters:
    ///   - wake: tells the connection's loop that a part is waiting (thread-safe).
    ///   - responder: told before a `write()` waits (``Responder/threadWillWait()``).
    init(connectionID: Int, responder: any Responder, wake: @escaping @Sendable (Int) -> Void) {
        self.connectionID = connectionID
        self.responder = responder
        self.wake = wake
    }

    /// Pool thread: runs the application and feeds its parts until the response is over, then
    /// closes the source (exactly once, on this thread: the application's own).
    func run(_ source: any ResponseSource) {
        while true {
            let proceed = state.wait(until: { $0.wanted || $0.finished }) { state in !state.finished }
            guard proceed else { break }
            guard deliver(source.next(into: self)) else { break }
        }
        source.close()
    }

    /// Pool thread, inside the application (`write()`): hands `part` over and waits until the loop
    /// has sent it and asks for more, so written data is on its way before `write` returns.
    func push(_ part: ResponsePart) throws {
        guard deliver(part) else { throw ResponseAbandoned() }
        responder.threadWillWait()
        let proceed = state.wait(until: { $0.wanted || $0.finished }) { state in !state.finished }
        guard proceed else { throw ResponseAbandoned() }
    }

    /// Hands `part` to the loop; false when the response is already over.
    private func deliver(_ part: ResponsePart) -> Bool {
        let delivered = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            state.part = part
            state.wanted = false
            return true
        }
        if delivered { wake(connectionID) }
        return delivered
    }

    /// Loop thread: whether a part waits to be taken.
    var hasPart: Bool { state.withLock { $0.part != nil } }

    /// Loop thread: the waiting part, or nil (then the application is asked for the next one and
    /// the loop is woken when it arrives).
    func takePart() -> ResponsePart? {
        state.withLock { state in
            if let part = state.part {
                state.part = nil
                return part
            }
            state.wanted = true
            return nil
        }
    }

    /// Loop thread: the response is over; the application thread stops and closes the body.
    func finish() {
        state.withLock { state in
            state.finished = true
            state.part = nil
        }
    }
}
