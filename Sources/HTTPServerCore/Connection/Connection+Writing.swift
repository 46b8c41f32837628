import Logging
import UVLoop

/// Writing: handing the loop's output queue to the transport, and what follows a queued write.
extension Connection {
    /// Sends what is queued.
    /// - Parameter forceAsync: queue the write without trying it first, so the loop turns before
    ///   this connection continues.
    /// - Returns: true when the transport took it all; false when the rest was queued (the
    ///   connection hears ``writeCompleted(_:)``) or the write failed (then it is closed).
    func flush(forceAsync: Bool = false) -> Bool {
        do {
            if try context.out.flush(to: transport, forceAsync: forceAsync) { return true }
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
        switch state {
        case .awaitingRequest: arm(.keepAliveIdle)
        case .responding, .finishing: arm(.none)
        case .readingHead, .readingBody, .lingering, .closed: break
        }
        guard state != .lingering && state != .closed else { return }
        advanceBufferedInput()
        settle()
    }
}
