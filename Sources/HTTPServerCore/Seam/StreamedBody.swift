import SharedBytes

/// A request body the application reads while it arrives: the application starts as soon as the
/// head is in, and its reads wait for the client, as in gunicorn's workers. How they wait depends
/// on where the application runs (``Arrival``):
/// - on an application thread, the loop receives and appends; once ``window`` bytes wait unread it
///   stops taking body bytes (``wantsMore``) and the client is held back by TCP; a read that frees
///   room wakes the loop again;
/// - on the loop thread, a read with nothing unread has the connection receive more right away
///   (blocking the loop, as a gunicorn sync worker blocks), so at most one receive's worth waits.
/// - on an application thread under HTTP/2, the protocol's flow control bounds what waits: the
///   loop opens the peer's window by what the application read (``Arrival/windowed``).
///
/// `Expect: 100-continue` is answered when the application first waits for body bytes, not
/// before: an application that answers without reading (a 401, a 413) spares the client the upload.
///
/// Threads: the loop thread appends, finishes and abandons; one thread (an application thread, or
/// the loop thread itself) reads. All state is behind one lock with a condition the reader waits
/// on.
final class StreamedBody: Sendable {
    /// How a read waits for bytes that have not arrived.
    enum Arrival: Sendable {
        /// The application runs on an application thread: it waits on the lock's condition while
        /// the loop appends; `wake` (any thread) makes the loop look at the connection again
        /// (``Connection/resume()``): room was freed, or `100 Continue` is wanted. `willWait` runs
        /// on the reader's thread before it blocks (``Responder/threadWillWait()``).
        case loopDelivers(wake: @Sendable () -> Void, willWait: @Sendable () -> Void)
        /// The application runs on the loop thread: a read with nothing unread has the connection
        /// receive more from the socket at once (``Connection/receiveBodyForReader()``).
        case readerReceives(BodyReceiver)
        /// The application runs on an application thread and the protocol bounds what is unread
        /// (HTTP/2's flow control: the peer sends no more than the window the loop opens). A read
        /// that takes bytes wakes the loop (once until it collects them, ``takeReadCount()``) so
        /// that it opens the window by as much.
        case windowed(wake: @Sendable () -> Void, willWait: @Sendable () -> Void)
    }

    /// Unread bytes the loop buffers before it stops taking more.
    static let window = 256 * 1024

    private struct State {
        /// Received bytes; the unread ones start at `start`.
        var buffer: [UInt8] = []
        var start = 0
        var isFinished = false
        /// Set when the body can no longer be read: why.
        var failure: String?
        /// The loop stopped taking bytes because the window was full.
        var loopPaused = false
        var expectsContinue: Bool
        /// The reader waited for bytes: the loop sends `100 Continue` (once).
        var continueWanted = false
        /// Bytes read since the loop last collected the count (``Arrival/windowed``).
        var readSinceCollected = 0

        var unread: Int { buffer.count - start }
    }

    private let state: LockedValue<State>
    private let arrival: Arrival

    init(expectsContinue: Bool, arrival: Arrival) {
        state = LockedValue(State(expectsContinue: expectsContinue))
        self.arrival = arrival
    }

    var isReceivedByReader: Bool {
        if case .readerReceives = arrival { return true }
        return false
    }

    // MARK: The loop's side

    func append(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { $0.buffer.append(contentsOf: bytes) }
    }

    /// Whether the loop may take more body bytes now; false records that it paused, so that the
    /// next read freeing room wakes it. (A reader that receives for itself only asks for more when
    /// it has read everything: the loop takes what it has.)
    /// Bytes the reader took since the last call (``Arrival/windowed``): the loop opens the
    /// peer's window by that much.
    func takeReadCount() -> Int {
        state.withLock { state in
            defer { state.readSinceCollected = 0 }
            return state.readSinceCollected
        }
    }

    var wantsMore: Bool {
        guard case .loopDelivers = arrival else { return true }
        return state.withLock { state in
            guard state.unread >= StreamedBody.window else { return true }
            state.loopPaused = true
            return false
        }
    }

    func finish() {
        state.withLock { $0.isFinished = true }
    }

