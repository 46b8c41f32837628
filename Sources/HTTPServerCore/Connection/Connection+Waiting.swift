/// Waiting for the client with the loop blocked: only for an application running on the loop
/// thread, whose `write()` waits for the client to read while the socket is full
/// (Connection+Pushing) and whose reads of a streamed body wait for the client to send
/// (Connection+ReceivingBody), as in a gunicorn sync worker.
extension Connection {
    /// Blocks until `ready` reports the socket ready, for at most the timeout of `kind` (no limit
    /// when it is off). The runtime hears ``Responder/threadWillWait()`` first (CPython's GIL goes,
    /// so that other threads run). The loop, blocked, hears nothing, so the wait goes in slices
    /// (``waitSlice``, shorter when a heartbeat is due sooner) and between them does what the loop
    /// cannot: it beats the supervisor's heartbeat when this loop is the one that beats (waiting
    /// for a client is not being stuck: a long upload or download does not get its worker killed as
    /// hung), and it gives up once a stopping server's deadline passed (``StopDeadline``).
    /// - Parameter ready: waits for at most the given milliseconds; false on timeout.
    /// - Throws: ``ClientTimedOut`` when the timeout passed, ``ServerStopping`` when the server
    ///   stops.
    func waitForClient(_ kind: Timeout, until ready: (Int32) throws -> Bool) throws {
        context.responder.threadWillWait()
        let limit = context.milliseconds(for: kind)
        let start = context.clock.nanoseconds
        while true {
            context.heartbeat?.beatIfDue()
            if context.stopDeadline.hasPassed { throw ServerStopping() }
            let waited = (context.clock.nanoseconds &- start) / 1_000_000
            if limit > 0 && waited >= limit { throw ClientTimedOut(timeout: kind, milliseconds: limit) }
            var slice = min(Connection.waitSlice, context.heartbeat?.intervalMilliseconds ?? .max)
            if limit > 0 { slice = min(slice, limit - waited) }
            if try ready(Int32(clamping: slice)) { return }
        }
    }

    /// The longest a blocked wait for a client goes without looking at the stop deadline, in
    /// milliseconds.
    static let waitSlice: UInt64 = 100
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
