import Logging
import UVLoop

/// The timeouts a connection can be under; each one that fires is logged by name.
enum Timeout: String {
    case none
    case headerRead = "header read"
    case bodyRead = "body read"
    case keepAliveIdle = "keep-alive idle"
    case write
    case lingeringClose = "lingering close"
}

/// Ending callbacks, closing, timeouts and shutdown.
extension Connection {
    /// Every callback ends here: flush what is queued, close when done, and read only while the
    /// buffered input stays under its bound (backpressure on pipelining clients).
    func settle() {
        guard closing == .open else { return }
        if !writePending && !worker.out.isEmpty { _ = flush() }
        guard closing == .open else { return }
        if closeAfterResponse && !isResponding && !writePending {
            startClosing()
            return
        }
        if peerFinished { return }
        if input.count >= worker.configuration.maxBufferedInput {
            stream.stopReading()
        } else if !stream.isReading {
            do {
                try stream.startReading()
            } catch {
                worker.logger.debug("cannot resume reading", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
                closeNow()
            }
        }
    }

    /// Half-closes after the last response (FIN once queued writes are out), then keeps reading
    /// and discarding until the peer closes or the lingering timeout, so the client reads the
    /// response instead of a reset caused by unread input.
    func startClosing() {
        guard closing == .open else { return }
        closing = .lingering
        input.removeAll()
        do {
            try stream.shutdown()
        } catch {
            closeNow()
        }
    }

    func streamDidShutdown(_ stream: TCPStream, _ error: UVError?) {
        guard closing == .lingering else { return }
        if peerFinished || error != nil {
            closeNow()
            return
        }
        arm(.lingeringClose)
        if !stream.isReading {
            do { try stream.startReading() } catch { closeNow() }
        }
    }

    /// Closes at once: the application's body is closed (exactly once), pending writes are
    /// cancelled, and the worker forgets the connection in the close callback.
    func closeNow() {
        guard closing != .closed else { return }
        closing = .closed
        endExchange()
        framing = nil
        call = nil
        body = nil
        input.removeAll()
        arm(.none)
        stream.close { [worker, self] in worker.connectionDidClose(self) }
    }

    // MARK: Timeouts

    func arm(_ kind: Timeout) {
        timeout = kind
        deadline = kind == .none ? 0 : worker.loop.now + worker.milliseconds(for: kind)
    }

    /// Called by the worker's sweep.
    func checkTimeout(now: UInt64) {
        guard timeout != .none, now >= deadline, closing != .closed else { return }
        let fired = timeout
        arm(.none)
        let metadata: Logger.Metadata = ["peer": "\(peerDescription)", "timeout": "\(fired.rawValue)"]
        switch fired {
        case .headerRead where phase == .head, .bodyRead:
            worker.logger.info("timeout; answering 408", metadata: metadata)
            refuse(status: 408, detail: "the request took too long to arrive", level: .debug)
            settle()
        case .write:
            worker.logger.info("timeout: the client stopped reading; closing", metadata: metadata)
            closeNow()
        case .headerRead, .keepAliveIdle, .lingeringClose:
            worker.logger.debug("timeout; closing idle connection", metadata: metadata)
            closeNow()
        case .none:
            break
        }
    }

    // MARK: Shutdown

    /// Graceful shutdown: a connection with a request in progress finishes it, answering with
    /// `Connection: close`. An idle one is not cut at once: its client may be sending the next
    /// request right now (closing would lose it), so it gets a short grace to send one, which is
    /// then answered with `Connection: close`; a connection silent for the whole grace is closed.
    func drain() {
        guard closing == .open else { return }
        request.keepAlive = false
        guard phase == .idle && !isResponding && input.isEmpty && !writePending else { return }
        timeout = .headerRead
        deadline = min(deadline == 0 ? UInt64.max : deadline, worker.loop.now + Connection.drainGrace)
    }

    /// How long an idle connection may keep a draining server waiting for its next request.
    static let drainGrace: UInt64 = 1000
}