    /// The body will not be received (the client went away, the response started first, the
    /// request timed out): reads from now on fail with `reason`.
    func abandon(_ reason: String) {
        state.withLock { state in
            if !state.isFinished && state.failure == nil { state.failure = reason }
        }
    }

    /// True once, when the application waits for bytes of a body whose client waits for
    /// `100 Continue`.
    func takeContinueRequest() -> Bool {
        state.withLock { state in
            guard state.continueWanted else { return false }
            state.continueWanted = false
            state.expectsContinue = false
            return true
        }
    }

    // MARK: The application's side

    /// Up to `size` bytes (all that remains when `size < 0`); fewer only at the end. Waits for the
    /// client as long as needed (the loop's body timeout ends a silent one).
    func read(_ size: Int) throws -> Bytes {
        let wanted = size < 0 ? Int.max : size
        var collected: [UInt8] = []
        while collected.count < wanted, let piece = try take(upTo: wanted - collected.count, line: false) {
            collected += piece
        }
        return Bytes(collected)
    }

    /// One line including its `\n`, cut at `size` bytes when `size >= 0`; empty at the end.
    func readline(_ size: Int) throws -> Bytes {
        let limit = size < 0 ? Int.max : size
        var collected: [UInt8] = []
        while collected.count < limit, collected.last != UInt8(ascii: "\n"), let piece = try take(upTo: limit - collected.count, line: true) {
            collected += piece
        }
        return Bytes(collected)
    }

    /// Waits for unread bytes (or the end), then takes up to `limit` of them (through the first
    /// LF when `line`). nil at the end of the body.
    private func take(upTo limit: Int, line: Bool) throws -> [UInt8]? {
        let asksForContinue = state.withLock { state -> Bool in
            guard state.unread == 0, !state.isFinished, state.expectsContinue, !state.continueWanted else { return false }
            state.continueWanted = true
            return true
        }
        var willWait: @Sendable () -> Void = {}
        switch arrival {
        case .loopDelivers(let wake, let beforeWaiting), .windowed(let wake, let beforeWaiting):
            if asksForContinue { wake() }
            willWait = beforeWaiting
        case .readerReceives(let receiver):
            while state.withLock({ $0.unread == 0 && !$0.isFinished && $0.failure == nil }) { try receiver.receive() }
        }
        let ready = { (state: borrowing State) in state.unread > 0 || state.isFinished || state.failure != nil }
        let (piece, freedRoom) = try state.wait(until: ready, beforeBlocking: willWait) { state -> ([UInt8]?, Bool) in
            if let failure = state.failure { throw BodyUnavailable(reason: failure) }
            guard state.unread > 0 else { return (nil, false) }
            let start = state.start
            var count = min(limit, state.unread)
            // Through the buffer's memory: a slice would be a second reference to the buffer,
            // and emptying it in place below would then allocate a new one.
            let piece = state.buffer.withUnsafeBufferPointer { buffer -> [UInt8] in
                let unread = UnsafeBufferPointer(rebasing: buffer[start..<(start + count)])
                if line, let newline = unread.firstIndex(of: UInt8(ascii: "\n")) { count = newline + 1 }
                return Array(unread[..<count])
            }
            state.start += count
            if state.start == state.buffer.count {
                state.buffer.removeAll(keepingCapacity: true)
                state.start = 0
            } else if state.start >= 64 * 1024 && state.start * 2 >= state.buffer.count {
                state.buffer.removeFirst(state.start)
                state.start = 0
            }
            if case .windowed = arrival {
                // The first read since the loop collected the count tells it; later ones add up.
                state.readSinceCollected += count
                return (piece, state.readSinceCollected == count)
            }
            let freedRoom = state.loopPaused && state.unread < StreamedBody.window
            if freedRoom { state.loopPaused = false }
            return (piece, freedRoom)
        }
        switch arrival {
        case .loopDelivers(let wake, _) where freedRoom, .windowed(let wake, _) where freedRoom: wake()
        default: break
        }
        return piece
    }
}

/// A read of a body that can no longer arrive (the client went away, the response started before
/// the application read it all, the request timed out).
public struct BodyUnavailable: Error, CustomStringConvertible {
    public let reason: String
    public var description: String { "the request body is not available: \(reason)" }
}
