/// Waiting for the client with the loop blocked: only for an application running on the loop
/// thread, whose `write()` waits for the client to read while the socket is full
/// (Connection+Pushing) and whose reads of a streamed body wait for the client to send
/// (Connection+ReceivingBody), as in a gunicorn sync worker.
extension Connection {
    /// Blocks until `ready` reports the socket ready, for at most the timeout of `kind` (no limit
    /// when it is off). A loop blocked this way is waiting for a client, not stuck in application
    /// code: when it is the loop that beats a supervisor's heartbeat, it goes on beating, so that a
    /// long upload or download does not get its worker killed as hung. The runtime hears
    /// ``Responder/threadWillWait()`` first (CPython's GIL goes, so that other threads run).
    /// - Parameter ready: waits for at most the given milliseconds (negative: no limit); false on
    ///   timeout.
    /// - Throws: ``ClientTimedOut`` when the timeout passed.
    func waitForClient(_ kind: Timeout, until ready: (Int32) throws -> Bool) throws {
        context.responder.threadWillWait()
        let limit = context.milliseconds(for: kind)
        guard let heartbeat = context.heartbeat else {
            if try ready(limit == 0 ? -1 : Int32(clamping: limit)) { return }
            throw ClientTimedOut(timeout: kind, milliseconds: limit)
        }
        let start = MonotonicClock.nanoseconds()
        while true {
            heartbeat.beatIfDue()
            let waited = (MonotonicClock.nanoseconds() &- start) / 1_000_000
            if limit > 0 && waited >= limit { throw ClientTimedOut(timeout: kind, milliseconds: limit) }
            let slice = limit > 0 ? min(heartbeat.intervalMilliseconds, limit - waited) : heartbeat.intervalMilliseconds
            if try ready(Int32(clamping: slice)) { return }
        }
    }
}

/// A wait for the client with the loop blocked gave up: the client sent or read nothing for the
/// whole timeout.
struct ClientTimedOut: Error, CustomStringConvertible {
    var timeout: Timeout
    var milliseconds: UInt64
    var description: String {
        switch timeout {
        case .write: "the client read nothing for \(milliseconds) ms"
        default: "the client sent nothing for \(milliseconds) ms (\(timeout.rawValue) timeout)"
        }
    }
}
