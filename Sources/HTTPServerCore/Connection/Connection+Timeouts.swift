import Logging

/// Timeouts: the one in force (``Connection/timeout``, a deadline the loop's sweep checks), and the
/// graceful shutdown's grace for idle connections.
extension Connection {
    func arm(_ kind: Timeout) {
        timeout = kind
        deadline = kind == .none ? 0 : context.now + context.milliseconds(for: kind)
    }

    /// Called by the loop's sweep.
    func checkTimeout(now: UInt64) {
        guard timeout != .none, now >= deadline, state != .closed else { return }
        let fired = timeout
        arm(.none)
        let metadata: Logger.Metadata = ["peer": "\(peerDescription)", "timeout": "\(fired.rawValue)"]
        switch fired {
        case .headerRead where state == .readingHead, .bodyRead:
            context.refusalLog.log(context.logger, level: .info, "timeout; answering 408", metadata: metadata, now: now)
            refuse(status: 408, detail: "the request took too long to arrive", level: .debug)
            settle()
        case .write:
            context.refusalLog.log(context.logger, level: .info, "timeout: the client stopped reading; closing", metadata: metadata, now: now)
            close()
        case .headerRead, .keepAliveIdle, .lingeringClose:
            context.logger.debug("timeout; closing idle connection", metadata: metadata)
            close()
        case .none:
            break
        }
    }

    /// The server drains: a request in progress finishes, answered with `Connection: close`. An
    /// idle connection is not cut at once: its client may be sending the next request right now
    /// (closing would lose it), so it gets a short grace to send one, which is then answered with
    /// `Connection: close`; a connection silent for the whole grace is closed.
    func drain() {
        switch state {
        case .responding, .readingBody:
            exchange.request.keepAlive = false
        case .awaitingRequest where input.isEmpty && writesInFlight == 0:
            timeout = .headerRead
            deadline = min(deadline == 0 ? UInt64.max : deadline, context.now + Connection.drainGrace)
        default:
            break
        }
    }

    /// How long an idle connection may keep a draining server waiting for its next request.
    static let drainGrace: UInt64 = 1000
}
