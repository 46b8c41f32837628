import Logging
import UVLoop

/// Closing: the lingering close after the last response, and closing at once.
extension Connection {
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
}
