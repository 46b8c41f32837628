import Logging
import UVLoop

/// Writing: handing the loop's output queue to the transport, and what follows a queued write.
extension Connection {
    /// Sends what is queued (in the loop's queue, or in `queue`).
    /// - Parameter forceAsync: queue the write without trying it first, so the loop turns before
    ///   this connection continues.
    /// - Returns: true when the transport took it all; false when the rest was queued (the
    ///   connection hears ``writeCompleted(_:)``) or the write failed (then it is closed).
    func flush(_ queue: OutputQueue? = nil, forceAsync: Bool = false) -> Bool {
        do {
            if try (queue ?? context.out).flush(to: transport, forceAsync: forceAsync) { return true }
            writesInFlight += 1
            arm(.write)
            return false
        } catch let error as UVError where error.isDisconnect {
            context.logger.debug("client went away during a write", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        } catch {
            context.logger.info("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
        }
        close()
        return false
    }

    /// A queued write completed (or failed, or was cancelled by close).
    func writeCompleted(_ error: UVError?) {
        writesInFlight -= 1
        if let error {
            if !error.isCancelled {
                context.logger.debug("write failed; closing", metadata: ["peer": "\(peerDescription)", "error": "\(error)"])
            }
            return close()
        }
        carryOn()
    }

    /// The loop's flush point: writes the output this connection's last turn deferred
    /// (``LoopContext/deferOutput(of:)``), then carries on as after any write.
    func flushDeferredOutput() {
        guard let queue = deferredOutput else { return }
        deferredOutput = nil
        writesInFlight -= 1
        defer { context.recycle(queue) }
        guard state != .lingering && state != .closed, flush(queue) else { return }
        // The common case, a keep-alive connection with nothing more to read yet: only the timeout.
        if state == .awaitingRequest && input.isEmpty && !context.isDraining {
            arm(.keepAliveIdle)
            return
        }
        carryOn()
    }

    /// Everything written: the next timeout, then whatever input waits.
    private func carryOn() {
        switch state {
        case .awaitingRequest:
            arm(.keepAliveIdle)
            // A server that began draining meanwhile gives this idle connection the short grace.
            if context.isDraining { drain() }
        case .responding, .finishing: arm(.none)
        // The body goes on arriving while an application thread answers (full duplex).
        case .readingBody: arm(.bodyRead)
        case .readingHead, .lingering, .closed: break
        }
        guard state != .lingering && state != .closed else { return }
        advanceBufferedInput()
        settle()
    }
}
