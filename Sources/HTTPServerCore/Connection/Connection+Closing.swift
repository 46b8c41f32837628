import Logging
import UVLoop

/// Ending every event, closing, timeouts and graceful shutdown.
extension Connection {
    /// Every event ends here: flush what is queued, start closing when finished, and read only while
    /// the buffered input stays under its bound (backpressure on pipelining clients). Afterwards the
    /// loop's output queue is empty, ready for the next connection's turn.
    func settle() {
        switch state {
        case .lingering, .closed:
            context.out.discard()
            return
        default:
            break
        }
        if writesInFlight == 0 && !context.out.isEmpty {
            // Written at the loop's flush point, with the other connections' output; meanwhile
            // it counts as a write in flight.
            if let queue = context.deferOutput(of: self) {
                deferredOutput = queue
                writesInFlight += 1
            } else {
                _ = flush()
            }
        }
        assert(context.out.isEmpty, "a connection left output in the loop's shared queue")
        switch state {
        case .finishing:
            if writesInFlight == 0 { startClosing() }
            return
        case .lingering, .closed:
            return
        case .awaitingRequest, .readingHead, .readingBody, .responding:
            break
        }
        guard !inputEnded else { return }
        // An application on this thread receives its body for itself, from the socket: libuv
        // must not take those bytes meanwhile (Connection+ReceivingBody).
        if input.count >= context.configuration.maxBufferedInput || exchange.body?.isReceivedByReader == true {
            transport.stopReading()
        } else if !transport.isReading {
            do {
                try transport.startReading()
            } catch {
                context.logger.debug("cannot resume reading", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
                close()
            }
        }
    }

    /// Half-closes after the last response (FIN once queued writes are out), then keeps reading and
    /// discarding until the peer closes or the lingering timeout, so the client reads the response
    /// instead of a reset caused by unread input.
    func startClosing() {
        state = .lingering
        input.removeAll()
        do {
            try transport.shutdown()
        } catch {
            close()
        }
    }

    func shutdownCompleted(_ error: UVError?) {
        guard state == .lingering else { return }
        if inputEnded || error != nil { return close() }
        arm(.lingeringClose)
        if !transport.isReading {
            do { try transport.startReading() } catch { close() }
        }
    }

    /// Closes at once: the application's side is closed (exactly once), queued writes are
    /// cancelled, and the loop forgets the connection in the transport's close callback.
    func close() {
        guard state != .closed else { return }
        state = .closed
        arm(.none)
        // Application code (a body's close) runs after the state says closed.
        exchange.close()
        transport.close()
    }

    /// The transport's close callback: the connection is gone.
    func closed() {
        input.removeAll()
        context.connectionClosed(self)
    }

    // MARK: Timeouts

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

    // MARK: Graceful shutdown

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
